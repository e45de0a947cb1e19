"""ImageNet ResNet-18 for Keras from torchvision's weights file (seed 002 §4).

keras.applications has no ResNet-18. torchvision's ``resnet18-f37072fd.pth`` (ImageNet,
``ResNet18_Weights.IMAGENET1K_V1``) is a plain state dict, readable with torch alone, and
:func:`imbench.classify.resnet.build_resnet18` has torchvision's layout, so the weights map
layer by layer. The file is never downloaded here: the user puts it on disk and names it in
the config (``weights_file``); its sha256 is checked against ``weights_sha256`` or, as
torchvision does, against the hash prefix in its file name.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from ..errors import DataError
from ..weights import checked_weights_file

TORCHVISION_RESNET18_URL = "https://download.pytorch.org/models/resnet18-f37072fd.pth"
#: torchvision's ImageNet input normalisation (on images scaled to [0, 1])
IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)
def read_torchvision_weights(path: str | os.PathLike[str], sha256: str | None = None
                             ) -> dict[str, np.ndarray]:
    """The state dict of a torchvision ResNet-18 weights file, after checking its sha256
    (``sha256``, or the prefix torchvision puts in the file name)."""
    import torch

    file = checked_weights_file(
        path, what="ResNet-18 ImageNet", sha256=sha256,
        url=f"{TORCHVISION_RESNET18_URL} (torchvision's ResNet18_Weights.IMAGENET1K_V1)",
        config_key="the classifier's weights_file", sha256_key="weights_sha256")
    state = torch.load(file, map_location="cpu", weights_only=True)
    return {k: v.detach().cpu().numpy() for k, v in state.items()}


def _conv(w: np.ndarray) -> list[np.ndarray]:
    return [np.transpose(w, (2, 3, 1, 0))]  # (out, in, kh, kw) -> (kh, kw, in, out)


def _bn(state: Mapping[str, np.ndarray], prefix: str) -> list[np.ndarray]:
    return [state[f"{prefix}.{k}"] for k in ("weight", "bias", "running_mean", "running_var")]


def keras_weights(state: Mapping[str, np.ndarray]) -> dict[str, list[np.ndarray]]:
    """Keras layer name -> its weights, for the layers of ``build_resnet18`` (the ``fc``
    classifier is left out: the task gets a new head)."""
    out = {"stem_conv": _conv(state["conv1.weight"]), "stem_bn": _bn(state, "bn1")}
    for s in range(1, 5):
        for b in (1, 2):
            tv, name = f"layer{s}.{b - 1}", f"stage{s}_block{b}"
            for i in (1, 2):
                out[f"{name}_conv{i}"] = _conv(state[f"{tv}.conv{i}.weight"])
                out[f"{name}_bn{i}"] = _bn(state, f"{tv}.bn{i}")
            if f"{tv}.downsample.0.weight" in state:
                out[f"{name}_down_conv"] = _conv(state[f"{tv}.downsample.0.weight"])
                out[f"{name}_down_bn"] = _bn(state, f"{tv}.downsample.1")
    return out


def load_into(model: Any, weights: Mapping[str, Sequence[np.ndarray]]) -> int:
    """Set each named layer's weights; every name must exist with matching shapes. Returns
    the number of layers set."""
    for name, values in weights.items():
        layer = model.get_layer(name)
        have = [tuple(w.shape) for w in layer.get_weights()]
        want = [tuple(v.shape) for v in values]
        if have != want:
            raise DataError(f"ResNet-18 weights: layer {name} has shapes {have}, the file "
                            f"gives {want}")
        layer.set_weights(list(values))
    return len(weights)


__all__ = ["IMAGENET_MEAN", "IMAGENET_STD", "TORCHVISION_RESNET18_URL", "keras_weights",
           "load_into", "read_torchvision_weights"]
