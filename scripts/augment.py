from imbench.runtime import start

log = start(snakemake)

from imbench.augment import rebalance  # noqa: E402
from imbench.io import load_npz, read_json, save_npz, write_json  # noqa: E402
from imbench.provenance import provenance  # noqa: E402
from imbench.workflow import protocol_strategy  # noqa: E402

data = load_npz(snakemake.input.train)
cfg = snakemake.params.augmenter
strategy = snakemake.params.sampling_strategy
if strategy == "protocol":  # counts were unknown when the DAG was built (folder datasets)
    imbalanced = read_json(snakemake.input.counts)
    strategy = protocol_strategy(imbalanced["original_counts"], imbalanced["counts"])
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
