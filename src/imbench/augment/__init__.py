"""Augmenter (rebalancer) registry: one module per augmenter, one line here."""

from ..registry import Registry
from .base import Augmenter, class_counts, resolve_sampling_strategy
from .rebalance import rebalance

AUGMENTERS = Registry(
    "augmenter",
    {
        "none": "imbench.augment.identity:NoAugmenter",
        "ros": "imbench.augment.ros:RandomOverSampler",
        "rus": "imbench.augment.rus:RandomUnderSampler",
        "smote": "imbench.augment.smote:Smote",
        "transforms": "imbench.augment.transforms:TransformAugmenter",
        "gan": "imbench.augment.generative:GanAugmenter",
        "dcgan": "imbench.augment.generative:DcganAugmenter",
        "wgan_gp": "imbench.augment.generative:WganGpAugmenter",
        "cgan": "imbench.augment.generative:CganAugmenter",
        "acgan": "imbench.augment.generative:AcganAugmenter",
        "cs_acgan": "imbench.augment.generative:CsAcganAugmenter",
        "bagan": "imbench.augment.generative:BaganAugmenter",
    },
)

__all__ = ["AUGMENTERS", "Augmenter", "class_counts", "rebalance", "resolve_sampling_strategy"]
