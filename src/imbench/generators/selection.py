"""Choosing the epoch to sample from, by a number instead of by eye (seed 000 §4.3).

Each checkpoint is scored with the Kernel Inception Distance recipe (Binkowski et al. 2018:
unbiased MMD^2 with the cubic polynomial kernel) between generated images and *held-out* real
images of the class, in the feature space of a fixed, seeded, randomly initialised conv net.
``selection`` may name another of quality.json's measures instead (``fid``, ``precision``,
``recall``, ``density``, ``coverage``; :data:`SELECTION_METRICS`), computed by the same
library calls as quality.json (:func:`imbench.quality.fid_of_features`,
:func:`imbench.quality.prdc_of_features`); the higher-is-better ones are negated, so the
lowest score wins for every measure, and the noise-aware rule below applies to each.

Why these choices:
* KID rather than FID: the held-out set of a minority class can hold a handful of images; the
  unbiased MMD estimator has no covariance matrix to estimate and is unbiased at any size.
* MMD also rewards diversity (a collapsed generator is far from the real distribution), so the
  score does not pick a memorising or mode-collapsed epoch.
* Random conv features work offline and, being frozen, score every epoch on the same scale
  (random-network features track sample quality well: Naeem et al. 2020). The reference
  classifier is kept out of this on purpose: it judges the result in quality.json, and
  choosing the epoch with it would grade the generator with its own selection criterion.
* The lowest score is not taken at face value: with a handful of held-out images the scores
  of neighbouring checkpoints differ by less than their noise, and the plain minimum then
  picks an early, under-trained epoch by chance. ``choose_epoch`` takes the *latest*
  checkpoint whose score is within ``tolerance`` standard errors of the lowest (the
  one-standard-error rule of Breiman et al. 1984, leaning towards longer training). The
  standard error is the two-sample jackknife of the *paired* difference (Arvesen 1969): every
  checkpoint is scored against the same real images with the same noise, so leaving out
  real image i (or noise vector j) at both epochs gives the difference's leave-one-out
  values, and the real-real term, common to both, cancels. For the other measures, which have
  no cheap leave-one-out form, the jackknife deletes one of at most ``JACKKNIFE_GROUPS``
  groups of images at a time (the delete-a-group jackknife; the groups are the same at every
  epoch, so the pairing holds).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from torch import nn

from ..measures import HIGHER_IS_BETTER, PRDC_K, SELECTION_METRICS

FEATURE_SPACE = "random-conv-v1: frozen seeded conv net (32-64-128 channels, LeakyReLU, " \
    "4x4 adaptive average pool, 2048-d)"


class RandomFeatures(nn.Module):
    """Frozen random conv features; seed 0 always, so scores are comparable across runs."""

    def __init__(self, channels: int) -> None:
        super().__init__()
        g = torch.Generator().manual_seed(0)
        self.net = nn.Sequential(
            nn.Conv2d(channels, 32, 3, 1, 1), nn.LeakyReLU(0.2),
            nn.Conv2d(32, 64, 3, 2, 1), nn.LeakyReLU(0.2),
            nn.Conv2d(64, 128, 3, 2, 1), nn.LeakyReLU(0.2),
            nn.AdaptiveAvgPool2d(4), nn.Flatten(),
        )
        with torch.no_grad():
            for m in self.net:
                if isinstance(m, nn.Conv2d):
                    fan_in = m.weight[0].numel()
                    m.weight.copy_(torch.randn(m.weight.shape, generator=g) * (2 / fan_in) ** 0.5)
                    m.bias.zero_()
        self.requires_grad_(False)
        self.eval()

    @torch.no_grad()
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.cat([self.net(x[i:i + 256].float()) for i in range(0, len(x), 256)])


class ReferenceFeatures(nn.Module):
    """The reference classifier's penultimate layer as the epoch choice's feature space
    (``selection_features: reference``); takes the float images in [-1, 1] it scores."""

    def __init__(self, model: nn.Module) -> None:
        super().__init__()
        self.model = model.eval().requires_grad_(False)

    @torch.no_grad()
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.cat([self.model.features(x[i:i + 256].float())
                          for i in range(0, len(x), 256)])


#: at most this many leave-a-group-out values per side for the measures other than KID
JACKKNIFE_GROUPS = 10


def score_name(metric: str) -> str:
    """How a measure's score is named in logs and selection.json: ``KID``, ``FID``, or the
    negated ``-precision`` etc."""
    return f"-{metric}" if metric in HIGHER_IS_BETTER else metric.upper()


def score_method(metric: str) -> str:
    """How a measure is computed, for selection.json's reason."""
    if metric == "kid":
        return "unbiased MMD^2, cubic kernel"
    if metric == "fid":
        return "Fréchet distance, torchmetrics"
    return f"{metric} of Kynkäänniemi et al. / Naeem et al. (prdc, k = {PRDC_K}), negated"


