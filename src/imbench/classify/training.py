"""The training machinery every Keras classifier shares: image checks, the validation split,
class weights, the fit loop with early stopping, and atomic model saving.

This module imports neither Keras nor TensorFlow at import time: the workflow resolves every
classifier's ``check_params`` while building the DAG, and a CPU/SVM run must never pay for (or
need) TensorFlow.

Training protocol:

* a validation split is carved from the *real* (non-synthetic) training images, stratified per
  class (``validation_fraction``); it drives early stopping and model choice (weights of the
  epoch with the lowest validation loss). The test set is never seen during training;
* ``class_weight: balanced`` weights the loss by ``n / (k * n_c)`` over the training part;
* threads are capped to ``n_jobs`` (the rule's threads) and, with ``deterministic`` (default),
  the same seed gives the same predictions on CPU (:mod:`.runtime`);
* on a GPU, ``mixed_precision: auto`` trains in ``mixed_float16`` (softmax kept in float32);
  ``bfloat16`` trains in ``mixed_bfloat16`` on any device (on a CPU with AVX-512 BF16 about
  twice float32's speed for seed 000's CNN; still deterministic).

Recipe options (:data:`RECIPE`; the defaults leave training as it was):

* ``optimizer``: ``adam`` (AdamW when ``weight_decay`` > 0) or ``sgd`` (``momentum``,
  Keras' SGD, whose ``weight_decay`` is decoupled: ``w -= lr * wd * w`` each step, where
  PyTorch's SGD adds ``wd * w`` to the gradient before momentum);
* the learning rate per epoch (1-based ``e``): ``lr * e / lr_warmup_epochs`` while
  ``e <= lr_warmup_epochs``, then ``lr * lr_factors[k]`` once ``e > lr_milestones[k]`` (the
  last milestone passed), else ``lr`` -- kaidic/LDAM-DRW's ``adjust_learning_rate``;
* ``augmentation``, ``mixing`` (mixup / remix) and their parameters: :mod:`.batches`;
* ``crt_epochs`` > 0: classifier re-training (Kang et al. 2020): after training, the layer
  named ``logits`` is re-initialised (to zeros) and trained alone (every other layer
  frozen, BatchNorm in inference mode) for ``crt_epochs`` with class-balanced sampling and
  plain cross-entropy, at ``crt_learning_rate`` (null: ``learning_rate``), keeping the last
  epoch as Kang et al. do (no model choice on the imbalanced validation part);
* ``ldmlr_epochs`` > 0: feature-space diffusion (LDMLR, Han et al. 2024) synthesises
  penultimate features for the smaller classes and retrains the ``logits`` layer on real plus
  synthetic ones (:mod:`.feature_diffusion`).
"""

from __future__ import annotations

import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from ..errors import DataError
from ..params import BOOL, Choice, Int, ListOf, Number, Param, ParamSpec, one_of, optional, require
from ..sampling import class_count_list
from .base import Classifier
from .batches import AUGMENTATIONS, MIXING, BatchPlan, train_batches, unmixed_labels
from .losses import PARAMETERS as LOSS_PARAMETERS
from .losses import Objective, posthoc_adjust
from .losses import check_relations as check_loss_relations
from .runtime import configure_runtime

CLASS_WEIGHTS = (None, "balanced")
MIXED_PRECISION = ("auto", True, False, "bfloat16")
OPTIMIZERS = ("adam", "sgd")

