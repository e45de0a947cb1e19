"""Loss-level remedies for class imbalance, an option of every Keras classifier.

``loss:`` (each a self-describing entry of :data:`LOSSES`; its keys are classifier params):

* ``cross_entropy`` — Keras' sparse categorical cross-entropy (the default; unchanged);
* ``focal`` — Lin et al. 2017: ``-(1 - p_y)^γ log p_y`` (``focal_gamma``; γ = 0 is CE);
* ``class_balanced`` — Cui et al. 2019: the base loss (``cb_base``: cross_entropy or focal)
  weighted per class by ``(1 - β) / (1 - β^n_c)``, normalised to sum to the number of
  classes (``cb_beta``; β = 0 gives weights 1, the base loss), averaged over the batch as in
  their code;
* ``ldam`` — Cao et al. 2019: CE of ``s · (z - Δ_y e_y)`` with margins ``Δ_c ∝ n_c^(-1/4)``,
  the largest ``ldam_max_margin`` (0.5), scale ``ldam_s``; as kaidic/LDAM-DRW's ``LDAMLoss``.
  Their CIFAR models feed it cosine logits (a normalised last layer) with s = 30; imbench's
  heads are linear softmax layers, whose logits are not bounded, so the default here is
  s = 1 (Δ = 0 and s = 1 is CE);
* ``logit_adjusted`` — Menon et al. 2021 (their eq. 10): CE of ``z + τ log π`` with ``π`` the
  training class prior (``la_tau``; τ = 0 is CE);
* ``balanced_softmax`` — Ren et al. 2020: CE of ``z + log n_c`` (the same as logit
  adjustment with τ = 1, since ``log π`` and ``log n`` differ by a constant).

``z`` are the network's logits. The classifiers end in a float32 softmax, so these losses
take ``log p`` (clipped at 1e-7, as Keras' own CE does): every loss above is a softmax
cross-entropy of shifted logits, and adding a per-row constant to the logits changes none of
them, so ``log p`` stands for ``z`` exactly. ``n_c`` are the counts of the classifier's
training part (after augmentation, before the validation split; a class with no image
counts as 1).

``reweighting: drw`` (deferred re-weighting, Cao et al.): per-class weights
``(1 - β) / (1 - β^n_c)`` (``drw_beta``, 0.9999), normalised to sum to the number of classes,
applied from epoch ``drw_epoch`` (1-based; earlier epochs weight 1), with the weighted mean
``Σ w l / Σ w`` of PyTorch's ``cross_entropy(weight=...)`` that LDAM-DRW's code uses. Model
choice (early stopping, best epoch) then only looks at epochs from ``drw_epoch`` on.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..params import Choice, Int, Number, Param, ParamSpec, one_of, require

EPSILON = 1e-7


def effective_number_weights(counts: Sequence[int], beta: float) -> np.ndarray:
    """Cui et al.'s ``(1 - β) / (1 - β^n_c)``, normalised to sum to the number of classes
    (β = 0: all 1)."""
    n = np.maximum(np.asarray(counts, dtype=np.float64), 1.0)
    w = (1.0 - beta) / (1.0 - np.power(beta, n))
    return w * (len(n) / w.sum())


def ldam_margins(counts: Sequence[int], max_margin: float) -> np.ndarray:
    """``Δ_c ∝ n_c^(-1/4)`` with the largest ``max_margin``."""
    m = 1.0 / np.sqrt(np.sqrt(np.maximum(np.asarray(counts, dtype=np.float64), 1.0)))
    return m * (max_margin / m.max())


def log_prior(counts: Sequence[int]) -> np.ndarray:
    n = np.maximum(np.asarray(counts, dtype=np.float64), 1.0)
    return np.log(n / n.sum())


@dataclass(frozen=True)
class Loss:
    """One ``loss:`` choice: its own params (declared; they are classifier params) and the
    per-sample loss of ``(labels, log p, counts, params)`` in ``keras.ops``."""

    name: str
    params: ParamSpec = field(default_factory=ParamSpec)
    per_sample: Callable[..., Any] | None = None


def _ce(y: Any, z: Any) -> Any:
    import keras

    return keras.losses.sparse_categorical_crossentropy(y, z, from_logits=True)


def _focal(y: Any, z: Any, gamma: float) -> Any:
    from keras import ops

    logp = ops.take_along_axis(ops.log_softmax(z, axis=-1), ops.expand_dims(y, -1), axis=-1)
    logp = ops.squeeze(logp, -1)
    return -ops.power(1.0 - ops.exp(logp), gamma) * logp


def _class_balanced(y: Any, z: Any, counts: Sequence[int], p: Mapping[str, Any]) -> Any:
    from keras import ops

    w = ops.convert_to_tensor(effective_number_weights(counts, p["cb_beta"]), "float32")
    base = _focal(y, z, p["focal_gamma"]) if p["cb_base"] == "focal" else _ce(y, z)
    return ops.take(w, y) * base


def _ldam(y: Any, z: Any, counts: Sequence[int], p: Mapping[str, Any]) -> Any:
    from keras import ops

    margins = ops.convert_to_tensor(ldam_margins(counts, p["ldam_max_margin"]), "float32")
    shift = ops.one_hot(y, len(counts)) * ops.expand_dims(ops.take(margins, y), -1)
    return _ce(y, p["ldam_s"] * (z - shift))


def _shifted(scale: Callable[[Mapping[str, Any]], float]) -> Callable[..., Any]:
    def loss(y: Any, z: Any, counts: Sequence[int], p: Mapping[str, Any]) -> Any:
        from keras import ops

        prior = ops.convert_to_tensor(log_prior(counts), "float32")
        return _ce(y, z + scale(p) * prior)

    return loss


LOSSES: dict[str, Loss] = {
    "cross_entropy": Loss("cross_entropy"),
    "focal": Loss("focal", per_sample=lambda y, z, counts, p: _focal(y, z, p["focal_gamma"])),
    "class_balanced": Loss("class_balanced", ParamSpec(
        Param("cb_beta", 0.9999, Number(0, 1, hi_open=True),
              "class_balanced: beta of the effective number (1 - b) / (1 - b^n_c)"),
        Param("cb_base", "focal", one_of("cross_entropy", "focal"),
              "class_balanced: the loss the class weights multiply"),
    ), _class_balanced),
    "ldam": Loss("ldam", ParamSpec(
        Param("ldam_max_margin", 0.5, Number(0), "ldam: the largest class margin"),
        Param("ldam_s", 1.0, Number(0, lo_open=True),
              "ldam: logit scale (Cao et al.'s cosine logits use 30; linear heads 1)"),
    ), _ldam),
    "logit_adjusted": Loss("logit_adjusted", ParamSpec(
        Param("la_tau", 1.0, Number(0), "logit_adjusted: tau of z + tau log(prior)"),
    ), _shifted(lambda p: p["la_tau"])),
    "balanced_softmax": Loss("balanced_softmax", per_sample=_shifted(lambda p: 1.0)),
}
REWEIGHTING = ("none", "balanced", "drw")

#: every classifier param this module adds
PARAMETERS = ParamSpec(
    Param("loss", "cross_entropy", Choice(tuple(LOSSES)),
          "the training loss (module doc: focal, class-balanced, LDAM, logit-adjusted, "
          "balanced softmax)"),
    Param("focal_gamma", 2.0, Number(0), "focal loss gamma (0 is cross-entropy)"),
).merged(p for entry in LOSSES.values() for p in entry.params) + ParamSpec(
    Param("reweighting", "none", Choice(REWEIGHTING),
          "per-class loss weights: none, balanced (n / (k n_c)) or drw (deferred, Cao et al.)"),
    Param("drw_epoch", 160, Int(1), "drw: the 1-based epoch the class weights start at"),
    Param("drw_beta", 0.9999, Number(0, 1, hi_open=True),
          "drw: beta of the effective-number weights"),
    Param("posthoc_tau", 0.0, Number(0),
          "post-hoc logit adjustment of the predictions: z - tau log(prior) (0: none)"),
)


def check_relations(p: Mapping[str, Any], key: str) -> None:
    """ConfigError for loss settings that contradict the classifier's others."""
    if p["reweighting"] != "none":
        require(p.get("class_weight") is None, f"{key}.class_weight", p.get("class_weight"),
                "null when reweighting is set (reweighting: balanced is class_weight: "
                "balanced)")
    if p["reweighting"] == "drw":
        require(p["drw_epoch"] <= p["epochs"], f"{key}.drw_epoch", p["drw_epoch"],
                f"an epoch <= epochs ({p['epochs']})")


