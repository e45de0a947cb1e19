"""Classifier registry: one module per classifier, one line here."""

from ..registry import Registry
from .base import Classifier

CLASSIFIERS = Registry(
    "classifier",
    {
        "svm": "imbench.classify.svm:SVMClassifier",
    },
)

__all__ = ["CLASSIFIERS", "Classifier"]