#: training-recipe params every single-network Keras classifier takes (see the module doc)
RECIPE = ParamSpec(
    Param("optimizer", "adam", Choice(OPTIMIZERS),
          "adam (AdamW when weight_decay > 0) or sgd (with momentum; decoupled weight decay)"),
    Param("momentum", 0.9, Number(0, 1, hi_open=True), "sgd: momentum"),
    Param("lr_warmup_epochs", 0, Int(0),
          "linear learning-rate warm-up over this many epochs (0: none)"),
    Param("lr_milestones", [], ListOf(Int(1), increasing=True),
          "epochs after which the learning rate becomes lr x the matching lr_factors entry"),
    Param("lr_factors", [], ListOf(Number(0, lo_open=True)),
          "one factor per milestone (kaidic/LDAM-DRW's step decay: [0.01, 0.0001])"),
    Param("augmentation", "none", Choice(AUGMENTATIONS),
          "on-the-fly batch augmentation (imbench.classify.batches)"),
    Param("crop_padding", 4, Int(0), "padding of the random crop, in pixels"),
    Param("mixing", "none", Choice(MIXING), "mixup or remix of batch pairs"),
    Param("mixup_alpha", 1.0, Number(0), "Beta(alpha, alpha) of the mixing weight"),
    Param("remix_kappa", 3.0, Number(1), "remix: count ratio above which the label goes to "
          "the smaller class"),
    Param("remix_tau", 0.5, Number(0, 1), "remix: mixing weight threshold"),
    Param("crt_epochs", 0, Int(0),
          "classifier re-training (Kang et al.): epochs of the re-initialised last layer "
          "alone, class-balanced sampling (0: none)"),
    Param("crt_learning_rate", None, optional(Number(0, lo_open=True)),
          "cRT learning rate (null: learning_rate)"),
    Param("ldmlr_epochs", 0, Int(0),
          "feature-space diffusion (LDMLR, imbench.classify.feature_diffusion): passes of "
          "its denoiser over the training part's penultimate features (0: none)"),
    Param("ldmlr_layers", 3, Int(1), "LDMLR: hidden layers of the denoiser MLP"),
    Param("ldmlr_hidden", 512, Int(1), "LDMLR: units per hidden layer"),
    Param("ldmlr_lr", 1e-3, Number(0, lo_open=True), "LDMLR: the denoiser's Adam rate"),
    Param("ldmlr_timesteps", 1000, Int(2), "LDMLR: diffusion steps of the linear schedule"),
    Param("ldmlr_sampling_steps", 50, Int(1), "LDMLR: DDIM steps when sampling features"),
    Param("ldmlr_head_epochs", 10, Int(1),
          "LDMLR: epochs of the classification layer on real plus synthetic features"),
    Param("ldmlr_head_learning_rate", None, optional(Number(0, lo_open=True)),
          "LDMLR: the classification layer's learning rate (null: learning_rate)"),
)


def learning_rate_at(epoch: int, p: Any) -> float:
    """The learning rate of 0-based ``epoch`` under warm-up and step decay."""
    e, lr = epoch + 1, float(p["learning_rate"])
    if e <= p["lr_warmup_epochs"]:
        return lr * e / p["lr_warmup_epochs"]
    factor = 1.0
    for milestone, f in zip(p["lr_milestones"], p["lr_factors"], strict=True):
        if e > milestone:
            factor = float(f)
    return lr * factor


def check_recipe(p: dict[str, Any], key: str) -> None:
    """ConfigError unless ``lr_factors`` has one factor per milestone."""
    ms, fs = p["lr_milestones"], p["lr_factors"]
    require(len(fs) == len(ms), f"{key}.lr_factors", fs,
            f"a list of {len(ms)} numbers > 0, one per milestone")
    require(not (p["crt_epochs"] and p["ldmlr_epochs"]), f"{key}.ldmlr_epochs",
            p["ldmlr_epochs"], "0 when crt_epochs > 0 (both retrain the classification layer)")
    require(p["ldmlr_sampling_steps"] <= p["ldmlr_timesteps"], f"{key}.ldmlr_sampling_steps",
            p["ldmlr_sampling_steps"],
            f"an integer from 1 to ldmlr_timesteps ({p['ldmlr_timesteps']})")


def check_images(x: np.ndarray, y: np.ndarray | None = None) -> None:
    """Raise a DataError unless ``x`` is uint8 (N, H, W, C) and ``y`` an (N,) label vector."""
    if x.ndim != 4 or x.dtype != np.uint8 or x.shape[-1] not in (1, 3):
        raise DataError(f"images must be uint8 (N, H, W, C) with C in {{1, 3}}; "
                        f"got {x.dtype} {x.shape}")
    if y is not None and (y.shape != (len(x),) or len(y) == 0):
        raise DataError(f"labels must be a non-empty ({len(x)},) array; got {y.shape}")


