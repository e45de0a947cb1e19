from imbench.runtime import start

log = start(snakemake)

from imbench.reports.build import generator_progress  # noqa: E402

wc = snakemake.wildcards
generator_progress(
    snakemake.input.samples,
    snakemake.input.selection,
    snakemake.input.counts,
    snakemake.output.plot,
    dataset=wc.dataset,
    imbalance=wc.imbalance,
    augmenter=wc.augmenter,
    method=snakemake.params.method,
    model=wc.model,
    seed=int(wc.seed),
)
