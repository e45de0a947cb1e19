"""fit_svm: second (CPU) half of cnn_svm -- RBF SVM on the CNN features, test predictions."""

from imbench.runtime import start

log = start(snakemake)

import numpy as np  # noqa: E402

from imbench.classify.cnn_svm import fit_svm_on_features  # noqa: E402
from imbench.classify.predictions import save_predictions  # noqa: E402
from imbench.io import load_npz, write_json  # noqa: E402
from imbench.provenance import provenance  # noqa: E402

cfg = snakemake.params.classifier
seed = snakemake.params.seed
predictions, report = fit_svm_on_features(
    cfg["params"], load_npz(snakemake.input.features), seed=seed
)
log.info(
    "SVM on %d feature vectors; test accuracy %.4f",
    report["n_train"], np.mean(predictions["y_pred"] == predictions["y_true"]),
)
save_predictions(snakemake.output.predictions, **predictions)
report["provenance"] = provenance(snakemake.params.cell, seed)
write_json(snakemake.output.report, report)
