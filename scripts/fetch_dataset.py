from imbench.runtime import start

log = start(snakemake)

from imbench.datasets import fetch_raw  # noqa: E402

dataset = fetch_raw(
    snakemake.output.raw,
    snakemake.params.dataset,
    snakemake.params.cell,
    # from the config, not params: neither is part of what the raw file is (rules/data.smk)
    cache_dir=snakemake.config["cache_dir"],
    offline=snakemake.config["offline"],
)
log.info("train %s, test %s", dataset.x_train.shape, dataset.x_test.shape)
