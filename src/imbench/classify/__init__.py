"""Classifier registry: one module per classifier (or network family), one line here. Each
class declares its ``stage`` (which workflow rules train it; ``imbench.plan.stages``)."""

from ..registry import Registry
from .base import Classifier
from .fit import fit_and_predict

CLASSIFIERS = Registry(
    "classifier",
    {
        "svm": "imbench.classify.svm:SVMClassifier",
        "cnn": "imbench.classify.cnn:CNNClassifier",
        "cnn_svm": "imbench.classify.cnn_svm:CNNSVMClassifier",
        "resnet18": "imbench.classify.resnet:ResNet18Classifier",
        "resnet32": "imbench.classify.resnet:ResNet32Classifier",
        "small_cnn": "imbench.classify.small_cnn:SmallCNNClassifier",
        "egan": "imbench.classify.egan:EGANClassifier",
    },
)

__all__ = ["CLASSIFIERS", "Classifier", "fit_and_predict"]
