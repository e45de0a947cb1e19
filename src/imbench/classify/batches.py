"""The training stream of a Keras classifier when it is more than shuffled arrays: random
crop and flip, mixup / remix, and class-balanced sampling (cRT).

Every batch is a pure function of ``(seed, stage, epoch, batch index)``, so the same seed
gives the same stream on any backend. Imports Keras only inside :func:`train_batches`.

* ``augmentation: crop_flip`` — the CIFAR recipe (He et al. 2016, as in kaidic/LDAM-DRW's
  ``RandomCrop(32, padding=4)`` + ``RandomHorizontalFlip``): zero-pad ``crop_padding`` pixels
  on each side, crop back to the image size at a uniform offset, flip left-right with
  probability 1/2; per image.
* ``mixing: mixup`` — Zhang et al. 2018: one ``λ ~ Beta(α, α)`` per batch (``mixup_alpha``),
  ``x = λ x_i + (1 - λ) x_j`` with ``j`` a permutation of the batch, the loss
  ``λ L(y_i) + (1 - λ) L(y_j)`` (as facebookresearch/mixup-cifar10).
* ``mixing: remix`` — Chou et al. 2020: images mixed as mixup, the label weight
  ``λ_y = 0`` if ``n_i / n_j >= κ`` and ``λ < τ``, ``λ_y = 1`` if ``n_i / n_j <= 1 / κ`` and
  ``1 - λ < τ``, else ``λ`` (``remix_kappa`` 3, ``remix_tau`` 0.5; ``n`` the training
  counts), so a mix dominated by a majority image is labelled with the minority class.
* ``sampler: class_balanced`` — Kang et al. 2020's class-balanced sampling: each draw picks
  a class uniformly, then one of its images uniformly (with replacement), ``n`` draws an
  epoch.

Labels of a mixed stream are ``(N, 3)`` float32 rows ``(y_i, y_j, λ_y)``; the loss of
:class:`~imbench.classify.losses.Objective` reads them (``mixed=True``).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

AUGMENTATIONS = ("none", "crop_flip")
MIXING = ("none", "mixup", "remix")
SAMPLERS = ("instance", "class_balanced")


def crop_flip(x: np.ndarray, rng: np.random.Generator, padding: int) -> np.ndarray:
    """Zero-pad, random-crop back to size and random horizontal flip, per image (uint8 in,
    uint8 out)."""
    n, h, w = x.shape[:3]
    padded = np.pad(x, ((0, 0), (padding, padding), (padding, padding), (0, 0)))
    dy = rng.integers(0, 2 * padding + 1, size=n)
    dx = rng.integers(0, 2 * padding + 1, size=n)
    rows = dy[:, None] + np.arange(h)[None, :]  # (n, h)
    cols = dx[:, None] + np.arange(w)[None, :]  # (n, w)
    flip = rng.random(n) < 0.5
    cols = np.where(flip[:, None], cols[:, ::-1], cols)
    return padded[np.arange(n)[:, None, None], rows[:, :, None], cols[:, None, :]]


def remix_label_weight(lam: float, n_i: np.ndarray, n_j: np.ndarray, kappa: float,
                       tau: float) -> np.ndarray:
    """Chou et al.'s label weight of image ``i`` for a mix ``λ x_i + (1 - λ) x_j``."""
    ratio = np.asarray(n_i, np.float64) / np.asarray(n_j, np.float64)
    out = np.full(ratio.shape, lam, np.float64)
    out[(ratio >= kappa) & (lam < tau)] = 0.0
    out[(ratio <= 1.0 / kappa) & (1.0 - lam < tau)] = 1.0
    return out


