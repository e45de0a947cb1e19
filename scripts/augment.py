from imbench.runtime import start

log = start(snakemake)

from imbench.augment import AUGMENTERS, rebalance  # noqa: E402
from imbench.io import load_npz, read_json, save_npz, write_json  # noqa: E402
from imbench.provenance import provenance  # noqa: E402
from imbench.sampling import concrete_strategy  # noqa: E402

data = load_npz(snakemake.input.train)
cfg = snakemake.params.augmenter
imbalanced = read_json(snakemake.input.counts)
# `protocol` left for the job when the counts were unknown as the DAG was built (folders)
strategy = concrete_strategy(
    snakemake.params.sampling_strategy,
    AUGMENTERS[cfg["method"]].kind,
    imbalanced["original_counts"],
    imbalanced["counts"],
)
x, y, synthetic, info = rebalance(
    data["x"],
    data["y"],
    method=cfg["method"],
    sampling_strategy=strategy,
    params=cfg["params"],
    seed=snakemake.params.seed,
    flip_safe=snakemake.params.flip_safe,
    generators=snakemake.params.generators,
)
info["provenance"] = provenance(snakemake.params.cell, snakemake.params.seed)
log.info("added %s -> counts %s", info["added"], info["counts"])
save_npz(snakemake.output.train, x=x, y=y, synthetic=synthetic)
write_json(snakemake.output.counts, info)
