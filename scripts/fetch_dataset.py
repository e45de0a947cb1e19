from imbench.runtime import start

log = start(snakemake)

from imbench.datasets import load_dataset, save_raw  # noqa: E402

cfg = dict(snakemake.params.dataset)
loader = cfg.pop("loader")
dataset = load_dataset(
    loader, cache_dir=snakemake.params.cache_dir, offline=snakemake.params.offline, **cfg
)
log.info("%s: train %s, test %s", loader, dataset.x_train.shape, dataset.x_test.shape)
save_raw(snakemake.output.raw, dataset)