def validation_size(n_real: int, n_members: int, fraction: float, minimum: int = 0) -> int:
    """Images of one class held out: ``fraction`` of its ``n_real`` real images (at least
    ``minimum`` when ``fraction`` > 0), leaving at least one of its ``n_members`` to train."""
    wanted = int(round(fraction * n_real))
    if fraction > 0:
        wanted = max(wanted, min(minimum, n_real))
    return max(0, min(wanted, n_members - 1))


def validation_split(
    y: np.ndarray,
    fraction: float,
    seed: int | None,
    synthetic: np.ndarray | None = None,
    minimum: int = 0,
) -> tuple[np.ndarray, np.ndarray]:
    """Sorted ``(train_idx, val_idx)``: ``fraction`` of each class's real images held out
    (at least ``minimum`` of them, see :func:`validation_size`).

    Synthetic images never enter validation, because model choice must be made on the data
    distribution the test set comes from. Every class keeps at least one training image, so a
    class with a single image is never lost to validation.
    """
    y = np.asarray(y)
    real = np.ones(len(y), bool) if synthetic is None else ~np.asarray(synthetic, bool)
    rng = np.random.RandomState(seed)
    val: list[np.ndarray] = []
    for c in np.unique(y):  # ascending, so the random stream is reproducible
        members = np.flatnonzero(y == c)
        eligible = members[real[members]]
        n_val = validation_size(len(eligible), len(members), fraction, minimum)
        if n_val > 0:
            val.append(rng.choice(eligible, size=n_val, replace=False))
    val_idx = np.sort(np.concatenate(val)) if val else np.zeros(0, np.int64)
    train_mask = np.ones(len(y), bool)
    train_mask[val_idx] = False
    return np.flatnonzero(train_mask), val_idx


def balanced_class_weight(y: np.ndarray) -> dict[int, float]:
    """sklearn's 'balanced' weights ``n / (k * n_c)`` for the classes present in ``y``."""
    classes, counts = np.unique(y, return_counts=True)
    k = len(classes)
    return {int(c): float(len(y) / (k * n)) for c, n in zip(classes, counts, strict=True)}