@dataclass(frozen=True)
class Score:
    """A checkpoint's score (lower is better) and its leave-one-out values (for the
    jackknife in ``choose_epoch``).

    ``loo_real[i]``: the estimate without real image (or group of images) i, empty when too
    few are left to compute it (KID's real-real term needs two); ``loo_fake[j]``: without
    generated image (or group) j.
    """

    value: float
    loo_real: list[float]
    loo_fake: list[float]


def kid(real: torch.Tensor, fake: torch.Tensor) -> float:
    """Unbiased MMD^2 with k(a, b) = (a.b / d + 1)^3 between two feature sets (n, m >= 2)."""
    return kid_with_loo(real, fake).value


def metric_score(metric: str, real: torch.Tensor, fake: torch.Tensor) -> float | None:
    """``metric`` (one of :data:`SELECTION_METRICS` other than KID) between two feature sets
    as a score, lower is better; None when a set is too small for it."""
    from ..quality import fid_of_features, prdc_of_features

    real, fake = real.detach().cpu(), fake.detach().cpu()
    if metric == "fid":
        return fid_of_features(real, fake) if min(len(real), len(fake)) >= 2 else None
    if min(len(real), len(fake)) <= PRDC_K:
        return None
    return -prdc_of_features(real, fake, PRDC_K)[metric]


def metric_with_loo(metric: str, real: torch.Tensor, fake: torch.Tensor,
                    groups: int = JACKKNIFE_GROUPS) -> Score | None:
    """``metric``'s score and its delete-a-group values: the rows of each side in at most
    ``groups`` contiguous groups, one left out at a time (none where too few rows would be
    left). None when the sets are too small for the measure at all."""
    if metric == "kid":
        return kid_with_loo(real, fake)
    value = metric_score(metric, real, fake)
    if value is None:
        return None

    def leave_out(x: torch.Tensor, other: torch.Tensor, real_side: bool) -> list[float]:
        out = []
        for part in np.array_split(np.arange(len(x)), min(groups, len(x))):
            rest = x[np.setdiff1d(np.arange(len(x)), part)]
            v = (metric_score(metric, rest, other) if real_side
                 else metric_score(metric, other, rest))
            if v is None:
                return []
            out.append(v)
        return out if len(out) >= 2 else []

    return Score(value, leave_out(real, fake, True), leave_out(fake, real, False))


def kid_with_loo(real: torch.Tensor, fake: torch.Tensor) -> Score:
    """``kid`` and its leave-one-out values, from the same three kernel matrices."""
    real, fake = real.double(), fake.double()
    d = real.shape[1]
    k_rr = (real @ real.T / d + 1) ** 3
    k_ff = (fake @ fake.T / d + 1) ** 3
    k_rf = (real @ fake.T / d + 1) ** 3
    n, m = len(real), len(fake)
    rows_rr = k_rr.sum(1) - k_rr.diagonal()  # off-diagonal row sums
    rows_ff = k_ff.sum(1) - k_ff.diagonal()
    s_rr, s_ff, s_rf = rows_rr.sum(), rows_ff.sum(), k_rf.sum()
    term_rr = s_rr / (n * (n - 1))
    term_ff = s_ff / (m * (m - 1))
    value = term_rr + term_ff - 2 * s_rf / (n * m)
    loo_real: list[float] = []
    if n >= 3:
        rr = (s_rr - 2 * rows_rr) / ((n - 1) * (n - 2))
        loo_real = (rr + term_ff - 2 * (s_rf - k_rf.sum(1)) / ((n - 1) * m)).tolist()
    loo_fake: list[float] = []
    if m >= 3:
        ff = (s_ff - 2 * rows_ff) / ((m - 1) * (m - 2))
        loo_fake = (term_rr + ff - 2 * (s_rf - k_rf.sum(0)) / (n * (m - 1))).tolist()
    return Score(float(value), loo_real, loo_fake)


