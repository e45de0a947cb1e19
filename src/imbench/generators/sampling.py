"""Loading trained generators (``generator.pt`` of one or more units) and sampling from them."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import torch

from ..errors import DataError
from . import GENERATORS
from .train import FORMAT_VERSION, resolve_device, to_uint8


class _Model:
    def __init__(self, payload: dict[str, Any], device: torch.device) -> None:
        self.method = payload["method"]
        self.shape = tuple(payload["shape"])
        self.epoch = int(payload["epoch"])
        self.n_classes = int(payload["n_classes"])
        self.conditional = GENERATORS[self.method].conditional
        cls = GENERATORS[self.method].load()
        # a bare instance only to reuse the method's latent sampling (BAGAN's Gaussians)
        self.m = cls.__new__(cls)
        self.m.cfg, self.m.shape, self.m.device = payload["cfg"], self.shape, device
        self.m.conditional = self.conditional
        self.m.n_classes = self.n_classes
        self.m.latent_dim = int(payload["cfg"].get("latent_dim", 0))  # none for diffusion
        self.m.G = cls.make_generator(payload["cfg"], self.shape, self.n_classes)
        self.m.G.load_state_dict(payload["G"])
        self.m.G.to(device).eval()
        self.m.load_extra_state(payload["extra"])


def generator_record(path: str | os.PathLike[str]) -> dict[str, Any] | None:
    """The record (:mod:`imbench.records`) stored in a ``generator.pt``, None if it has none."""
    file = Path(path)
    if not file.is_file():
        raise DataError(f"generator not found: {file}")
    try:
        data = torch.load(file, map_location="cpu", weights_only=True)
    except Exception as exc:  # torch raises many types for a truncated or foreign file
        raise DataError(f"{file}: not a generator.pt torch file, or truncated "
                        f"({type(exc).__name__}: {exc}); delete it and rerun") from exc
    return data.get("record") if isinstance(data, dict) else None


class GeneratorSet:
    """Every model of one or more units (``{unit: generator.pt}``), addressed by class."""

    def __init__(self, paths: Mapping[str, str | os.PathLike[str]] | list[Any],
                 device: str = "auto") -> None:
        self.device = resolve_device(device)
        self.per_class: dict[int, _Model] = {}
        self.conditional: _Model | None = None
        items = paths.items() if isinstance(paths, Mapping) else enumerate(paths)
        for unit, path in items:
            file = Path(path)
            if not file.is_file():
                raise DataError(f"generator of unit {unit!r} not found: {file}")
            data = torch.load(file, map_location="cpu", weights_only=True)
            if data.get("format") != FORMAT_VERSION:
                raise DataError(f"{file}: format {data.get('format')!r}, expected "
                                f"{FORMAT_VERSION}")
            for key, payload in data["models"].items():
                model = _Model(payload, self.device)
                if key == "conditional":
                    self.conditional = model
                else:
                    self.per_class[int(key.removeprefix("class"))] = model

    @property
    def classes(self) -> list[int]:
        if self.conditional is not None:
            return list(range(self.conditional.n_classes))
        return sorted(self.per_class)

    def model_for(self, cls: int) -> _Model:
        if cls in self.per_class:
            return self.per_class[cls]
        if self.conditional is not None and 0 <= cls < self.conditional.n_classes:
            return self.conditional
        raise DataError(f"no trained generator for class {cls}; have classes {self.classes}")

    @torch.no_grad()
    def sample(self, cls: int, n: int, seed: int, batch_size: int = 512) -> np.ndarray:
        """``n`` uint8 NHWC images of class ``cls``; the noise comes from a CPU generator
        seeded with ``seed``, so the same seed gives the same images on any device."""
        model = self.model_for(cls)
        label = cls if model.conditional else 0
        gen = torch.Generator().manual_seed(int(seed))
        out = []
        for i in range(0, n, batch_size):
            k = min(batch_size, n - i)
            y = torch.full((k,), label, dtype=torch.int64, device=self.device)
            z = model.m.sample_latent(k, y, gen)
            out.append(to_uint8(model.m.generate(z, y)))
        if not out:
            h, w, c = model.shape
            return np.zeros((0, h, w, c), dtype=np.uint8)
        return np.concatenate(out)
