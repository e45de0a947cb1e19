"""fit_svm: second (CPU) half of cnn_svm -- RBF SVM on the CNN features, test predictions."""

from imbench.runtime import start

log = start(snakemake)

import numpy as np  # noqa: E402

from imbench import records  # noqa: E402
from imbench.classify.cnn_svm import fit_svm_on_features  # noqa: E402
from imbench.classify.predictions import save_predictions  # noqa: E402
from imbench.io import write_json  # noqa: E402
from imbench.provenance import provenance  # noqa: E402

cell = snakemake.params.cell
cfg = snakemake.params.classifier
seed = snakemake.params.seed
features = records.load(snakemake.input.features, "features", cell)
predictions, report = fit_svm_on_features(cfg["params"], features, seed=seed)
log.info(
    "SVM on %d feature vectors; test accuracy %.4f",
    report["n_train"],
    np.mean(predictions["y_pred"] == predictions["y_true"]),
)
save_predictions(
    snakemake.output.predictions,
    **predictions,
    config=cell,
    made_from={"features": features.record},
)
report["provenance"] = provenance(cell, seed)
write_json(snakemake.output.report, report)
