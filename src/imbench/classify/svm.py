"""RBF support-vector machine on raw pixels or HOG features.

The reference study fits an RBF SVM on at most 1000 images per class; ``max_train_per_class``
reproduces that with a seeded per-class subsample (``None`` keeps every image).
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np

from ..errors import ConfigError
from ..params import BOOL, AnyOf, Choice, Int, Number, Param, ParamSpec, one_of, optional
from .base import Classifier

#: Score given to a class that was absent from the training set. It is finite (so that
#: metrics, JSON and ``np.argmax`` behave) and far below any one-vs-rest decision value, which
#: sklearn bounds to roughly ``(-1, n_classes)``, so such a class is never predicted.
MISSING_CLASS_SCORE = -1.0e6

FEATURES = ("pixels", "hog")
CLASS_WEIGHTS = (None, "balanced")


def class_scores(model: Any, features: np.ndarray, n_classes: int,
                 trained_classes: np.ndarray, *, probability: bool = False) -> np.ndarray:
    """``(N, n_classes)`` float64 scores of a fitted SVC (or a pipeline ending in one), one
    column per class: decision values, or probabilities with ``probability``. A class absent
    from training gets MISSING_CLASS_SCORE (probability 0); ``model`` None means one trained
    class, which is always predicted."""
    out = np.full((len(features), n_classes), 0.0 if probability else MISSING_CLASS_SCORE,
                  dtype=np.float64)
    if model is None:
        out[:, trained_classes[0]] = 1.0 if probability else 0.0
        return out
    if probability:
        s = model.predict_proba(features)
    else:
        s = model.decision_function(features)
        if s.ndim == 1:  # two trained classes: one column, positive for classes_[1]
            s = np.stack([-s, s], axis=1)
    out[:, model.classes_] = s
    return out


def hog_pixels_per_cell(height: int, width: int) -> int:
    """Cell side (pixels) for an image of this size: about 7 cells across, at least 2 pixels.

    8×8 → 2 (4×4 cells), 28×28 → 4 (7×7 cells), 32×32 → 4 (8×8 cells): fine enough to keep
    stroke direction on small images, coarse enough for stable orientation histograms.
    """
    return max(2, min(height, width) // 7)


def hog_features(
    x: np.ndarray,
    *,
    pixels_per_cell: int | None = None,
    cells_per_block: int = 2,
    orientations: int = 9,
) -> np.ndarray:
    """HOG descriptor of each uint8 ``(N, H, W, C)`` image, as float64 ``(N, D)``."""
    from skimage.feature import hog

    if x.ndim != 4:
        raise ValueError(f"images must be (N, H, W, C); got shape {x.shape}")
    _, h, w, c = x.shape
    ppc = pixels_per_cell or hog_pixels_per_cell(h, w)
    if min(h, w) < ppc * cells_per_block:
        raise ConfigError(
            "hog_pixels_per_cell", ppc,
            f"a cell size with at least {cells_per_block} cells across a {h}x{w} image",
        )
    images = x.astype(np.float64) / 255.0
    # Grey images go in as 2-D arrays; RGB ones use skimage's per-pixel max-gradient channel.
    channel_axis = -1 if c > 1 else None
    if c == 1:
        images = images[..., 0]
    kwargs = dict(
        orientations=orientations,
        pixels_per_cell=(ppc, ppc),
        cells_per_block=(cells_per_block, cells_per_block),
        block_norm="L2-Hys",
        feature_vector=True,
        channel_axis=channel_axis,
    )
    if len(images) == 0:
        # Shape of the descriptor without special-casing skimage's block arithmetic.
        dim = hog(np.zeros(images.shape[1:]), **kwargs).size
        return np.zeros((0, dim))
    return np.stack([hog(img, **kwargs) for img in images])


def subsample_per_class(
    y: np.ndarray, max_per_class: int | None, random_state: int | None
) -> np.ndarray:
    """Sorted indices keeping at most ``max_per_class`` images of each class (seeded)."""
    if max_per_class is None:
        return np.arange(len(y))
    rng = np.random.RandomState(random_state)
    keep = []
    # Classes in ascending order so that the random stream, hence the subset, is reproducible.
    for c in np.unique(y):
        idx = np.flatnonzero(y == c)
        if len(idx) > max_per_class:
            idx = rng.choice(idx, size=max_per_class, replace=False)
        keep.append(idx)
    return np.sort(np.concatenate(keep)) if keep else np.arange(0)


class SVMClassifier(Classifier):
    """``sklearn.svm.SVC(kernel="rbf")``; scores are one-vs-rest decision values.

    Parameters (config ``params``):

    * ``C`` (10), ``gamma`` ("scale", "auto" or a positive float), ``class_weight``
      (None or "balanced"), ``decision_function_shape`` (only "ovr": the score contract needs
      one column per class), ``cache_size`` (MB of kernel cache; speed only);
    * ``features``: "pixels" (scaled to [0, 1]) or "hog";
    * ``hog_pixels_per_cell`` (None = adapt to the image size, see ``hog_pixels_per_cell``),
      ``hog_cells_per_block`` (2), ``hog_orientations`` (9);
    * ``standardize``: z-score each feature on the training set before the SVM;
    * ``max_train_per_class``: None (all) or a seeded per-class subsample size.
    """

    name: ClassVar[str] = "svm"
    score_kind: ClassVar[str] = "decision"
    parameters: ClassVar[ParamSpec] = ParamSpec(
        Param("C", 10.0, Number(0, lo_open=True), "the RBF SVM's regularisation C"),
        Param("gamma", "scale", AnyOf((one_of("scale", "auto"), Number(0, lo_open=True))),
              "the RBF kernel's gamma (scikit-learn's 'scale' / 'auto', or a number)"),
        Param("class_weight", None, Choice(CLASS_WEIGHTS),
              "null or balanced (C of class c times n / (k n_c))"),
        Param("decision_function_shape", "ovr", one_of("ovr"),
              "one-vs-rest decision values (the scores AUC reads)"),
        Param("cache_size", 500, Number(0, lo_open=True, unit="MB"), "libsvm's kernel cache"),
        Param("features", "pixels", Choice(FEATURES),
              "pixels (scaled to [0, 1]) or hog (scikit-image's HOG)"),
        Param("hog_pixels_per_cell", None, optional(Int(1)),
              "HOG cell size (null: adapted to the image size)"),
        Param("hog_cells_per_block", 2, Int(1), "HOG cells per normalisation block"),
        Param("hog_orientations", 9, Int(1), "HOG orientation bins"),
        Param("standardize", False, BOOL,
              "z-score each feature on the training set before the SVM"),
        Param("max_train_per_class", None, optional(Int(1)),
              "a seeded per-class subsample of the training set (null: all)"),
    )

    def _features(self, x: np.ndarray) -> np.ndarray:
        if x.ndim != 4 or x.dtype != np.uint8:
            raise ValueError(f"images must be uint8 (N, H, W, C); got {x.dtype} {x.shape}")
        p = self.params
        if p["features"] == "hog":
            return hog_features(
                x,
                pixels_per_cell=p["hog_pixels_per_cell"],
                cells_per_block=p["hog_cells_per_block"],
                orientations=p["hog_orientations"],
            )
        return x.reshape(len(x), -1).astype(np.float64) / 255.0

    def fit(self, x: np.ndarray, y: np.ndarray, n_classes: int | None = None, *,
            synthetic: np.ndarray | None = None) -> SVMClassifier:
        from sklearn.preprocessing import StandardScaler
        from sklearn.svm import SVC

        y = np.asarray(y, dtype=np.int64)
        if y.shape != (len(x),) or len(y) == 0:
            raise ValueError(f"labels must be a non-empty ({len(x)},) array; got {y.shape}")
        if n_classes is None:
            n_classes = int(y.max()) + 1
        if y.min() < 0 or y.max() >= n_classes:
            raise ValueError(f"labels must lie in 0..{n_classes - 1}; got {y.min()}..{y.max()}")
        self.n_classes_ = int(n_classes)
        # Predictions index into classes_ (base.predict), so it covers every class even when
        # some are missing from the training set.
        self.classes_ = np.arange(self.n_classes_)

        keep = subsample_per_class(y, self.params["max_train_per_class"], self.random_state)
        feats, y = self._features(x[keep]), y[keep]
        self.n_train_ = len(y)
        self.scaler_ = StandardScaler().fit(feats) if self.params["standardize"] else None
        if self.scaler_ is not None:
            feats = self.scaler_.transform(feats)

        self.trained_classes_ = np.unique(y)
        if len(self.trained_classes_) < 2:
            # SVC refuses a single class; the only sensible classifier predicts it always.
            self.svc_ = None
            return self
        self.svc_ = SVC(
            kernel="rbf",
            C=float(self.params["C"]),
            gamma=self.params["gamma"],
            class_weight=self.params["class_weight"],
            decision_function_shape="ovr",
            cache_size=self.params["cache_size"],
            random_state=self.random_state,
        ).fit(feats, y)
        return self

    def predict_scores(self, x: np.ndarray) -> np.ndarray:
        """``(N, n_classes)`` float64 decision values; absent classes get MISSING_CLASS_SCORE."""
        if not hasattr(self, "classes_"):
            raise RuntimeError("SVMClassifier.predict_scores called before fit")
        feats = self._features(x) if self.svc_ is not None else np.zeros((len(x), 0))
        if self.scaler_ is not None and self.svc_ is not None:
            feats = self.scaler_.transform(feats)
        return class_scores(self.svc_, feats, self.n_classes_, self.trained_classes_)