def save_keras_model(model: Any, path: str | os.PathLike[str]) -> None:
    """Save a Keras model atomically (Keras insists on a ``.keras`` file name, so the
    temporary file lives in a private directory beside the target)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp_dir = Path(tempfile.mkdtemp(dir=path.parent, prefix=f".{path.name}."))
    try:
        tmp = tmp_dir / path.name
        model.save(tmp)
        os.replace(tmp, path)
    finally:
        shutil.rmtree(tmp_dir, ignore_errors=True)


def leaf_layers(model: Any) -> list[Any]:
    """Every layer of ``model`` that is not itself a model, nested models included."""
    out = []
    for layer in model.layers:
        out.extend(leaf_layers(layer) if hasattr(layer, "layers") else [layer])
    return out


def find_layer(model: Any, name: str) -> Any:
    """The layer called ``name`` anywhere in ``model`` (a DataError if there is none)."""
    for layer in leaf_layers(model):
        if layer.name == name:
            return layer
    raise DataError(f"model {model.name!r} has no layer named {name!r}")


#: what training any Keras model takes (KerasClassifier and eGAN alike)
TRAINING = ParamSpec(
    Param("epochs", 50, Int(1), "training epochs (at most, with early stopping)"),
    Param("batch_size", 128, Int(1), "images per step"),
    Param("learning_rate", 1e-3, Number(0, lo_open=True), "the optimiser's learning rate"),
    Param("weight_decay", 0.0, Number(0), "weight decay (AdamW when > 0 with adam)"),
    Param("validation_fraction", 0.1, Number(0, 1, hi_open=True),
          "share of each class's real training images held out for early stopping and "
          "model choice (0: none, keep the last epoch)"),
    Param("patience", 5, optional(Int(1)),
          "epochs without validation improvement before stopping (null: never stop early, "
          "still keep the best epoch)"),
    Param("class_weight", None, Choice(CLASS_WEIGHTS),
          "null or balanced: the loss weighted by n / (k n_c)"),
    Param("deterministic", True, BOOL, "same seed, same predictions on a CPU"),
    Param("mixed_precision", "auto", Choice(MIXED_PRECISION),
          "auto: mixed_float16 on a GPU; bfloat16: mixed_bfloat16 on any device"),
    Param("verbose", 2, one_of(0, 1, 2), "Keras' verbosity (2: one log line per epoch)"),
)


class KerasModel(Classifier):
    """What every Keras-trained classifier shares: the training parameters, the labels
    check, the runtime (threads, seeds, precision), the optimiser, the report's common part,
    inference checks and saving. :class:`KerasClassifier` (one network, a loss) and eGAN
    (``egan.py``, an adversarial loop) are its two kinds."""

    stage: ClassVar[str] = "neural"
    score_kind: ClassVar[str] = "probability"
    parameters: ClassVar[ParamSpec] = TRAINING

    def _labels(self, x: np.ndarray, y: np.ndarray, n_classes: int | None
                ) -> tuple[np.ndarray, int]:
        """Checked int64 labels and the number of classes (also ``n_classes_``/``classes_``)."""
        y = np.asarray(y, dtype=np.int64)
        check_images(x, y)
        n_classes = int(y.max()) + 1 if n_classes is None else int(n_classes)
        if y.min() < 0 or y.max() >= n_classes:
            raise DataError(f"labels must lie in 0..{n_classes - 1}; got {y.min()}..{y.max()}")
        self.n_classes_ = n_classes
        self.classes_ = np.arange(n_classes)
        return y, n_classes

    def _runtime(self, mixed_precision: bool | str) -> dict[str, Any]:
        p = self.params
        return configure_runtime(threads=self.n_jobs, seed=self.random_state,
                                 deterministic=p["deterministic"],
                                 mixed_precision=mixed_precision)

    def _optimizer(self, learning_rate: float | None = None) -> Any:
        import keras

        p = self.params
        lr = p["learning_rate"] if learning_rate is None else learning_rate
        if p.get("optimizer") == "sgd":
            return keras.optimizers.SGD(lr, momentum=p["momentum"],
                                        weight_decay=p["weight_decay"] or None)
        if p["weight_decay"] > 0:
            return keras.optimizers.AdamW(lr, weight_decay=p["weight_decay"])
        return keras.optimizers.Adam(lr)

    def _report_head(self, runtime: dict[str, Any], model: Any) -> dict[str, Any]:
        """The report's first keys: who trained, with what, on what runtime."""
        return {"classifier": self.name, "params": dict(self.params),
                "seed": self.random_state, "runtime": runtime, "model": model}

    def _check_fitted(self) -> None:
        if not hasattr(self, "model_"):
            raise RuntimeError(f"{type(self).__name__} used before fit")

    def save_model(self, path: str | os.PathLike[str]) -> None:
        self._check_fitted()
        save_keras_model(self.model_, path)


@dataclass
class _Setup:
    """How one fit feeds and weights its training part."""

    plan: BatchPlan | None
    weights: dict[int, float] | None
    objective: Objective

    @property
    def mixed(self) -> bool:
        return self.plan is not None and self.plan.mixed


