"""Keras 3 (TensorFlow) classifiers: seed 000's CNN and CNN-SVM, ResNet-18, seed 004's small
CNN, and the shared training machinery (runtime set-up, validation split, class weights).

This module imports neither Keras nor TensorFlow at import time: the workflow resolves every
classifier's ``check_params`` while building the DAG, and a CPU/SVM run must never pay for (or
need) TensorFlow. The networks live in :mod:`imbench.classify.keras_models`.

Training protocol shared by every neural classifier:

* a validation split is carved from the *real* (non-synthetic) training images, stratified per
  class (``validation_fraction``); it drives early stopping and model choice (weights of the
  epoch with the lowest validation loss). The test set is never seen during training;
* ``class_weight: balanced`` weights the loss by ``n / (k * n_c)`` over the training part;
* threads are capped to ``n_jobs`` (the rule's threads) and, with ``deterministic`` (default),
  ``keras.utils.set_random_seed`` + ``tf.config.experimental.enable_op_determinism`` make the
  same seed give the same predictions on CPU;
* on a GPU, ``mixed_precision: auto`` trains in ``mixed_float16`` (softmax kept in float32).
"""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
from collections.abc import Mapping
from numbers import Integral, Real
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from ..errors import ConfigError, DataError
from .base import Classifier

log = logging.getLogger("imbench.neural")

CLASS_WEIGHTS = (None, "balanced")
MIXED_PRECISION = ("auto", True, False)

#: keras.applications backbones usable with ImageNet weights: name -> (constructor, module of
#: its ``preprocess_input``, minimum input side). Kept here, not in keras_models, so that
#: config checks can list the names without importing Keras.
APPLICATIONS: dict[str, tuple[str, str, int]] = {
    "resnet50": ("ResNet50", "resnet", 32),
    "resnet101": ("ResNet101", "resnet", 32),
    "resnet152": ("ResNet152", "resnet", 32),
    "densenet121": ("DenseNet121", "densenet", 32),
    "vgg16": ("VGG16", "vgg16", 32),
    "vgg19": ("VGG19", "vgg19", 32),
    "efficientnetb2": ("EfficientNetB2", "efficientnet", 32),
}

#: Score for a class the SVM never saw (finite, far below any decision value; as in svm.py).
MISSING_CLASS_SCORE = -1.0e6


# ------------------------------------------------------------------------------ runtime set-up
def configure_runtime(
    *,
    threads: int,
    seed: int | None,
    deterministic: bool = True,
    mixed_precision: bool | str = "auto",
) -> dict[str, Any]:
    """Cap TensorFlow's thread pools, seed every RNG and pick the precision policy.

    Thread limits can only be set before TensorFlow runs its first op; a later call (second
    fit in the same process) keeps the first limits and says so in the returned record.
    Returns what was set, for the training report.
    """
    import keras
    import tensorflow as tf

    threads = max(1, int(threads))
    info: dict[str, Any] = {"threads": threads}
    try:
        tf.config.threading.set_intra_op_parallelism_threads(threads)
        tf.config.threading.set_inter_op_parallelism_threads(threads)
    except RuntimeError:
        # Already initialised in this process: the first call's limits stay in force.
        info["threads"] = tf.config.threading.get_intra_op_parallelism_threads() or threads
        info["threads_note"] = "TensorFlow already initialised; kept earlier thread limits"
    gpus = tf.config.list_physical_devices("GPU")
    info["devices"] = [d.name for d in gpus] or ["CPU"]
    if seed is not None:
        # Seeds Python, NumPy, TensorFlow and Keras' own SeedGenerator stream at once.
        keras.utils.set_random_seed(int(seed))
    if deterministic:
        tf.config.experimental.enable_op_determinism()
    info["deterministic"] = bool(deterministic)
    # float16 on CPU is slower, not faster, so "auto" (and True) only switch it on with a GPU.
    use_mixed = bool(gpus) and mixed_precision in ("auto", True)
    keras.mixed_precision.set_global_policy("mixed_float16" if use_mixed else "float32")
    info["precision_policy"] = "mixed_float16" if use_mixed else "float32"
    return info


