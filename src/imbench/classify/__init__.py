"""Classifier registry: one module per classifier, one line here."""

from ..registry import Registry
from .base import Classifier
from .fit import fit_and_predict

CLASSIFIERS = Registry(
    "classifier",
    {
        "svm": "imbench.classify.svm:SVMClassifier",
        "cnn": "imbench.classify.neural:CNNClassifier",
        "cnn_svm": "imbench.classify.neural:CNNSVMClassifier",
        "resnet18": "imbench.classify.neural:ResNet18Classifier",
        "small_cnn": "imbench.classify.neural:SmallCNNClassifier",
        "egan": "imbench.classify.egan:EGANClassifier",
    },
)

# Which workflow rule trains each method (read at DAG time, so no import of the models):
# "cpu" -> train_classifier, "neural" -> train_neural (GPU), "cnn_svm" -> train_cnn + fit_svm.
CLASSIFIER_STAGES = {
    "svm": "cpu",
    "cnn": "neural",
    "resnet18": "neural",
    "small_cnn": "neural",
    "egan": "neural",
    "cnn_svm": "cnn_svm",
}

__all__ = ["CLASSIFIERS", "CLASSIFIER_STAGES", "Classifier", "fit_and_predict"]
