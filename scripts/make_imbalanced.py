from imbench.runtime import start

log = start(snakemake)

from imbench.imbalance import make_imbalanced  # noqa: E402
from imbench.io import load_npz, save_npz, write_json  # noqa: E402
from imbench.provenance import provenance  # noqa: E402

raw = load_npz(snakemake.input.raw)
# Only the training split is read: the test set is never imbalanced.
x, y, info = make_imbalanced(
    raw["x_train"], raw["y_train"], snakemake.params.protocol, snakemake.params.seed
)
info["class_names"] = raw["class_names"].tolist()
info["provenance"] = provenance(snakemake.params.cell, snakemake.params.seed)
log.info("counts %s, rho %.2f", info["counts"], info["rho"])
save_npz(snakemake.output.train, x=x, y=y)
write_json(snakemake.output.counts, info)