class Objective:
    """The compiled loss of one fit: ``loss`` (a Keras loss, or Keras' own CE by name),
    the DRW weight variable and its callback, and what the report records.

    ``mixed``: labels are ``(y_i, y_j, λ)`` rows of a mixup / remix stream
    (:mod:`.batches`) and the loss is ``λ L(y_i) + (1 - λ) L(y_j)``, each term weighted as
    an unmixed batch would be. ``fixed_weights`` (per class) multiply the per-sample loss as
    Keras' ``class_weight`` does (a mean over the batch of ``w l``): a mixed stream cannot use
    ``class_weight``, whose labels must be class indices.
    """

    def __init__(self, p: Mapping[str, Any], counts: Sequence[int], *, mixed: bool = False,
                 fixed_weights: Sequence[float] | None = None) -> None:
        self.params, self.counts = dict(p), [int(c) for c in counts]
        self.drw = p["reweighting"] == "drw"
        self.mixed = mixed
        entry = LOSSES[p["loss"]]
        self.weights = None
        if entry.per_sample is None and not self.drw and not mixed and fixed_weights is None:
            self.loss: Any = "sparse_categorical_crossentropy"
            return
        import keras
        from keras import ops

        k = len(self.counts)
        if self.drw:
            self.weights = keras.Variable(np.ones(k, np.float32), trainable=False,
                                          name="drw_class_weights")
        per_sample = entry.per_sample or (lambda y, z, counts, p: _ce(y, z))
        weights = self.weights
        fixed = (None if fixed_weights is None
                 else ops.convert_to_tensor(np.asarray(fixed_weights, np.float32)))

        def term(y: Any, z: Any) -> Any:
            out = per_sample(y, z, self.counts, self.params)
            if weights is not None:
                w = ops.take(weights, y)
                # Keras divides by the batch size: scaled so the batch gives Σwl / Σw
                out = out * w / ops.mean(w)
            if fixed is not None:
                out = out * ops.take(fixed, y)
            return out

        def loss(y_true: Any, y_pred: Any) -> Any:
            z = ops.log(ops.clip(ops.cast(y_pred, "float32"), EPSILON, 1.0))
            if not mixed:
                return term(ops.reshape(ops.cast(y_true, "int32"), (-1,)), z)
            y_true = ops.cast(y_true, "float32")
            lam = y_true[:, 2]
            return (lam * term(ops.cast(y_true[:, 0], "int32"), z)
                    + (1.0 - lam) * term(ops.cast(y_true[:, 1], "int32"), z))

        self.loss = loss

    def callbacks(self) -> list[Any]:
        """DRW: weight 1 before ``drw_epoch``, the effective-number weights from it."""
        if not self.drw:
            return []
        import keras

        late = effective_number_weights(self.counts, self.params["drw_beta"]).astype(np.float32)
        start, weights = self.params["drw_epoch"] - 1, self.weights

        class DeferredReweighting(keras.callbacks.Callback):
            def on_epoch_begin(self, epoch: int, logs: Any = None) -> None:
                weights.assign(late if epoch >= start else np.ones_like(late))

        return [DeferredReweighting()]

    def first_epoch_for_choice(self) -> int:
        """0-based epoch from which early stopping and the best epoch are judged."""
        return self.params["drw_epoch"] - 1 if self.drw else 0

    def report(self) -> dict[str, Any]:
        out: dict[str, Any] = {"loss": self.params["loss"],
                               "reweighting": self.params["reweighting"],
                               "counts": self.counts}
        if self.params["loss"] == "class_balanced":
            out["class_weights"] = effective_number_weights(
                self.counts, self.params["cb_beta"]).tolist()
        if self.params["loss"] == "ldam":
            out["margins"] = ldam_margins(self.counts, self.params["ldam_max_margin"]).tolist()
        if self.drw:
            out["drw_weights"] = effective_number_weights(
                self.counts, self.params["drw_beta"]).tolist()
        return out


def posthoc_adjust(probabilities: np.ndarray, counts: Sequence[int], tau: float) -> np.ndarray:
    """Menon et al.'s post-hoc logit adjustment: ``softmax(log p - τ log π)`` (τ = 0: the
    probabilities unchanged)."""
    if tau == 0:
        return probabilities
    z = np.log(np.clip(probabilities, EPSILON, 1.0)) - tau * log_prior(counts)
    z -= z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)
