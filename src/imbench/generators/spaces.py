"""Label spaces: how a trained model's labels stand for the dataset's classes.

Chosen once per model (:func:`label_space`), so the training loop never asks which kind of
model it trains:

* :class:`PerClass` — one model per class (seed 000's design): every image it sees has label
  0, its scores and figures belong to that one class;
* :class:`Conditional` — one model for every class: labels are the classes;
* :class:`Translation` — a per-class model that maps images of a source (another class, or a
  folder of images) into its class (CycleGAN): its grids show source/translation pairs.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import torch

from ..io import array_digest
from .methods import GanMethod, eval_mode


@torch.no_grad()
def generate_images(method: GanMethod, labels: torch.Tensor, generator: torch.Generator
                    ) -> torch.Tensor:
    """Eval-mode samples (batch-norm running statistics), drawn from ``generator`` so that
    grids and scores never consume the training RNG stream."""
    with eval_mode(method.G):
        out = []
        for i in range(0, len(labels), 256):
            yb = labels[i:i + 256].to(method.device)
            out.append(method.generate(method.sample_latent(len(yb), yb, generator), yb).float())
        return torch.cat(out)


@torch.no_grad()
def generate_pairs(method: GanMethod, n: int, generator: torch.Generator) -> torch.Tensor:
    """``n`` source images of a translating method, each followed by its translation."""
    with eval_mode(method.G):
        return method.pairs(method.sample_latent(n, None, generator)).float()  # type: ignore[attr-defined]


class PerClass:
    """One model for the job's class ``classes[0]``; it sees label 0 for every image."""

    def __init__(self, classes: Sequence[int]) -> None:
        self.classes = list(classes)

    @property
    def n_labels(self) -> int:
        return 1

    @property
    def scored(self) -> list[int]:
        """The model labels whose held-out images score the epochs."""
        return [0]

    def labels(self, y: np.ndarray) -> np.ndarray:
        return np.zeros(len(y), dtype=np.int64)

    def class_of(self, label: int) -> str:
        """The dataset class a model label stands for (scores are keyed by it)."""
        return str(self.classes[0])

    def grid(self, size: int) -> tuple[torch.Tensor, int]:
        """The labels of a sample grid and its number of rows."""
        return torch.zeros(size * size, dtype=torch.int64), size

    def grid_images(self, method: GanMethod, labels: torch.Tensor,
                    generator: torch.Generator) -> torch.Tensor:
        return generate_images(method, labels, generator)

    def attach(self, method: GanMethod) -> None:
        """Give the method what it maps from (only a translation has anything)."""

    def fingerprint(self) -> str | None:
        return None

    def record(self) -> dict[str, Any]:
        """What selection.json says of the model's source, if any."""
        return {}

    def what(self, score: str) -> str:
        return f"{score} of class {self.classes[0]}"


class Conditional(PerClass):
    """One model for all ``n_classes``; ``classes`` are those whose images are scored."""

    def __init__(self, classes: Sequence[int], n_classes: int) -> None:
        super().__init__(classes)
        self.n_classes = n_classes

    @property
    def n_labels(self) -> int:
        return self.n_classes

    @property
    def scored(self) -> list[int]:
        return list(self.classes)

    def labels(self, y: np.ndarray) -> np.ndarray:
        return y

    def class_of(self, label: int) -> str:
        return str(label)

    def grid(self, size: int) -> tuple[torch.Tensor, int]:
        return torch.arange(self.n_classes).repeat_interleave(size), self.n_classes

    def what(self, score: str) -> str:
        return f"mean {score} over classes {self.classes}"


class Translation(PerClass):
    """A per-class model translating ``source`` = (its class or folder, uint8 NHWC images)."""

    def __init__(self, classes: Sequence[int], source: tuple[int | str, np.ndarray]) -> None:
        super().__init__(classes)
        self.source = source

    def grid_images(self, method: GanMethod, labels: torch.Tensor,
                    generator: torch.Generator) -> torch.Tensor:
        return generate_pairs(method, len(labels) // 2, generator)

    def attach(self, method: GanMethod) -> None:
        images = np.ascontiguousarray(self.source[1].transpose(0, 3, 1, 2))
        method.set_source(torch.from_numpy(images))  # type: ignore[attr-defined]

    def fingerprint(self) -> str | None:
        return array_digest(self.source[1])

    def record(self) -> dict[str, Any]:
        where = ({"folder": self.source[0]} if isinstance(self.source[0], str)
                 else {"class": self.source[0]})
        return {"source": {**where, "images": len(self.source[1]),
                           "grids": "source image, its translation, ... in each row"}}


def label_space(conditional: bool, classes: Sequence[int], n_classes: int,
                source: tuple[int | str, np.ndarray] | None = None) -> PerClass:
    """The label space of one model."""
    if conditional:
        return Conditional(classes, n_classes)
    return PerClass(classes) if source is None else Translation(classes, source)