class KerasClassifier(KerasModel):
    """Fit loop shared by the single-network classifiers; subclasses only build the network.

    Parameters: :data:`TRAINING`, the loss-level remedies of :mod:`.losses` (``loss``,
    ``reweighting``, ``posthoc_tau`` and their parameters) and the training recipe
    (:data:`RECIPE`: optimiser, schedule, augmentation, mixing, cRT, LDMLR).
    """

    parameters: ClassVar[ParamSpec] = TRAINING + LOSS_PARAMETERS + RECIPE

    @classmethod
    def _check_values(cls, p: dict[str, Any], key: str) -> None:
        super()._check_values(p, key)
        check_loss_relations(p, key)
        check_recipe(p, key)

    # -- to override -------------------------------------------------------------------------
    def build_model(self, input_shape: tuple[int, ...], n_classes: int) -> Any:
        """Return an uncompiled ``keras.Model`` mapping uint8-valued images to probabilities."""
        raise NotImplementedError

    # -- training ----------------------------------------------------------------------------
    def _stream(self, x: np.ndarray, y: np.ndarray, counts: list[int], *,
                sampler: str = "instance", mixing: str | None = None, stage: int = 0
                ) -> BatchPlan | None:
        """The batch plan when training needs more than shuffled arrays, else None."""
        p = self.params
        mixing = p["mixing"] if mixing is None else mixing
        if (p["augmentation"], mixing, sampler) == ("none", "none", "instance"):
            return None
        return BatchPlan(x, y, batch_size=p["batch_size"], seed=self.random_state,
                         counts=counts, augmentation=p["augmentation"],
                         crop_padding=p["crop_padding"], mixing=mixing,
                         mixup_alpha=p["mixup_alpha"], remix_kappa=p["remix_kappa"],
                         remix_tau=p["remix_tau"], sampler=sampler, stage=stage)

    def fit(
        self,
        x: np.ndarray,
        y: np.ndarray,
        n_classes: int | None = None,
        *,
        synthetic: np.ndarray | None = None,
    ) -> KerasClassifier:
        """Train on ``x, y``; ``synthetic`` (bool per image) keeps generated images out of the
        validation split."""
        y, n_classes = self._labels(x, y, n_classes)
        p = self.params
        runtime = self._runtime(p["mixed_precision"])
        train_idx, val_idx = validation_split(y, p["validation_fraction"], self.random_state,
                                              synthetic)
        self.train_idx_, self.val_idx_ = train_idx, val_idx
        model = self.build_model(tuple(x.shape[1:]), n_classes)
        self.train_counts_ = class_count_list(y[train_idx], n_classes)
        setup = self._setup(x[train_idx], y[train_idx], n_classes)
        model.compile(optimizer=self._optimizer(), loss=setup.objective.loss,
                      metrics=[] if setup.mixed else ["accuracy"])
        validation = self._validation(x[val_idx], y[val_idx], setup.mixed)
        history = self._train(model, x[train_idx], y[train_idx], setup, validation)
        self.model_ = model
        self.history_ = {k: [float(v) for v in vals] for k, vals in history.items()}
        self.report_ = self._report(runtime, setup, y, train_idx, val_idx, n_classes)
        if p["crt_epochs"]:
            self.report_["crt"] = self._retrain_classifier(x[train_idx], y[train_idx],
                                                           validation)
        if p["ldmlr_epochs"]:
            from .feature_diffusion import retrain_head

            lr = p["ldmlr_head_learning_rate"] or p["learning_rate"]
            self.report_["ldmlr"] = retrain_head(
                model, x[train_idx], y[train_idx], n_classes, p, int(self.random_state or 0),
                self._optimizer(lr))
        return self

    def _setup(self, x: np.ndarray, y: np.ndarray, n_classes: int) -> _Setup:
        """The batch plan, the class weights and the loss of the training part."""
        p = self.params
        plan = self._stream(x, y, self.train_counts_)
        mixed = plan is not None and plan.mixed
        balanced = "balanced" in (p["class_weight"], p["reweighting"])
        weights = balanced_class_weight(y) if balanced else None
        fixed = None
        if mixed and weights is not None:  # class_weight needs index labels: in the loss
            fixed = [weights.get(c, 0.0) for c in range(n_classes)]
        return _Setup(plan, weights, Objective(p, self.train_counts_, mixed=mixed,
                                               fixed_weights=fixed))

    @staticmethod
    def _validation(x: np.ndarray, y: np.ndarray, mixed: bool
                    ) -> tuple[np.ndarray, np.ndarray] | None:
        if not len(y):
            return None
        return x, unmixed_labels(y) if mixed else y

    def _callbacks(self, setup: _Setup, validation: Any) -> list[Any]:
        """The loss's callbacks, the learning-rate schedule, early stopping."""
        import keras

        p = self.params
        callbacks = setup.objective.callbacks()
        if p["lr_warmup_epochs"] or p["lr_milestones"]:
            callbacks.append(keras.callbacks.LearningRateScheduler(
                lambda epoch, lr: learning_rate_at(epoch, p)))
        if validation is not None:
            # patience=None: never stop early, but still restore the best validation epoch;
            # with DRW only epochs from drw_epoch on compete (the loss changes there)
            callbacks.append(keras.callbacks.EarlyStopping(
                monitor="val_loss", patience=p["patience"] or p["epochs"],
                restore_best_weights=True,
                start_from_epoch=setup.objective.first_epoch_for_choice()))
        return callbacks

    def _train(self, model: Any, x: np.ndarray, y: np.ndarray, setup: _Setup,
               validation: Any) -> dict[str, list[Any]]:
        p = self.params
        callbacks = self._callbacks(setup, validation)
        if setup.plan is None:
            return model.fit(
                x, y, batch_size=p["batch_size"], epochs=p["epochs"],
                validation_data=validation, class_weight=setup.weights, callbacks=callbacks,
                shuffle=True, verbose=p["verbose"],
            ).history
        return model.fit(
            train_batches(setup.plan), epochs=p["epochs"], validation_data=validation,
            class_weight=None if setup.mixed else setup.weights, callbacks=callbacks,
            verbose=p["verbose"],
        ).history

    def _report(self, runtime: dict[str, Any], setup: _Setup, y: np.ndarray,
                train_idx: np.ndarray, val_idx: np.ndarray, n_classes: int) -> dict[str, Any]:
        from .layers import describe

        first = setup.objective.first_epoch_for_choice()
        best = (first + int(np.argmin(self.history_["val_loss"][first:])) + 1
                if "val_loss" in self.history_ else len(self.history_["loss"]))
        return {
            **self._report_head(runtime, describe(self.model_)),
            "n_train": len(train_idx),
            "n_val": len(val_idx),
            "train_counts": class_count_list(y[train_idx], n_classes),
            "val_counts": class_count_list(y[val_idx], n_classes),
            "class_weight": setup.weights,
            "objective": setup.objective.report(),
            "epochs_run": len(self.history_["loss"]),
            "best_epoch": best,
            "history": self.history_,
        }

    def _retrain_classifier(self, x: np.ndarray, y: np.ndarray,
                            validation: tuple[np.ndarray, np.ndarray] | None
                            ) -> dict[str, Any]:
        """cRT (module doc): re-initialise and retrain the ``logits`` layer alone with
        class-balanced sampling and plain cross-entropy."""
        from .layers import describe

        p, model = self.params, self.model_
        head = find_layer(model, "logits")
        for layer in leaf_layers(model):
            layer.trainable = layer is head
        # zeros, not Keras' Glorot draw: on fixed post-ReLU features a random head starts at
        # a cross-entropy of ~8 (digits) and 3 epochs did not recover (13% accuracy); from
        # zeros (uniform predictions, loss log K) the convex problem trains at once
        head.kernel.assign(np.zeros(head.kernel.shape, np.float32))
        if head.bias is not None:
            head.bias.assign(np.zeros(head.bias.shape, np.float32))
        lr = p["crt_learning_rate"] or p["learning_rate"]
        model.compile(optimizer=self._optimizer(lr), loss="sparse_categorical_crossentropy",
                      metrics=["accuracy"])
        plan = self._stream(x, y, self.train_counts_, sampler="class_balanced", mixing="none",
                            stage=1)
        if validation is not None and validation[1].ndim == 2:
            validation = (validation[0], validation[1][:, 0].astype(np.int64))
        history = model.fit(train_batches(plan), epochs=p["crt_epochs"],
                            validation_data=validation, verbose=p["verbose"]).history
        trained = describe(model)  # while only the head is trainable
        for layer in leaf_layers(model):
            layer.trainable = True
        return {"epochs": p["crt_epochs"], "learning_rate": lr, "sampler": "class_balanced",
                "loss": "cross_entropy", "model": trained,
                "history": {k: [float(v) for v in vals] for k, vals in history.items()}}

    # -- inference ---------------------------------------------------------------------------
    def predict_scores(self, x: np.ndarray) -> np.ndarray:
        """Softmax probabilities ``(N, n_classes)``, float64."""
        self._check_fitted()
        check_images(x)
        out = self.model_.predict(x, batch_size=max(self.params["batch_size"], 256), verbose=0)
        out = np.asarray(out, dtype=np.float64)
        return posthoc_adjust(out, self.train_counts_, self.params["posthoc_tau"])
