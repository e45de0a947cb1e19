"""The reference classifier of generator quality: a small torch CNN trained once per data set
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

DEFAULTS: dict[str, Any] = {"epochs": 5, "batch_size": 128, "lr": 1e-3, "feature_dim": 128,
                            "val_fraction": 0.1}


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


def _nchw(x: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(np.ascontiguousarray(x.transpose(0, 3, 1, 2)))


def train_reference(x: np.ndarray, y: np.ndarray, *, seed: int = 0,
                    params: dict[str, Any] | None = None, log: Any = print
                    ) -> dict[str, Any]:
    """Train on a seeded (1 - val_fraction) split of the balanced training set and return the
    payload saved as ``classifier.pt`` (weights, shape, and held-out validation accuracy)."""
    from ..errors import ConfigError

    p = dict(DEFAULTS)
    for k, v in (params or {}).items():
        if k not in p:
            raise ConfigError(f"reference.{k}", v, sorted(p))
        p[k] = v
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    y = y.astype(np.int64)
    n_classes = int(y.max()) + 1
    perm = rng.permutation(len(y))
    n_val = int(round(p["val_fraction"] * len(y)))
    val, tr = perm[:n_val], perm[n_val:]
    xt, yt = _nchw(x[tr]), torch.from_numpy(y[tr])
    model = ReferenceCNN(x.shape[3], n_classes, int(p["feature_dim"]))
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
            "shape": list(x.shape[1:]), "feature_dim": int(p["feature_dim"]), "params": p,
            "val_accuracy": val_acc, "n_train": int(len(tr)), "n_val": int(n_val)}


def save_reference(payload: dict[str, Any], path: str | os.PathLike[str]) -> None:
    with atomic_path(path) as tmp:
        torch.save(payload, tmp)


def load_reference(path: str | os.PathLike[str]) -> tuple[ReferenceCNN, dict[str, Any]]:
    payload = torch.load(path, map_location="cpu", weights_only=True)
    model = ReferenceCNN(payload["channels"], payload["n_classes"], payload["feature_dim"])
    model.load_state_dict(payload["state"])
    return model.eval(), payload


@torch.no_grad()
def predict(model: ReferenceCNN, x: np.ndarray) -> np.ndarray:
    model.eval()
    t = _nchw(x)
    return torch.cat([model(to_float(t[i:i + 512])).argmax(1)
                      for i in range(0, len(t), 512)]).numpy()


@torch.no_grad()
def features(model: ReferenceCNN, x: np.ndarray) -> np.ndarray:
    """Penultimate-layer activations (the Fréchet distance's feature space), float64."""
    model.eval()
    t = _nchw(x)
    if len(t) == 0:
        return np.zeros((0, model.head.in_features))
    return torch.cat([model.features(to_float(t[i:i + 512]))
                      for i in range(0, len(t), 512)]).double().numpy()
