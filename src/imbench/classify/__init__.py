"""Classifier registry: one module per classifier, one line here."""

from ..registry import Registry
from .base import Classifier
from .fit import fit_and_predict

CLASSIFIERS = Registry(
    "classifier",
    {
        "svm": "imbench.classify.svm:SVMClassifier",
    },
)

# Which workflow rule trains each method (read at DAG time, so no import of the models):
# "cpu" -> train_classifier, "neural" -> train_neural (GPU), "cnn_svm" -> train_cnn + fit_svm.
CLASSIFIER_STAGES = {
    "svm": "cpu",
}

__all__ = ["CLASSIFIERS", "CLASSIFIER_STAGES", "Classifier", "fit_and_predict"]
