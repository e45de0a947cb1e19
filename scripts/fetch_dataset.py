from imbench.runtime import start

log = start(snakemake)

from imbench.datasets import fetch_raw  # noqa: E402

dataset = fetch_raw(
    snakemake.output.raw,
    snakemake.params.dataset,
    snakemake.params.cell,
    cache_dir=snakemake.params.cache_dir,
    offline=snakemake.params.offline,
)
log.info("train %s, test %s", dataset.x_train.shape, dataset.x_test.shape)
