"""The reference classifier of generator quality: a small torch CNN (or, ``arch: resnet18``,
seed 001's ResNet-18 judge) trained once per data set
on the real, balanced training images (``x_train``/``y_train`` of ``data/raw/{dataset}.npz``;
never the test set). It judges generated images (seed 001 Table 5: accuracy on generated
images) and gives the feature space of the Fréchet distance (its penultimate layer)."""

from __future__ import annotations

import os
from typing import Any

import numpy as np
import torch
from torch import nn

from ..io import atomic_path
from .methods import to_float
from .parameters import REFERENCE


class ReferenceCNN(nn.Module):
    """conv32 -> conv64/2 -> conv128/2 -> 2x2 avg pool -> Linear(feature_dim) -> Linear(K).
    Adaptive pooling makes it work for any input size from 8x8 up."""

    def __init__(self, channels: int, n_classes: int, feature_dim: int = 128) -> None:
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv2d(channels, 32, 3, 1, 1), nn.ReLU(),
            nn.Conv2d(32, 64, 3, 2, 1), nn.ReLU(),
            nn.Conv2d(64, 128, 3, 2, 1), nn.ReLU(),
            nn.AdaptiveAvgPool2d(2), nn.Flatten(),
            nn.Linear(512, feature_dim), nn.ReLU(),
        )
        self.head = nn.Linear(feature_dim, n_classes)

    def features(self, x: torch.Tensor) -> torch.Tensor:
        return self.body(x)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.body(x))


class _Block(nn.Module):
    """ResNet basic block: two 3x3 convs with batch norm, projection shortcut on a change."""

    def __init__(self, c_in: int, c_out: int, stride: int) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(c_in, c_out, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(c_out)
        self.conv2 = nn.Conv2d(c_out, c_out, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(c_out)
        self.shortcut = nn.Sequential()
        if stride != 1 or c_in != c_out:
            self.shortcut = nn.Sequential(nn.Conv2d(c_in, c_out, 1, stride, bias=False),
                                          nn.BatchNorm2d(c_out))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = torch.relu(self.bn1(self.conv1(x)))
        return torch.relu(self.bn2(self.conv2(h)) + self.shortcut(x))


class ReferenceResNet18(nn.Module):
    """ResNet-18 (He et al.; [2, 2, 2, 2] basic blocks of 64-512 channels) with the small-
    image stem (one 3x3 conv, no max pool), as is usual for 28-32 px images; its features
    are the 512-d global average pool."""

    def __init__(self, channels: int, n_classes: int) -> None:
        super().__init__()
        layers: list[nn.Module] = [nn.Conv2d(channels, 64, 3, 1, 1, bias=False),
                                   nn.BatchNorm2d(64), nn.ReLU()]
        c_in = 64
        for i, c_out in enumerate((64, 128, 256, 512)):
            layers += [_Block(c_in, c_out, 1 if i == 0 else 2), _Block(c_out, c_out, 1)]
            c_in = c_out
        self.body = nn.Sequential(*layers, nn.AdaptiveAvgPool2d(1), nn.Flatten())
        self.head = nn.Linear(512, n_classes)

    def features(self, x: torch.Tensor) -> torch.Tensor:
        return self.body(x)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.body(x))


def build_reference(arch: str, channels: int, n_classes: int, feature_dim: int) -> nn.Module:
    if arch == "resnet18":
        return ReferenceResNet18(channels, n_classes)
    return ReferenceCNN(channels, n_classes, feature_dim)


def _nchw(x: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(np.ascontiguousarray(x.transpose(0, 3, 1, 2)))


def train_reference(x: np.ndarray, y: np.ndarray, *, seed: int = 0,
                    params: dict[str, Any] | None = None, log: Any = print
                    ) -> dict[str, Any]:
    """Train on a seeded (1 - val_fraction) split of the balanced training set and return the
    payload saved as ``classifier.pt`` (weights, shape, and held-out validation accuracy)."""
    p = REFERENCE.resolve(params, "reference_classifier")
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    y = y.astype(np.int64)
    n_classes = int(y.max()) + 1
    perm = rng.permutation(len(y))
    n_val = int(round(p["val_fraction"] * len(y)))
    val, tr = perm[:n_val], perm[n_val:]
    xt, yt = _nchw(x[tr]), torch.from_numpy(y[tr])
    model = build_reference(p["arch"], x.shape[3], n_classes, int(p["feature_dim"]))
    opt = torch.optim.Adam(model.parameters(), lr=float(p["lr"]))
    bs = int(p["batch_size"])
    for epoch in range(1, int(p["epochs"]) + 1):
        model.train()
        order = torch.from_numpy(rng.permutation(len(tr)))
        total = 0.0
        for i in range(0, len(order), bs):
            idx = order[i:i + bs]
            loss = nn.functional.cross_entropy(model(to_float(xt[idx])), yt[idx])
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            total += float(loss.detach()) * len(idx)
        log(f"reference epoch {epoch}: loss {total / len(tr):.4f}")
    val_acc = float((predict(model, x[val]) == y[val]).mean()) if n_val else None
    log(f"reference validation accuracy {val_acc}")
    return {"state": model.state_dict(), "channels": int(x.shape[3]), "n_classes": n_classes,
            "shape": list(x.shape[1:]), "arch": p["arch"],
            "feature_dim": 512 if p["arch"] == "resnet18" else int(p["feature_dim"]), "params": p,
            "val_accuracy": val_acc, "n_train": int(len(tr)), "n_val": int(n_val)}


def save_reference(payload: dict[str, Any], path: str | os.PathLike[str]) -> None:
    # a file object: the archive's inner name is then fixed, not the temporary file's
    with atomic_path(path) as tmp, open(tmp, "wb") as fh:
        torch.save(payload, fh)


def load_reference(path: str | os.PathLike[str]) -> tuple[nn.Module, dict[str, Any]]:
    payload = torch.load(path, map_location="cpu", weights_only=True)
    model = build_reference(payload.get("arch", "cnn"), payload["channels"],
                            payload["n_classes"], payload["feature_dim"])
    model.load_state_dict(payload["state"])
    return model.eval(), payload


@torch.no_grad()
def predict(model: nn.Module, x: np.ndarray) -> np.ndarray:
    model.eval()
    t = _nchw(x)
    return torch.cat([model(to_float(t[i:i + 512])).argmax(1)
                      for i in range(0, len(t), 512)]).numpy()


@torch.no_grad()
def features(model: nn.Module, x: np.ndarray) -> np.ndarray:
    """Penultimate-layer activations (the Fréchet distance's feature space), float64."""
    model.eval()
    t = _nchw(x)
    if len(t) == 0:
        return np.zeros((0, model.head.in_features))  # type: ignore[union-attr]
    return torch.cat([model.features(to_float(t[i:i + 512]))
                      for i in range(0, len(t), 512)]).double().numpy()