def _jackknife_var(loo: np.ndarray) -> float:
    """Jackknife variance from leave-one-out values: (n - 1) / n * sum (v_i - mean)^2."""
    n = len(loo)
    return float((n - 1) / n * np.sum((loo - loo.mean()) ** 2)) if n >= 2 else 0.0


def difference_se(a: Mapping[str, Mapping[str, Any]], b: Mapping[str, Mapping[str, Any]]
                  ) -> float:
    """Jackknife standard error of mean-over-classes KID(a) - KID(b), paired by image.

    ``a``, ``b``: class -> {"loo_real": [...], "loo_fake": [...]} of two checkpoints scored on
    the same real images and noise. Classes are independent: variances add, over C^2.
    """
    var = 0.0
    for c in a:
        for part in ("loo_real", "loo_fake"):
            d = np.asarray(a[c][part], dtype=float) - np.asarray(b[c][part], dtype=float)
            var += _jackknife_var(d)
    return float(np.sqrt(var) / len(a))


def choose_epoch(scores: Mapping[int, Mapping[str, Mapping[str, Any]]], tolerance: float
                 ) -> dict[str, Any]:
    """The latest checkpoint whose mean score is within ``tolerance`` SEs of the lowest.

    ``scores``: epoch -> class -> {"score": value, "loo_real": [...], "loo_fake": [...]}.
    ``tolerance`` 0 takes the lowest score (ties: the later epoch). Returns the chosen and
    lowest epochs, the mean score per epoch, and each later epoch's difference and SE.
    """
    mean = {e: float(np.mean([s["score"] for s in by_class.values()]))
            for e, by_class in scores.items()}
    lowest = min(mean, key=lambda e: (mean[e], -e))
    chosen, gaps = lowest, {}
    for e in sorted(mean):
        if e <= lowest:
            continue
        diff = mean[e] - mean[lowest]
        se = difference_se(scores[e], scores[lowest])
        gaps[e] = {"difference": diff, "se": se}
        if diff <= tolerance * se:
            chosen = e
    return {"chosen_epoch": chosen, "lowest_epoch": lowest, "mean": mean, "gaps": gaps}


class CheckpointScorer:
    """Scores a generator against fixed held-out real images, one group per class."""

    def __init__(self, holdout: dict[int, torch.Tensor], channels: int, device: torch.device,
                 features: nn.Module | None = None, metric: str = "kid"):
        """``holdout``: class -> float images in [-1, 1], NCHW (enough per class for the
        measure: 2 for KID and FID, more than k for precision/recall/density/coverage).
        ``features``: the feature space (float images in, features out); default the frozen
        random conv net. ``metric``: one of :data:`SELECTION_METRICS`."""
        if metric not in SELECTION_METRICS:
            raise ValueError(f"selection metric {metric!r}; allowed: {SELECTION_METRICS}")
        self.metric = metric
        self.features = (features if features is not None else RandomFeatures(channels)).to(
            device)
        need = 2 if metric in ("kid", "fid") else PRDC_K + 1
        self.real = {c: self.features(x.to(device)) for c, x in holdout.items()
                     if len(x) >= need}

    @property
    def usable(self) -> bool:
        return bool(self.real)

    def score(self, fake_by_class: dict[int, torch.Tensor]) -> dict[int, Score]:
        out = {}
        for c in self.real:
            s = metric_with_loo(self.metric, self.real[c], self.features(fake_by_class[c]))
            if s is not None:
                out[c] = s
        return out
