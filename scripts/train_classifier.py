"""train_classifier and train_neural: fit a single-job classifier (SVM on a CPU; cnn,
resnet18, small_cnn, egan on a GPU rule) on the rebalanced training set and predict the
dataset's test set once."""

from imbench.runtime import start

log = start(snakemake)

from imbench import records  # noqa: E402
from imbench.classify import fit_and_predict  # noqa: E402
from imbench.classify.predictions import save_predictions  # noqa: E402
from imbench.io import write_json  # noqa: E402
from imbench.provenance import provenance  # noqa: E402

cell = snakemake.params.cell
train = records.load(snakemake.input.train, "train", cell)
raw = records.load(snakemake.input.raw, "raw", cell)
cfg = snakemake.params.classifier
seed = snakemake.params.seed
_, predictions, report = fit_and_predict(
    cfg["method"],
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
log.info(
    "%s: test accuracy %.4f on %d images (%s)",
    cfg["method"],
    (predictions["y_pred"] == predictions["y_true"]).mean(),
    len(predictions["y_true"]),
    report["evaluation"]["task"],
)
save_predictions(
    snakemake.output.predictions,
    **predictions,
    config=cell,
    made_from={"train": train.record, "raw": raw.record},
)
if "report" in snakemake.output.keys():
    report["provenance"] = provenance(cell, seed)
    write_json(snakemake.output.report, report)