class BatchPlan:
    """What one training stream does; ``batch(epoch, i)`` is ``(x, y)`` of batch ``i``."""

    def __init__(self, x: np.ndarray, y: np.ndarray, *, batch_size: int, seed: int | None,
                 counts: Sequence[int], augmentation: str = "none", crop_padding: int = 4,
                 mixing: str = "none", mixup_alpha: float = 1.0, remix_kappa: float = 3.0,
                 remix_tau: float = 0.5, sampler: str = "instance", stage: int = 0) -> None:
        self.x, self.y = x, np.asarray(y, np.int64)
        self.batch_size, self.seed, self.stage = batch_size, 0 if seed is None else seed, stage
        self.counts = np.maximum(np.asarray(counts, np.int64), 1)
        self.augmentation, self.crop_padding = augmentation, crop_padding
        self.mixing, self.alpha = mixing, mixup_alpha
        self.kappa, self.tau = remix_kappa, remix_tau
        self.sampler = sampler
        self._epoch: int | None = None
        self._order = np.zeros(0, np.int64)

    @property
    def mixed(self) -> bool:
        return self.mixing != "none"

    @property
    def num_batches(self) -> int:
        return math.ceil(len(self.y) / self.batch_size)

    def _rng(self, *key: int) -> np.random.Generator:
        return np.random.default_rng([self.seed, self.stage, *key])

    def order(self, epoch: int) -> np.ndarray:
        """The epoch's image indices: a permutation, or class-balanced draws."""
        if self._epoch != epoch:
            rng = self._rng(epoch)
            if self.sampler == "class_balanced":
                present = np.unique(self.y)
                members = [np.flatnonzero(self.y == c) for c in present]
                cls = rng.integers(0, len(present), size=len(self.y))
                pick = rng.random(len(self.y))
                sizes = np.array([len(m) for m in members])
                within = np.minimum((pick * sizes[cls]).astype(np.int64), sizes[cls] - 1)
                offsets = np.concatenate([[0], np.cumsum(sizes)[:-1]])
                self._order = np.concatenate(members)[offsets[cls] + within]
            else:
                self._order = rng.permutation(len(self.y))
            self._epoch = epoch
        return self._order

    def batch(self, epoch: int, i: int) -> tuple[np.ndarray, np.ndarray]:
        idx = self.order(epoch)[i * self.batch_size:(i + 1) * self.batch_size]
        rng = self._rng(epoch, i + 1)
        x, y = self.x[idx], self.y[idx]
        if self.augmentation == "crop_flip":
            x = crop_flip(x, rng, self.crop_padding)
        if not self.mixed:
            return x, y
        lam = float(rng.beta(self.alpha, self.alpha)) if self.alpha > 0 else 1.0
        perm = rng.permutation(len(idx))
        xf = x.astype(np.float32)
        x_mix = lam * xf + (1.0 - lam) * xf[perm]
        if self.mixing == "remix":
            lam_y = remix_label_weight(lam, self.counts[y], self.counts[y[perm]], self.kappa,
                                       self.tau)
        else:
            lam_y = np.full(len(idx), lam)
        labels = np.stack([y, y[perm], lam_y], axis=1).astype(np.float32)
        return x_mix, labels


def unmixed_labels(y: np.ndarray) -> np.ndarray:
    """Validation labels in the mixed format: ``(y, y, 1)``."""
    y = np.asarray(y, np.float32)
    return np.stack([y, y, np.ones_like(y)], axis=1)


def train_batches(plan: BatchPlan) -> Any:
    """A ``keras.utils.PyDataset`` serving ``plan``; the epoch advances in
    ``on_epoch_begin``, which Keras calls before it draws the epoch's first batch."""
    import keras

    class Batches(keras.utils.PyDataset):
        def __init__(self) -> None:
            super().__init__(workers=1, use_multiprocessing=False)
            self.epoch = 0
            self.started = False

        @property
        def num_batches(self) -> int:
            return plan.num_batches

        def __len__(self) -> int:
            return plan.num_batches

        def on_epoch_begin(self) -> None:
            if self.started:
                self.epoch += 1
            self.started = True

        def __getitem__(self, i: int) -> tuple[np.ndarray, np.ndarray]:
            return plan.batch(self.epoch, int(i))

    return Batches()
