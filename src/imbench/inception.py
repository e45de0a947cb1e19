"""Inception-v3 pool features, the standard FID / KID network, from a local weights file.

The network is torch-fidelity's ``FeatureExtractorInceptionV3`` (the port of the
TensorFlow graph that FID was defined with, including its bilinear resize to 299 x 299),
the same one torchmetrics uses for ``feature=2048``. Its weights file,
``weights-inception-2015-12-05-6726825d.pth``, is never downloaded here: the user copies it
and names it in ``generator_quality.inception_weights``.

torch-fidelity's package ``__init__`` imports its CLIP and VGG extractors, which need
torchvision, which does not install beside a CPU-only torch; only the Inception module is
needed, and it imports nothing but torch, so it is loaded without running that ``__init__``.
"""

from __future__ import annotations

import importlib.util
import os
import sys
import types
from typing import Any

import torch
from torch import nn

from .weights import checked_weights_file

INCEPTION_URL = ("https://github.com/toshas/torch-fidelity/releases/download/v0.2.0/"
                 "weights-inception-2015-12-05-6726825d.pth")
FEATURE = "2048"


def prepare_torch_fidelity() -> bool:
    """Make ``torch_fidelity``'s submodules importable without its ``__init__`` (which
    needs torchvision). torchmetrics imports the Inception module whenever torch-fidelity is
    installed, so this runs before any torchmetrics image metric. False: not installed."""
    if "torch_fidelity" in sys.modules:
        return True
    spec = importlib.util.find_spec("torch_fidelity")
    if spec is None or spec.submodule_search_locations is None:
        return False
    package = types.ModuleType("torch_fidelity")
    package.__path__ = list(spec.submodule_search_locations)
    sys.modules["torch_fidelity"] = package
    return True


def inception_class() -> Any:
    """torch-fidelity's FeatureExtractorInceptionV3, imported without the package's
    torchvision-dependent ``__init__``."""
    if not prepare_torch_fidelity():
        from .errors import ConfigError

        raise ConfigError("generator_quality.inception_weights", "set",
                          "null, or install torch-fidelity==0.4.0 (pip install --no-deps)")
    from torch_fidelity.feature_extractor_inceptionv3 import FeatureExtractorInceptionV3

    return FeatureExtractorInceptionV3


class InceptionFeatures(nn.Module):
    """uint8 NCHW RGB images in, Inception-v3's 2048-d pool features out (torchmetrics'
    ``feature`` contract: ``num_features`` and a tensor per batch)."""

    num_features = 2048

    def __init__(self, weights: str | os.PathLike[str], sha256: str | None = None) -> None:
        super().__init__()
        file = checked_weights_file(
            weights, what="Inception-v3 (FID)", url=INCEPTION_URL, sha256=sha256,
            config_key="generator_quality.inception_weights",
            sha256_key="generator_quality.inception_sha256")
        self.file = file
        self.net = inception_class()("inception-v3-compat", [FEATURE],
                                     feature_extractor_weights_path=str(file))

    @torch.no_grad()
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.cat([self.net(x[i:i + 64])[0] for i in range(0, len(x), 64)])


def applies_to(shape: tuple[int, ...]) -> str | None:
    """None when Inception features make sense for images of ``shape`` (h, w, c), else why
    not: the network was trained on RGB photographs; grey images would have to be copied
    into three channels and scaled up from e.g. 28 x 28, where its features say little."""
    if len(shape) != 3 or shape[2] != 3:
        return (f"not computed: the images are {'x'.join(map(str, shape))} (grey); "
                "Inception-v3 features are for RGB images")
    return None
