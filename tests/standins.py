"""Stand-ins the tests write for files a real run reads but CI cannot download: datasets of
a loader's image shape (an .npz for ``data_sources``), torchvision's ResNet-18 weights and
keras.applications' ``*_notop.h5`` files, each in the real file's layout with random values.
The smoke scale runs the real networks on them (tests/test_smoke.py)."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import torch
from torch import nn

#: loader -> (image shape, classes)
SHAPES = {"mnist": ((28, 28, 1), 10), "fashion_mnist": ((28, 28, 1), 10),
          "cifar10": ((32, 32, 3), 10), "cifar100": ((32, 32, 3), 100)}


def dataset_npz(path: Path, loader: str, train_per_class: int, test_per_class: int,
                seed: int = 0) -> Path:
    """An .npz with x_train, y_train, x_test, y_test of ``loader``'s image shape: per class,
    blobs of one brightness plus noise, so that classes differ and models can learn."""
    shape, n_classes = SHAPES[loader]
    rng = np.random.default_rng(seed)
    arrays = {}
    for split, n in (("train", train_per_class), ("test", test_per_class)):
        y = np.repeat(np.arange(n_classes), n)
        level = (40 + 180 * y / max(n_classes - 1, 1))[:, None, None, None]
        x = level + rng.normal(0, 40, (len(y), *shape))
        order = rng.permutation(len(y))
        arrays[f"x_{split}"] = np.clip(x, 0, 255).astype(np.uint8)[order]
        arrays[f"y_{split}"] = y.astype(np.int64)[order]
    if shape[2] == 1:  # the grey loaders' own layout: (N, H, W)
        arrays = {k: v[..., 0] if k.startswith("x") else v for k, v in arrays.items()}
    path.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(path, **arrays)
    return path


class _TorchvisionBlock(nn.Module):
    """torchvision's BasicBlock, by its attribute names."""

    def __init__(self, c_in: int, c_out: int, stride: int) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(c_in, c_out, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(c_out)
        self.conv2 = nn.Conv2d(c_out, c_out, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(c_out)
        self.downsample = (nn.Sequential(nn.Conv2d(c_in, c_out, 1, stride, bias=False),
                                         nn.BatchNorm2d(c_out))
                           if stride != 1 or c_in != c_out else None)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = torch.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return torch.relu(out + (x if self.downsample is None else self.downsample(x)))


class TorchvisionResNet18(nn.Module):
    """torchvision.models.resnet18's layout and state-dict names (torchvision itself does
    not import beside this machine's CPU torch)."""

    def __init__(self) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(3, 64, 7, 2, 3, bias=False)
        self.bn1 = nn.BatchNorm2d(64)
        self.maxpool = nn.MaxPool2d(3, 2, 1)
        c_in = 64
        for i, c_out in enumerate((64, 128, 256, 512), start=1):
            stride = 1 if i == 1 else 2
            setattr(self, f"layer{i}", nn.Sequential(_TorchvisionBlock(c_in, c_out, stride),
                                                     _TorchvisionBlock(c_out, c_out, 1)))
            c_in = c_out
        self.fc = nn.Linear(512, 1000)

    def features(self, x: torch.Tensor) -> torch.Tensor:
        x = self.maxpool(torch.relu(self.bn1(self.conv1(x))))
        for i in range(1, 5):
            x = getattr(self, f"layer{i}")(x)
        return x.mean(dim=(2, 3))


def torchvision_resnet18(path: Path, seed: int = 0) -> Path:
    """A state dict in torchvision's ResNet-18 layout (random values)."""
    torch.manual_seed(seed)
    path.parent.mkdir(parents=True, exist_ok=True)
    torch.save(TorchvisionResNet18().state_dict(), path)
    return path


def keras_notop(folder: Path, backbone: str, side: int = 32) -> Path:
    """keras.applications ``backbone`` without its top, random weights, saved in the legacy
    HDF5 layout and under the file name Keras' own ImageNet file has."""
    import h5py
    import keras
    from keras.src.legacy.saving import legacy_h5_format

    from imbench.classify.applications import APPLICATIONS, notop_file

    ctor = getattr(keras.applications, APPLICATIONS[backbone][0])
    model = ctor(include_top=False, weights=None, input_shape=(side, side, 3), pooling="avg")
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / notop_file(backbone)
    with h5py.File(path, "w") as f, warnings.catch_warnings():
        # Keras' legacy writer passes copy=False to __array__ (NumPy 2 warns, per weight)
        warnings.filterwarnings("ignore", message="__array__ implementation",
                                category=DeprecationWarning)
        legacy_h5_format.save_weights_to_hdf5_group(f, model)
    return path
