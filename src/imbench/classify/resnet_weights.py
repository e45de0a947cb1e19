"""ImageNet ResNet-18 for Keras from torchvision's weights file (seed 002 §4).

keras.applications has no ResNet-18. torchvision's ``resnet18-f37072fd.pth`` (ImageNet,
``ResNet18_Weights.IMAGENET1K_V1``) is a plain state dict, readable with torch alone, and
:func:`imbench.classify.resnet.build_resnet18` has torchvision's layout, so the weights map
layer by layer. The file is never downloaded here: the user puts it on disk and names it in
the config (``weights_file``); its sha256 is checked against ``weights_sha256`` or, as
torchvision does, against the hash prefix in its file name.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import DataError

TORCHVISION_RESNET18_URL = "https://download.pytorch.org/models/resnet18-f37072fd.pth"
#: torchvision's ImageNet input normalisation (on images scaled to [0, 1])
IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)
_HASH_IN_NAME = re.compile(r"-([0-9a-f]{8,64})\.pth?$")


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def read_torchvision_weights(path: str | os.PathLike[str], sha256: str | None = None
                             ) -> dict[str, np.ndarray]:
    """The state dict of a torchvision ResNet-18 weights file, after checking its sha256
    (``sha256``, or the prefix torchvision puts in the file name)."""
    import torch

    file = Path(os.path.expanduser(os.fspath(path)))
    if not file.is_file():
        raise DataError(
            f"ResNet-18 ImageNet weights file {file} not found. Download "
            f"{TORCHVISION_RESNET18_URL} (torchvision's ResNet18_Weights.IMAGENET1K_V1) on a "
            "machine with network access, copy it here and give its path as the classifier's "
            "weights_file (imbench does not download it)")
    expected = sha256
    if expected is None:
        match = _HASH_IN_NAME.search(file.name)
        if match is None:
            raise DataError(f"{file}: cannot check it: give weights_sha256, or keep "
                            "torchvision's file name (resnet18-<sha256 prefix>.pth)")
        expected = match.group(1)
    got = _sha256(file)
    if not got.startswith(expected.lower()):
        raise DataError(f"{file}: sha256 {got} does not match the expected {expected} "
                        "(a different or damaged file)")
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