# -------------------------------------------------------------------------- data preparation
def check_images(x: np.ndarray, y: np.ndarray | None = None) -> None:
    """Raise a DataError unless ``x`` is uint8 (N, H, W, C) and ``y`` an (N,) label vector."""
    if x.ndim != 4 or x.dtype != np.uint8 or x.shape[-1] not in (1, 3):
        raise DataError(f"images must be uint8 (N, H, W, C) with C in {{1, 3}}; "
                        f"got {x.dtype} {x.shape}")
    if y is not None and (y.shape != (len(x),) or len(y) == 0):
        raise DataError(f"labels must be a non-empty ({len(x)},) array; got {y.shape}")


def validation_split(
    y: np.ndarray,
    fraction: float,
    seed: int | None,
    synthetic: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Sorted ``(train_idx, val_idx)``: ``fraction`` of each class's real images held out.

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
        n_val = min(int(round(fraction * len(eligible))), len(members) - 1)
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


def class_counts(y: np.ndarray, n_classes: int) -> list[int]:
    return np.bincount(np.asarray(y, np.int64), minlength=n_classes).tolist()


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


# ------------------------------------------------------------------------ parameter checks
def _is_int(value: object, minimum: int = 0) -> bool:
    return isinstance(value, Integral) and not isinstance(value, bool) and value >= minimum


def _is_num(value: object, minimum: float = 0.0, *, strict: bool = True) -> bool:
    if not isinstance(value, Real) or isinstance(value, bool):
        return False
    return value > minimum if strict else value >= minimum


def _require(ok: bool, key: str, value: object, allowed: str) -> None:
    if not ok:
        raise ConfigError(key, value, allowed)


# ------------------------------------------------------------------------- base class
class KerasClassifier(Classifier):
    """Fit loop shared by the single-network classifiers; subclasses only build the network.

    Common parameters: ``epochs``, ``batch_size``, ``learning_rate``, ``weight_decay`` (AdamW
    when > 0, else Adam), ``validation_fraction`` (0 = no validation: train every epoch, keep
    the last weights), ``patience`` (epochs without validation-loss improvement before
    stopping; null = never stop early, still keep the best epoch), ``class_weight`` (null or
    "balanced"), ``deterministic``, ``mixed_precision`` ("auto", true, false), ``verbose``
    (Keras' 0/1/2; 2 = one log line per epoch).
    """

    score_kind: ClassVar[str] = "probability"
    default_params: ClassVar[dict[str, Any]] = {
        "epochs": 50,
        "batch_size": 128,
        "learning_rate": 1e-3,
        "weight_decay": 0.0,
        "validation_fraction": 0.1,
        "patience": 5,
        "class_weight": None,
        "deterministic": True,
        "mixed_precision": "auto",
        "verbose": 2,
    }

    @classmethod
    def check_params(cls, params: Mapping[str, Any] | None = None) -> dict[str, Any]:
        p = super().check_params(params)
        _require(_is_int(p["epochs"], 1), "epochs", p["epochs"], "an integer >= 1")
        _require(_is_int(p["batch_size"], 1), "batch_size", p["batch_size"], "an integer >= 1")
        _require(_is_num(p["learning_rate"]), "learning_rate", p["learning_rate"], "a number > 0")
        _require(_is_num(p["weight_decay"], strict=False), "weight_decay", p["weight_decay"],
                 "a number >= 0")
        _require(_is_num(p["validation_fraction"], strict=False)
                 and p["validation_fraction"] < 1, "validation_fraction",
                 p["validation_fraction"], "a number in [0, 1)")
        _require(p["patience"] is None or _is_int(p["patience"], 1), "patience", p["patience"],
                 "an integer >= 1 or null")
        _require(p["class_weight"] in CLASS_WEIGHTS, "class_weight", p["class_weight"],
                 CLASS_WEIGHTS)
        _require(isinstance(p["deterministic"], bool), "deterministic", p["deterministic"],
                 [True, False])
        _require(p["mixed_precision"] in MIXED_PRECISION, "mixed_precision",
                 p["mixed_precision"], MIXED_PRECISION)
        _require(p["verbose"] in (0, 1, 2), "verbose", p["verbose"], [0, 1, 2])
        return p

    # -- to override -------------------------------------------------------------------------
    def build_model(self, input_shape: tuple[int, ...], n_classes: int) -> Any:
        """Return an uncompiled ``keras.Model`` mapping uint8-valued images to probabilities."""
        raise NotImplementedError

    # -- training ----------------------------------------------------------------------------
    def _optimizer(self) -> Any:
        import keras

        p = self.params
        if p["weight_decay"] > 0:
            return keras.optimizers.AdamW(p["learning_rate"], weight_decay=p["weight_decay"])
        return keras.optimizers.Adam(p["learning_rate"])

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
        import keras

        y = np.asarray(y, dtype=np.int64)
        check_images(x, y)
        n_classes = int(y.max()) + 1 if n_classes is None else int(n_classes)
        if y.min() < 0 or y.max() >= n_classes:
            raise DataError(f"labels must lie in 0..{n_classes - 1}; got {y.min()}..{y.max()}")
        self.n_classes_ = n_classes
        self.classes_ = np.arange(n_classes)
        p = self.params
        runtime = configure_runtime(threads=self.n_jobs, seed=self.random_state,
                                    deterministic=p["deterministic"],
                                    mixed_precision=p["mixed_precision"])
        train_idx, val_idx = validation_split(y, p["validation_fraction"], self.random_state,
                                              synthetic)
        self.train_idx_, self.val_idx_ = train_idx, val_idx
        model = self.build_model(tuple(x.shape[1:]), n_classes)
        model.compile(optimizer=self._optimizer(), loss="sparse_categorical_crossentropy",
                      metrics=["accuracy"])
        weights = (balanced_class_weight(y[train_idx])
                   if p["class_weight"] == "balanced" else None)
        callbacks = []
        validation = None
        if len(val_idx):
            validation = (x[val_idx], y[val_idx])
            # patience=None: never stop early, but still restore the best validation epoch.
            callbacks.append(keras.callbacks.EarlyStopping(
                monitor="val_loss", patience=p["patience"] or p["epochs"],
                restore_best_weights=True,
            ))
        history = model.fit(
            x[train_idx], y[train_idx], batch_size=p["batch_size"], epochs=p["epochs"],
            validation_data=validation, class_weight=weights, callbacks=callbacks,
            shuffle=True, verbose=p["verbose"],
        ).history
        self.model_ = model
        self.history_ = {k: [float(v) for v in vals] for k, vals in history.items()}
        best = (int(np.argmin(self.history_["val_loss"])) + 1 if "val_loss" in self.history_
                else len(self.history_["loss"]))
        from .keras_models import describe

        self.report_ = {
            "classifier": self.name,
            "params": dict(p),
            "seed": self.random_state,
            "runtime": runtime,
            "model": describe(model),
            "n_train": len(train_idx),
            "n_val": len(val_idx),
            "train_counts": class_counts(y[train_idx], n_classes),
            "val_counts": class_counts(y[val_idx], n_classes),
            "class_weight": weights,
            "epochs_run": len(self.history_["loss"]),
            "best_epoch": best,
            "history": self.history_,
        }
        return self

    # -- inference ---------------------------------------------------------------------------
    def _check_fitted(self) -> None:
        if not hasattr(self, "model_"):
            raise RuntimeError(f"{type(self).__name__} used before fit")

    def predict_scores(self, x: np.ndarray) -> np.ndarray:
        """Softmax probabilities ``(N, n_classes)``, float64."""
        self._check_fitted()
        check_images(x)
        out = self.model_.predict(x, batch_size=max(self.params["batch_size"], 256), verbose=0)
        return np.asarray(out, dtype=np.float64)

    def evaluation_set(
        self, x_test: np.ndarray, y_test: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, dict[str, Any]]:
        """The test images this classifier is scored on, their labels in its label space, and
        a record of any selection (none for the multi-class classifiers)."""
        return x_test, np.asarray(y_test, np.int64), {"task": "multiclass",
                                                      "n_test": len(y_test)}

    def save_model(self, path: str | os.PathLike[str]) -> None:
        self._check_fitted()
        save_keras_model(self.model_, path)


# ------------------------------------------------------------------------------ seed 000 CNN
class CNNClassifier(KerasClassifier):
    """Seed 000's CNN (§4.4.1/§4.4.2) with its softmax head as the classifier (the ablation of
    ``cnn_svm``). ``n_blocks`` null = as many conv blocks as the image size allows (3 for
    28x28/32x32, 2 for 8x8); ``dense_units`` 1024 is the feature size the SVM gets."""

    name: ClassVar[str] = "cnn"
    default_params: ClassVar[dict[str, Any]] = {
        **KerasClassifier.default_params,
        "n_blocks": None,
        "dense_units": 1024,
        "conv_dropout": 0.25,
        "dense_dropout": 0.5,
    }

    @classmethod
    def check_params(cls, params: Mapping[str, Any] | None = None) -> dict[str, Any]:
        p = super().check_params(params)
        _require(p["n_blocks"] is None or p["n_blocks"] in (1, 2, 3), "n_blocks", p["n_blocks"],
                 "1, 2, 3 or null (auto)")
        _require(_is_int(p["dense_units"], 1), "dense_units", p["dense_units"], "an integer >= 1")
        for key in ("conv_dropout", "dense_dropout"):
            _require(_is_num(p[key], strict=False) and p[key] < 1, key, p[key],
                     "a number in [0, 1)")
        return p

    def build_model(self, input_shape: tuple[int, ...], n_classes: int) -> Any:
        from .keras_models import build_cnn

        p = self.params
        return build_cnn(input_shape, n_classes, n_blocks=p["n_blocks"],
                         dense_units=p["dense_units"], conv_dropout=p["conv_dropout"],
                         dense_dropout=p["dense_dropout"])

    def features(self, x: np.ndarray) -> np.ndarray:
        """Penultimate-layer (``dense_units``-d, post-ReLU) features, float32."""
        from .keras_models import feature_extractor

        self._check_fitted()
        check_images(x)
        if not hasattr(self, "_extractor"):
            self._extractor = feature_extractor(self.model_)
        out = self._extractor.predict(x, batch_size=max(self.params["batch_size"], 256),
                                      verbose=0)
        return np.asarray(out, dtype=np.float32)


# -------------------------------------------------------------------------- SVM on features
def svm_subsample(y: np.ndarray, per_class: int | str, seed: int | None) -> np.ndarray:
    """Sorted indices of seed 000's §4.4 SVM training subsample.

    The largest class gets ``per_class`` images (1000 in the seed) and every other class the
    same fraction of its own size (at least one image), so a balanced set gives ``per_class``
    of each and an imbalanced one keeps its proportions. ``"all"`` keeps every image.
    """
    y = np.asarray(y)
    if per_class == "all":
        return np.arange(len(y))
    classes, counts = np.unique(y, return_counts=True)
    scale = min(1.0, per_class / counts.max())
    rng = np.random.RandomState(seed)
    keep = []
    for c, n in zip(classes, counts, strict=True):  # ascending classes: reproducible stream
        idx = np.flatnonzero(y == c)
        k = min(int(n), max(1, int(round(n * scale))))
        keep.append(rng.choice(idx, size=k, replace=False) if k < n else idx)
    return np.sort(np.concatenate(keep))


class FeatureSVM:
    """RBF SVC on precomputed feature vectors, scores with one column per class.

    ``C``/``gamma`` may be lists: then a stratified ``cv_folds``-fold grid search on the
    subsample picks them (seed 000 fits its SVM "through cross-validation"; the grid is not
    given there). ``probability`` switches the scores from one-vs-rest decision values to
    Platt-calibrated probabilities.
    """

    def __init__(
        self,
        *,
        C: float | list[float] = 1.0,  # noqa: N803 - sklearn's name
        gamma: str | float | list[float | str] = "scale",
        per_class: int | str = 1000,
        standardize: bool = False,
        probability: bool = False,
        cv_folds: int = 3,
        random_state: int | None = None,
    ) -> None:
        self.C, self.gamma, self.per_class = C, gamma, per_class
        self.standardize, self.probability, self.cv_folds = standardize, probability, cv_folds
        self.random_state = random_state

    @property
    def score_kind(self) -> str:
        return "probability" if self.probability else "decision"

    def fit(self, features: np.ndarray, y: np.ndarray, n_classes: int) -> FeatureSVM:
        from sklearn.model_selection import GridSearchCV, StratifiedKFold
        from sklearn.pipeline import make_pipeline
        from sklearn.preprocessing import StandardScaler
        from sklearn.svm import SVC

        y = np.asarray(y, np.int64)
        self.n_classes_ = int(n_classes)
        keep = svm_subsample(y, self.per_class, self.random_state)
        f, y = np.asarray(features, np.float64)[keep], y[keep]
        self.n_train_ = len(y)
        self.train_counts_ = class_counts(y, self.n_classes_)
        self.trained_classes_ = np.unique(y)
        self.best_params_: dict[str, Any] = {}
        if len(self.trained_classes_) < 2:
            self.model_ = None  # SVC refuses one class; predict it always
            return self
        svc = SVC(kernel="rbf", decision_function_shape="ovr", random_state=self.random_state)
        model = make_pipeline(StandardScaler(), svc) if self.standardize else make_pipeline(svc)
        grid = {"svc__C": self.C if isinstance(self.C, list) else [self.C],
                "svc__gamma": self.gamma if isinstance(self.gamma, list) else [self.gamma]}
        if len(grid["svc__C"]) * len(grid["svc__gamma"]) > 1:
            folds = min(self.cv_folds, int(np.bincount(y)[self.trained_classes_].min()))
            if folds < 2:
                raise DataError("SVM grid search needs >= 2 images of every class in the "
                                "subsample; give single C/gamma values or a larger svm_per_class")
            search = GridSearchCV(model, grid, cv=StratifiedKFold(folds, shuffle=True,
                                                                  random_state=self.random_state))
            search.fit(f, y)
            model = search.best_estimator_
            self.best_params_ = {k.removeprefix("svc__"): v for k, v in search.best_params_.items()}
        else:
            model.set_params(**{k: v[0] for k, v in grid.items()}).fit(f, y)
        if self.probability:
            # Platt scaling on held-out folds of the subsample (sklearn 1.9 deprecates
            # SVC(probability=True) for exactly this), with C/gamma fixed to the chosen ones.
            from sklearn.calibration import CalibratedClassifierCV

            folds = min(self.cv_folds, int(np.bincount(y)[self.trained_classes_].min()))
            if folds < 2:
                raise DataError("svm_probability needs >= 2 images of every class in the "
                                "subsample; use decision values or a larger svm_per_class")
            model = CalibratedClassifierCV(model, cv=StratifiedKFold(
                folds, shuffle=True, random_state=self.random_state), ensemble=False).fit(f, y)
        self.model_ = model
        return self

    def scores(self, features: np.ndarray) -> np.ndarray:
        """``(N, n_classes)`` float64; classes absent from training get MISSING_CLASS_SCORE
        (0 probability when ``probability``)."""
        missing = 0.0 if self.probability else MISSING_CLASS_SCORE
        out = np.full((len(features), self.n_classes_), missing, dtype=np.float64)
        if self.model_ is None:
            out[:, self.trained_classes_[0]] = 1.0 if self.probability else 0.0
            return out
        f = np.asarray(features, np.float64)
        if self.probability:
            s = self.model_.predict_proba(f)
        else:
            s = self.model_.decision_function(f)
            if s.ndim == 1:  # two classes: one column, positive for classes_[1]
                s = np.stack([-s, s], axis=1)
        out[:, self.model_.classes_] = s
        return out


class CNNSVMClassifier(CNNClassifier):
    """Seed 000's hybrid: the CNN trained with its softmax head, then an RBF SVM on the
    penultimate features of (a §4.4 subsample of) the training set.

    Parameters: every ``cnn`` parameter, plus ``svm_C`` (1.0, sklearn's default; the seed gives
    none), ``svm_gamma`` ("scale"), either may be a list for a grid search with
    ``svm_cv_folds`` folds; ``svm_per_class`` (1000 or "all", see :func:`svm_subsample`);
    ``svm_standardize`` (false); ``svm_probability`` (false: decision values as scores).
    The workflow runs the two halves as separate jobs (``train_cnn`` on a GPU, ``fit_svm`` on a
    CPU) through :func:`train_cnn_features` and :func:`fit_svm_on_features`.
    """

    name: ClassVar[str] = "cnn_svm"
    svm_defaults: ClassVar[dict[str, Any]] = {
        "svm_C": 1.0,
        "svm_gamma": "scale",
        "svm_per_class": 1000,
        "svm_standardize": False,
        "svm_probability": False,
        "svm_cv_folds": 3,
    }
    default_params: ClassVar[dict[str, Any]] = {**CNNClassifier.default_params, **svm_defaults}

    def __init__(self, *, random_state: int | None = None, n_jobs: int = 1,
                 **params: Any) -> None:
        super().__init__(random_state=random_state, n_jobs=n_jobs, **params)
        # An instance attribute, because the kind depends on svm_probability.
        self.score_kind = "probability" if self.params["svm_probability"] else "decision"

    @classmethod
    def check_params(cls, params: Mapping[str, Any] | None = None) -> dict[str, Any]:
        p = super().check_params(params)

        def values(key: str) -> list[Any]:
            v = p[key]
            return v if isinstance(v, list) and v else [v]

        for c in values("svm_C"):
            _require(_is_num(c), "svm_C", p["svm_C"], "a number > 0 or a list of them")
        for g in values("svm_gamma"):
            _require(g in ("scale", "auto") or _is_num(g), "svm_gamma", p["svm_gamma"],
                     "'scale', 'auto', a number > 0, or a list of them")
        _require(p["svm_per_class"] == "all" or _is_int(p["svm_per_class"], 1), "svm_per_class",
                 p["svm_per_class"], "an integer >= 1 or 'all'")
        for key in ("svm_standardize", "svm_probability"):
            _require(isinstance(p[key], bool), key, p[key], [True, False])
        _require(_is_int(p["svm_cv_folds"], 2), "svm_cv_folds", p["svm_cv_folds"],
                 "an integer >= 2")
        return p

    @classmethod
    def split_params(cls, params: Mapping[str, Any] | None) -> tuple[dict, dict]:
        """Validate ``cnn_svm`` params; return ``(cnn params, FeatureSVM kwargs)``."""
        p = cls.check_params(params)
        cnn = {k: v for k, v in p.items() if k not in cls.svm_defaults}
        svm = {k.removeprefix("svm_"): v for k, v in p.items() if k in cls.svm_defaults}
        return cnn, svm

    def fit(self, x: np.ndarray, y: np.ndarray, n_classes: int | None = None, *,
            synthetic: np.ndarray | None = None) -> CNNSVMClassifier:
        super().fit(x, y, n_classes, synthetic=synthetic)
        _, svm_kwargs = self.split_params(
            {k: v for k, v in self.params.items() if k in self.default_params})
        self.svm_ = FeatureSVM(random_state=self.random_state, **svm_kwargs).fit(
            self.features(x), y, self.n_classes_)
        self.report_["svm"] = {"n_train": self.svm_.n_train_,
                               "train_counts": self.svm_.train_counts_,
                               "best_params": self.svm_.best_params_}
        return self

    def predict_scores(self, x: np.ndarray) -> np.ndarray:
        self._check_fitted()
        return self.svm_.scores(self.features(x))


def train_cnn_features(
    params: Mapping[str, Any],
    x: np.ndarray,
    y: np.ndarray,
    x_test: np.ndarray,
    y_test: np.ndarray,
    *,
    n_classes: int,
    seed: int,
    n_jobs: int = 1,
    synthetic: np.ndarray | None = None,
) -> tuple[CNNClassifier, dict[str, np.ndarray]]:
    """First half of ``cnn_svm``: train the CNN, return it and the ``features.npz`` arrays.

    ``params`` are the whole ``cnn_svm`` params (the SVM keys are validated here too, so a
    bad SVM setting fails before hours of CNN training). The test images pass through the
    network once, after training, and their digest travels with the features.
    """
    from ..io import array_digest

    cnn_params, _ = CNNSVMClassifier.split_params(params)
    cnn = CNNClassifier(random_state=seed, n_jobs=n_jobs, **cnn_params)
    cnn.fit(x, y, n_classes, synthetic=synthetic)
    val_mask = np.zeros(len(y), bool)
    val_mask[cnn.val_idx_] = True
    arrays = {
        "train_features": cnn.features(x),
        "train_labels": np.asarray(y, np.int64),
        "train_val_mask": val_mask,
        "test_features": cnn.features(x_test),
        "test_labels": np.asarray(y_test, np.int64),
        "test_sha256": np.array(array_digest(x_test, y_test)),
        "n_classes": np.array(n_classes, np.int64),
    }
    return cnn, arrays


def fit_svm_on_features(
    params: Mapping[str, Any], features: Mapping[str, np.ndarray], *, seed: int
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Second half of ``cnn_svm``: SVM on ``features.npz`` arrays.

    Returns ``(save_predictions keywords, report)``. All training images (train and
    validation parts of the CNN split) are candidates for the §4.4 subsample: the SVM has no
    early stopping that would need the held-out part.
    """
    _, svm_kwargs = CNNSVMClassifier.split_params(params)
    n_classes = int(features["n_classes"])
    svm = FeatureSVM(random_state=seed, **svm_kwargs).fit(
        features["train_features"], features["train_labels"], n_classes)
    scores = svm.scores(features["test_features"])
    predictions = {
        "y_true": np.asarray(features["test_labels"], np.int64),
        # argmax of the scores, so predictions and AUC scores can never disagree
        "y_pred": np.argmax(scores, axis=1).astype(np.int64),
        "scores": scores,
        "score_kind": svm.score_kind,
        "test_sha256": str(features["test_sha256"]),
    }
    report = {"n_train": svm.n_train_, "train_counts": svm.train_counts_,
              "best_params": svm.best_params_, "svm": svm_kwargs, "seed": seed}
    return predictions, report


# -------------------------------------------------------------------------------- ResNet-18
class ResNet18Classifier(KerasClassifier):
    """ResNet-18 from scratch (seeds 001/002), or seed 002's transfer protocol.

    ``pretrained: false`` (default) builds ResNet-18 in Keras (``stem``: auto/cifar/imagenet).
    keras.applications has no ResNet-18 and so no ImageNet weights for it; ``pretrained:
    true`` therefore uses the ``backbone`` named here (default resnet50, any of
    ``keras_models.APPLICATIONS``) with ImageNet weights, frozen except its last
    ``trainable_layers`` layers, under a new softmax head -- the report records the backbone.
    Images are resized to ``image_size`` (null = native, at least 32) and grey ones repeated
    to RGB. Offline, a DataError says which weights file to provide. Seed 002 trains the head
    with learning_rate 1e-4 and weight_decay 1e-5: set those in the config for that protocol.
    """

    name: ClassVar[str] = "resnet18"
    default_params: ClassVar[dict[str, Any]] = {
        **KerasClassifier.default_params,
        "stem": "auto",
        "pretrained": False,
        "backbone": "resnet50",
        "image_size": None,
        "trainable_layers": 0,
    }

    @classmethod
    def check_params(cls, params: Mapping[str, Any] | None = None) -> dict[str, Any]:
        p = super().check_params(params)
        _require(p["stem"] in ("auto", "cifar", "imagenet"), "stem", p["stem"],
                 ["auto", "cifar", "imagenet"])
        _require(isinstance(p["pretrained"], bool), "pretrained", p["pretrained"], [True, False])
        _require(p["backbone"] in APPLICATIONS, "backbone", p["backbone"], sorted(APPLICATIONS))
        _require(p["image_size"] is None or _is_int(p["image_size"], 8), "image_size",
                 p["image_size"], "an integer >= 8 or null")
        _require(p["trainable_layers"] is None or _is_int(p["trainable_layers"]),
                 "trainable_layers", p["trainable_layers"], "an integer >= 0 or null (all)")
        return p

    def build_model(self, input_shape: tuple[int, ...], n_classes: int) -> Any:
        from .keras_models import build_pretrained_classifier, build_resnet18

        p = self.params
        if p["pretrained"]:
            return build_pretrained_classifier(
                input_shape, n_classes, backbone=p["backbone"], image_size=p["image_size"],
                trainable_layers=p["trainable_layers"],
            )
        if p["image_size"] is not None:
            import keras

            from .keras_models import _input

            inp = _input(input_shape)
            resized = keras.layers.Resizing(p["image_size"], p["image_size"])(inp)
            net = build_resnet18((p["image_size"], p["image_size"], input_shape[-1]), n_classes,
                                 stem=p["stem"])
            return keras.Model(inp, net(resized), name="resnet18_resized")
        return build_resnet18(input_shape, n_classes, stem=p["stem"])


# ----------------------------------------------------------------------------- seed 004 CNN
class SmallCNNClassifier(KerasClassifier):
    """Seed 004's classifier: convs of 50, 20, 5 maps (3x3, ReLU, max pooling), Dense 30 and
    20, softmax output; Adam with learning rate 1e-4 as in the seed."""

    name: ClassVar[str] = "small_cnn"
    default_params: ClassVar[dict[str, Any]] = {
        **KerasClassifier.default_params,
        "learning_rate": 1e-4,
        "filters": [50, 20, 5],
        "hidden": [30, 20],
    }

    @classmethod
    def check_params(cls, params: Mapping[str, Any] | None = None) -> dict[str, Any]:
        p = super().check_params(params)
        for key in ("filters", "hidden"):
            ok = isinstance(p[key], list | tuple) and all(_is_int(v, 1) for v in p[key])
            _require(ok and len(p[key]) > 0, key, p[key], "a non-empty list of integers >= 1")
        return p

    def build_model(self, input_shape: tuple[int, ...], n_classes: int) -> Any:
        from .keras_models import build_small_cnn

        return build_small_cnn(input_shape, n_classes, filters=self.params["filters"],
                               hidden=self.params["hidden"])


# ------------------------------------------------------------------------- workflow helper
def fit_and_predict_neural(
    method: str,
    params: Mapping[str, Any],
    x_train: np.ndarray,
    y_train: np.ndarray,
    x_test: np.ndarray,
    y_test: np.ndarray,
    *,
    n_classes: int,
    seed: int,
    n_jobs: int = 1,
    synthetic: np.ndarray | None = None,
) -> tuple[Any, dict[str, Any], dict[str, Any]]:
    """``train_neural``'s work: fit, then score the test set once.

    Returns ``(classifier, save_predictions keywords, report)``. The classifier chooses its
    evaluation set (eGAN keeps the test images of its two classes and relabels them; the
    report records that); the digest is of the arrays actually predicted on.
    """
    from ..io import array_digest
    from . import CLASSIFIERS

    clf = CLASSIFIERS[method](random_state=seed, n_jobs=n_jobs, **dict(params))
    clf.fit(x_train, y_train, n_classes, synthetic=synthetic)
    x_eval, y_eval, task = clf.evaluation_set(x_test, y_test)
    scores = np.asarray(clf.predict_scores(x_eval), dtype=np.float64)
    predictions = {
        "y_true": y_eval,
        "y_pred": np.asarray(clf.classes_)[np.argmax(scores, axis=1)].astype(np.int64),
        "scores": scores,
        "score_kind": clf.score_kind,
        # Of the whole test set given: evaluate checks it against the dataset's original.
        "test_sha256": array_digest(x_test, y_test),
    }
    if task.get("test_indices") is not None:
        predictions["test_indices"] = np.asarray(task.pop("test_indices"), dtype=np.int64)
        predictions["class_names"] = list(task["class_names"])
    report = {**clf.report_, "evaluation": {**task, "test_sha256": predictions["test_sha256"]}}
    return clf, predictions, report
