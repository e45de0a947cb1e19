"""Seed 000's hybrid CNN-SVM: the CNN trained with its softmax head, then an RBF SVM on the
penultimate features of (a §4.4 subsample of) the training set.

The workflow runs the two halves as separate jobs (``train_cnn`` on a GPU, ``fit_svm`` on a
CPU: the classifier's ``stage`` is ``two_stage``) through :func:`train_cnn_features` and
:func:`fit_svm_on_features`; :class:`CNNSVMClassifier` does both in memory.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

import numpy as np

from ..errors import DataError
from ..params import BOOL, AnyOf, Check, Int, ListOf, Number, Param, ParamSpec, one_of
from ..sampling import class_count_list
from .cnn import CNNClassifier
from .predictions import predictions_from_scores
from .svm import class_scores


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

    def _folds(self, y: np.ndarray, what: str) -> Any:
        from sklearn.model_selection import StratifiedKFold

        folds = min(self.cv_folds, int(np.bincount(y)[self.trained_classes_].min()))
        if folds < 2:
            raise DataError(f"{what} needs >= 2 images of every class in the subsample; give "
                            "single C/gamma values, decision values, or a larger svm_per_class")
        return StratifiedKFold(folds, shuffle=True, random_state=self.random_state)

    def fit(self, features: np.ndarray, y: np.ndarray, n_classes: int) -> FeatureSVM:
        from sklearn.model_selection import GridSearchCV
        from sklearn.pipeline import make_pipeline
        from sklearn.preprocessing import StandardScaler
        from sklearn.svm import SVC

        y = np.asarray(y, np.int64)
        self.n_classes_ = int(n_classes)
        keep = svm_subsample(y, self.per_class, self.random_state)
        f, y = np.asarray(features, np.float64)[keep], y[keep]
        self.n_train_ = len(y)
        self.train_counts_ = class_count_list(y, self.n_classes_)
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
            search = GridSearchCV(model, grid, cv=self._folds(y, "SVM grid search"))
            search.fit(f, y)
            model = search.best_estimator_
            self.best_params_ = {k.removeprefix("svc__"): v for k, v in search.best_params_.items()}
        else:
            model.set_params(**{k: v[0] for k, v in grid.items()}).fit(f, y)
        if self.probability:
            # Platt scaling on held-out folds of the subsample (sklearn 1.9 deprecates
            # SVC(probability=True) for exactly this), with C/gamma fixed to the chosen ones.
            from sklearn.calibration import CalibratedClassifierCV

            model = CalibratedClassifierCV(model, cv=self._folds(y, "svm_probability"),
                                           ensemble=False).fit(f, y)
        self.model_ = model
        return self

    def scores(self, features: np.ndarray) -> np.ndarray:
        """``(N, n_classes)`` float64 (see :func:`imbench.classify.svm.class_scores`)."""
        return class_scores(self.model_, np.asarray(features, np.float64), self.n_classes_,
                            self.trained_classes_, probability=self.probability)


_POSITIVE = Number(0, lo_open=True)
_GAMMA = AnyOf((one_of("scale", "auto"), _POSITIVE))


class CNNSVMClassifier(CNNClassifier):
    """Seed 000's hybrid (see the module docstring).

    Parameters: every ``cnn`` parameter, plus ``svm_C`` (1.0, sklearn's default; the seed gives
    none), ``svm_gamma`` ("scale"), either may be a list for a grid search with
    ``svm_cv_folds`` folds; ``svm_per_class`` (1000 or "all", see :func:`svm_subsample`);
    ``svm_standardize`` (false); ``svm_probability`` (false: decision values as scores).
    """

    name: ClassVar[str] = "cnn_svm"
    stage: ClassVar[str] = "two_stage"
    #: the SVM's parameters (``svm_`` + FeatureSVM's keyword)
    svm_parameters: ClassVar[ParamSpec] = ParamSpec(
        Param("svm_C", 1.0, AnyOf((_POSITIVE, ListOf(_POSITIVE, min_length=1))),
              "the SVM's C (sklearn's default; the seed gives none); a list: grid search"),
        Param("svm_gamma", "scale", AnyOf((_GAMMA, ListOf(_GAMMA, min_length=1))),
              "the RBF kernel's gamma; a list: grid search"),
        Param("svm_per_class", 1000, AnyOf((Int(1), one_of("all"))),
              "training images per class the SVM fits on (a seeded subsample), or all"),
        Param("svm_standardize", False, BOOL, "z-score the features before the SVM"),
        Param("svm_probability", False, BOOL,
              "Platt-scaled probabilities as scores (false: decision values)"),
        Param("svm_cv_folds", 3, Int(2), "folds of the grid search over svm_C / svm_gamma"),
    )
    parameters: ClassVar[ParamSpec] = CNNClassifier.parameters.merged(ParamSpec(
        Param("posthoc_tau", 0.0, Check(lambda v: v == 0 and not isinstance(v, bool),
                                        "0 (cnn_svm's predictions come from its SVM, not the "
                                        "CNN's softmax)", {"const": 0}),
              "post-hoc logit adjustment: not for cnn_svm"),
        Param("crt_epochs", 0, Check(lambda v: v == 0 and not isinstance(v, bool),
                                     "0 (cnn_svm's SVM reads the features, not a retrained "
                                     "softmax layer)", {"const": 0}),
              "classifier re-training: not for cnn_svm"),
        Param("ldmlr_epochs", 0, Check(lambda v: v == 0 and not isinstance(v, bool),
                                       "0 (cnn_svm's SVM reads the features, not a "
                                       "retrained softmax layer)", {"const": 0}),
              "feature-space diffusion: not for cnn_svm"),
    )) + svm_parameters

    def __init__(self, *, random_state: int | None = None, n_jobs: int = 1,
                 **params: Any) -> None:
        super().__init__(random_state=random_state, n_jobs=n_jobs, **params)
        # An instance attribute, because the kind depends on svm_probability.
        self.score_kind = "probability" if self.params["svm_probability"] else "decision"

    @classmethod
    def split_params(cls, params: Mapping[str, Any] | None, key: str = "params"
                     ) -> tuple[dict, dict]:
        """Validate ``cnn_svm`` params; return ``(cnn params, FeatureSVM kwargs)``."""
        p = cls.check_params(params, key)
        cnn = {k: v for k, v in p.items() if k not in cls.svm_parameters}
        svm = {k.removeprefix("svm_"): v for k, v in p.items() if k in cls.svm_parameters}
        return cnn, svm

    def fit(self, x: np.ndarray, y: np.ndarray, n_classes: int | None = None, *,
            synthetic: np.ndarray | None = None) -> CNNSVMClassifier:
        super().fit(x, y, n_classes, synthetic=synthetic)
        _, svm_kwargs = self.split_params(self.params)
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
    predictions = predictions_from_scores(
        svm.scores(features["test_features"]), features["test_labels"],
        score_kind=svm.score_kind, test_sha256=str(features["test_sha256"]))
    report = {"n_train": svm.n_train_, "train_counts": svm.train_counts_,
              "best_params": svm.best_params_, "svm": svm_kwargs, "seed": seed}
    return predictions, report
