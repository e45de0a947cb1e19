"""train_cnn: first (GPU) half of cnn_svm -- train seed 000's CNN, write the network and the
penultimate-layer features of the training and test images."""

from imbench.runtime import start

log = start(snakemake)

from imbench import records  # noqa: E402
from imbench.classify.cnn_svm import train_cnn_features  # noqa: E402
from imbench.io import write_json  # noqa: E402
from imbench.provenance import provenance  # noqa: E402

cell = snakemake.params.cell
train = records.load(snakemake.input.train, "train", cell)
raw = records.load(snakemake.input.raw, "raw", cell)
cfg = snakemake.params.classifier
seed = snakemake.params.seed
cnn, features = train_cnn_features(
    cfg["params"],
    train["x"],
    train["y"],
    raw["x_test"],
    raw["y_test"],
    n_classes=len(raw["class_names"]),
    seed=seed,
    n_jobs=snakemake.threads,
    synthetic=train.get("synthetic"),
)
log.info("CNN: best epoch %s of %s", cnn.report_["best_epoch"], cnn.report_["epochs_run"])
cnn.save_model(snakemake.output.model)
records.save(
    snakemake.output.features,
    "features",
    cell,
    made_from={"train": train.record, "raw": raw.record},
    **features,
)
write_json(snakemake.output.report, {**cnn.report_, "provenance": provenance(cell, seed)})
