"""Feature-space diffusion (LDMLR, Han et al., CVPR workshops 2024): after the classifier
trains, a small class-conditional diffusion model learns the penultimate features of the
training part, samples new features for every class below the largest up to its count, and
the classification layer (``logits``) is trained on real plus synthetic features; every other
layer keeps its weights.

Written in Keras (any backend) with the schedule and DDIM sampling in NumPy:

* the features are standardised per dimension (a dimension that never varies keeps scale 1),
  and samples are mapped back and clipped to each dimension's range in the training part
  (post-ReLU features stay >= 0);
* the denoiser is an MLP (``ldmlr_layers`` x ``ldmlr_hidden`` units, SiLU) of the noisy
  feature, a 64-d sinusoidal embedding of the timestep and the class one-hot; it predicts the
  noise (MSE), Adam at ``ldmlr_lr``, ``ldmlr_epochs`` passes; each pass draws a timestep and a
  noise per feature from the seeded stream, so the same seed gives the same model on CPU;
* linear betas (1e-4 to 0.02) over ``ldmlr_timesteps``; DDIM (eta = 0) in
  ``ldmlr_sampling_steps`` steps;
* the head then trains ``ldmlr_head_epochs`` on the union with plain cross-entropy, from its
  trained weights, at ``ldmlr_head_learning_rate`` (null: ``learning_rate``), with the
  classifier's optimiser, and the last epoch is kept (no model choice on the imbalanced
  validation part, as for cRT).

Differences from their code (AlvinHan123/LDMLR): they use a 1-D U-Net predicting x0 on
unstandardised features and add ``feature_ratio`` x each class's count (at least 5); here an
MLP predicts the noise, and the synthetic features fill each class up to the largest (the
rebalancing every other remedy here does).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

EMBED = 64


def timestep_embedding(t: np.ndarray, dim: int = EMBED) -> np.ndarray:
    """Sinusoidal embedding of integer timesteps (Vaswani et al.; Ho et al.'s U-Net)."""
    half = dim // 2
    freqs = np.exp(-math.log(10000.0) * np.arange(half) / half)
    args = np.asarray(t, np.float64)[:, None] * freqs[None]
    return np.concatenate([np.sin(args), np.cos(args)], 1).astype(np.float32)


def alpha_bars(timesteps: int) -> np.ndarray:
    """Cumulative products of 1 - beta for Ho et al.'s linear schedule."""
    betas = np.linspace(1e-4, 0.02, timesteps, dtype=np.float64)
    return np.cumprod(1.0 - betas)


class FeatureDiffusion:
    """The denoiser and the standardisation of one feature set (module doc)."""

    def __init__(self, dim: int, n_classes: int, p: dict[str, Any], seed: int) -> None:
        import keras

        self.dim, self.n_classes, self.p, self.seed = dim, n_classes, p, seed
        self.abar = alpha_bars(int(p["ldmlr_timesteps"]))
        feats = keras.Input((dim,), name="noisy")
        emb = keras.Input((EMBED,), name="timestep")
        label = keras.Input((n_classes,), name="label")
        h = keras.layers.Concatenate()([feats, emb, label])
        for i in range(int(p["ldmlr_layers"])):
            h = keras.layers.Dense(int(p["ldmlr_hidden"]), activation="silu",
                                   name=f"ldmlr_dense{i}")(h)
        out = keras.layers.Dense(dim, dtype="float32", name="ldmlr_noise")(h)
        self.model = keras.Model([feats, emb, label], out, name="ldmlr_denoiser")
        self.model.compile(optimizer=keras.optimizers.Adam(float(p["ldmlr_lr"])), loss="mse")

    def _inputs(self, x: np.ndarray, t: np.ndarray, y: np.ndarray) -> list[np.ndarray]:
        onehot = np.eye(self.n_classes, dtype=np.float32)[y]
        return [x.astype(np.float32), timestep_embedding(t), onehot]

    def fit(self, features: np.ndarray, labels: np.ndarray) -> list[float]:
        """Train on ``features`` (N, dim) of ``labels``; the per-pass losses."""
        self.mean = features.mean(0)
        scale = features.std(0)
        self.scale = np.where(scale > 1e-8, scale, 1.0)
        self.low, self.high = features.min(0), features.max(0)
        x0 = (features - self.mean) / self.scale
        rng = np.random.RandomState(self.seed)
        losses = []
        for _ in range(int(self.p["ldmlr_epochs"])):
            order = rng.permutation(len(x0))
            t = rng.randint(0, len(self.abar), len(x0))
            noise = rng.standard_normal(x0.shape)
            ab = self.abar[t][:, None]
            noisy = np.sqrt(ab) * x0[order] + np.sqrt(1 - ab) * noise
            hist = self.model.fit(self._inputs(noisy, t, labels[order]),
                                  noise.astype(np.float32), epochs=1, shuffle=False,
                                  batch_size=int(self.p["batch_size"]), verbose=0)
            losses.append(float(hist.history["loss"][-1]))
        return losses

    def sample(self, labels: np.ndarray) -> np.ndarray:
        """DDIM (eta = 0) features of ``labels``, in the training features' units."""
        import keras

        steps = int(self.p["ldmlr_sampling_steps"])
        taus = np.linspace(0, len(self.abar) - 1, steps).round().astype(int)
        rng = np.random.RandomState(self.seed + 1)
        x = rng.standard_normal((len(labels), self.dim))
        for i in range(steps - 1, -1, -1):
            t = np.full(len(labels), taus[i])
            eps = keras.ops.convert_to_numpy(
                self.model.predict_on_batch(self._inputs(x, t, labels))).astype(np.float64)
            ab, ab_prev = self.abar[taus[i]], self.abar[taus[i - 1]] if i else 1.0
            x0 = (x - np.sqrt(1 - ab) * eps) / np.sqrt(ab)
            x = np.sqrt(ab_prev) * x0 + np.sqrt(1 - ab_prev) * eps
        return np.clip(x * self.scale + self.mean, self.low, self.high).astype(np.float32)


def counts_to_fill(labels: np.ndarray, n_classes: int) -> dict[int, int]:
    """New features per class: up to the largest class's count."""
    counts = np.bincount(labels, minlength=n_classes)
    return {c: int(counts.max() - n) for c, n in enumerate(counts) if counts.max() > n > 0}


def feature_model(model: Any, head: Any) -> Any:
    """The network up to the classification layer's input (the penultimate features)."""
    import keras

    return keras.Model(model.inputs, head.input, name="ldmlr_features")


def retrain_head(model: Any, x: np.ndarray, y: np.ndarray, n_classes: int, p: dict[str, Any],
                 seed: int, optimizer: Any) -> dict[str, Any]:
    """LDMLR's three steps on the training part ``x, y`` (module doc); the report."""
    import keras

    from .training import find_layer

    head = find_layer(model, "logits")
    features = np.asarray(feature_model(model, head).predict(
        x, batch_size=max(int(p["batch_size"]), 256), verbose=0), np.float32)
    diffusion = FeatureDiffusion(features.shape[1], n_classes, p, seed)
    losses = diffusion.fit(features, y)
    fill = counts_to_fill(y, n_classes)
    new_y = np.repeat(np.array(list(fill), np.int64), list(fill.values()))
    new_x = diffusion.sample(new_y) if len(new_y) else features[:0]
    order = np.random.RandomState(seed + 2).permutation(len(y) + len(new_y))
    all_x = np.concatenate([features, new_x])[order]
    all_y = np.concatenate([y, new_y])[order]
    inp = keras.Input((features.shape[1],), name="features")
    probs = keras.layers.Activation("softmax", dtype="float32")(head(inp))
    classifier = keras.Model(inp, probs, name="ldmlr_head")
    classifier.compile(optimizer=optimizer, loss="sparse_categorical_crossentropy",
                       metrics=["accuracy"])
    history = classifier.fit(all_x, all_y, epochs=int(p["ldmlr_head_epochs"]),
                             batch_size=int(p["batch_size"]), shuffle=True, verbose=0).history
    return {"feature_dim": int(features.shape[1]), "n_real": len(y),
            "added": {str(c): n for c, n in fill.items()},
            "denoiser": {"layers": int(p["ldmlr_layers"]), "hidden": int(p["ldmlr_hidden"]),
                         "epochs": int(p["ldmlr_epochs"]),
                         "timesteps": int(p["ldmlr_timesteps"]),
                         "sampling_steps": int(p["ldmlr_sampling_steps"]),
                         "losses": losses},
            "head_epochs": int(p["ldmlr_head_epochs"]),
            "history": {k: [float(v) for v in vals] for k, vals in history.items()}}
