"""Augmenter (rebalancer) registry: one module per augmenter, one line here. Every generator
method of ``imbench.generators.GENERATORS`` is an augmenter too (derived, not repeated)."""

from ..generators import GENERATORS
from ..registry import Registry
from .base import Augmenter
from .generative import augmenter_for
from .rebalance import rebalance, rebalance_files

AUGMENTERS = Registry(
    "augmenter",
    {
        "none": "imbench.augment.identity:NoAugmenter",
        "ros": "imbench.augment.ros:RandomOverSampler",
        "rus": "imbench.augment.rus:RandomUnderSampler",
        "smote": "imbench.augment.smote:Smote",
        "transforms": "imbench.augment.transforms:TransformAugmenter",
    },
    derived_from=GENERATORS,
    derive=augmenter_for,
)

__all__ = ["AUGMENTERS", "Augmenter", "rebalance", "rebalance_files"]
