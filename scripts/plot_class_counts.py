from imbench.runtime import start

log = start(snakemake)

from imbench.io import read_json  # noqa: E402
from imbench.plots import plot_class_counts  # noqa: E402

info = read_json(snakemake.input.counts)
plot_class_counts(
    {"original": info["original_counts"], "imbalanced": info["counts"]},
    info["class_names"],
    snakemake.output.plot,
    title=f"{snakemake.wildcards.dataset} / {snakemake.wildcards.imbalance} "
    f"(seed {snakemake.wildcards.seed}), ρ = {info['rho']:.1f}",
)
