"""train_cnn: first (GPU) half of cnn_svm -- train seed 000's CNN, write the network and the
penultimate-layer features of the training and test images."""

from imbench.runtime import start

log = start(snakemake)

from imbench.classify.cnn_svm import train_cnn_features  # noqa: E402
from imbench.io import load_npz, save_npz, write_json  # noqa: E402
from imbench.provenance import provenance  # noqa: E402

train = load_npz(snakemake.input.train)
raw = load_npz(snakemake.input.raw)
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
save_npz(snakemake.output.features, **features)
write_json(
    snakemake.output.report, {**cnn.report_, "provenance": provenance(snakemake.params.cell, seed)}
)
