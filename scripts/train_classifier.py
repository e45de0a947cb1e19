"""train_classifier and train_neural: fit a single-job classifier (SVM on a CPU; cnn,
resnet18, small_cnn, egan on a GPU rule) on the rebalanced training set and predict the
dataset's test set once."""

from imbench.runtime import start

log = start(snakemake)

from imbench.classify import fit_and_predict  # noqa: E402
from imbench.classify.predictions import save_predictions  # noqa: E402
from imbench.io import load_npz, write_json  # noqa: E402
from imbench.provenance import provenance  # noqa: E402

train = load_npz(snakemake.input.train)
raw = load_npz(snakemake.input.raw)
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
save_predictions(snakemake.output.predictions, **predictions)
if "report" in snakemake.output.keys():
    report["provenance"] = provenance(snakemake.params.cell, seed)
    write_json(snakemake.output.report, report)
