from imbench.runtime import start

log = start(snakemake)

from imbench.classify import fit_and_predict  # noqa: E402
from imbench.classify.predictions import save_predictions  # noqa: E402
from imbench.io import load_npz  # noqa: E402

train = load_npz(snakemake.input.train)
raw = load_npz(snakemake.input.raw)
cfg = snakemake.params.classifier
predictions = fit_and_predict(
    cfg["method"],
    cfg["params"],
    train["x"],
    train["y"],
    raw["x_test"],
    raw["y_test"],
    n_classes=len(raw["class_names"]),
    seed=snakemake.params.seed,
    n_jobs=snakemake.threads,
)
log.info("test accuracy %.4f", (predictions["y_pred"] == predictions["y_true"]).mean())
save_predictions(snakemake.output.predictions, **predictions)
