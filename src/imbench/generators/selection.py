"""Choosing the epoch to sample from, by a number instead of by eye (seed 000 §4.3).

Each checkpoint is scored with the Kernel Inception Distance recipe (Binkowski et al. 2018:
unbiased MMD^2 with the cubic polynomial kernel) between generated images and *held-out* real
images of the class, in the feature space of a fixed, seeded, randomly initialised conv net.

Why these choices:
* KID rather than FID: the held-out set of a minority class can hold a handful of images; the
  unbiased MMD estimator has no covariance matrix to estimate and is unbiased at any size.
* MMD also rewards diversity (a collapsed generator is far from the real distribution), so the
  score does not pick a memorising or mode-collapsed epoch.
* Random conv features work offline and, being frozen, score every epoch on the same scale
  (random-network features track sample quality well: Naeem et al. 2020). The reference
  classifier is kept out of this on purpose: it judges the result in quality.json, and
  choosing the epoch with it would grade the generator with its own selection criterion.
"""

from __future__ import annotations

import torch
from torch import nn

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


def kid(real: torch.Tensor, fake: torch.Tensor) -> float:
    """Unbiased MMD^2 with k(a, b) = (a.b / d + 1)^3 between two feature sets (n, m >= 2)."""
    real, fake = real.double(), fake.double()
    d = real.shape[1]
    k_rr = (real @ real.T / d + 1) ** 3
    k_ff = (fake @ fake.T / d + 1) ** 3
    k_rf = (real @ fake.T / d + 1) ** 3
    n, m = len(real), len(fake)
    term_rr = (k_rr.sum() - k_rr.diagonal().sum()) / (n * (n - 1))
    term_ff = (k_ff.sum() - k_ff.diagonal().sum()) / (m * (m - 1))
    return float(term_rr + term_ff - 2 * k_rf.mean())


class CheckpointScorer:
    """Scores a generator against fixed held-out real images, one group per class."""

    def __init__(self, holdout: dict[int, torch.Tensor], channels: int, device: torch.device):
        """``holdout``: class -> float images in [-1, 1], NCHW (at least 2 per class)."""
        self.features = RandomFeatures(channels).to(device)
        self.real = {c: self.features(x.to(device)) for c, x in holdout.items() if len(x) >= 2}

    @property
    def usable(self) -> bool:
        return bool(self.real)

    def score(self, fake_by_class: dict[int, torch.Tensor]) -> dict[int, float]:
        return {c: kid(self.real[c], self.features(fake_by_class[c])) for c in self.real}
