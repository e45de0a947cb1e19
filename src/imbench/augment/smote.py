"""``smote``: imbalanced-learn's SMOTE (Chawla et al. 2002) on flattened pixels."""

from __future__ import annotations

from typing import ClassVar

import numpy as np

from ..errors import DataError
from ..params import Int, Param, ParamSpec
from .base import Augmenter


class Smote(Augmenter):
    """Each new image is ``a + t * (b - a)``, ``a`` a real image of the class, ``b`` one of
    its ``k_neighbors`` nearest same-class neighbours (Euclidean on pixels), ``t ~ U(0, 1)``;
    rounded and clipped back to uint8.

    SMOTE runs once per class so ``k_neighbors`` can be clipped to that class's size - 1
    (a tiny minority class must not shrink ``k`` for every other class).
    """

    name: ClassVar[str] = "smote"
    synthesises: ClassVar[bool] = True
    parameters: ClassVar[ParamSpec] = ParamSpec(
        Param("k_neighbors", 5, Int(1),
              "same-class neighbours each new image interpolates towards (clipped to the "
              "class's size - 1)"),
    )

    def _generate(
        self, x: np.ndarray, y: np.ndarray, cls: int, n: int, rng: np.random.RandomState
    ) -> np.ndarray:
        from imblearn.over_sampling import SMOTE

        x_cls = x[y == cls]
        n_cls = len(x_cls)
        if n_cls < 2:
            raise DataError(
                f"smote: class {cls} has {n_cls} image(s); interpolation needs at least 2 "
                "(use a milder imbalance or another augmenter)"
            )
        k = min(int(self.params_["k_neighbors"]), n_cls - 1)
        if k < int(self.params_["k_neighbors"]):
            self.notes_.append(f"class {cls}: k_neighbors {self.params_['k_neighbors']} is "
                               f"more than its {n_cls} images allow; used {k}")
        # imblearn casts its output back to the input dtype, so uint8 input would truncate
        # the interpolation; float32 is exact for 0..255 and halves memory versus float64
        flat = x_cls.reshape(n_cls, -1).astype(np.float32)
        # SMOTE's neighbours are within-class only, so the other classes are irrelevant; one
        # dummy row of another label satisfies imblearn's "at least two classes" check
        # without copying the whole training set for each class
        other = -1 if cls != -1 else -2
        x_in = np.concatenate([flat, np.zeros((1, flat.shape[1]), np.float32)])
        y_in = np.concatenate([np.full(n_cls, cls, np.int64), [other]])
        sampler = SMOTE(sampling_strategy={cls: n_cls + n}, k_neighbors=k, random_state=rng)
        x_res, y_res = sampler.fit_resample(x_in, y_in)
        # imblearn returns the inputs first, then the synthetic rows; rely on that only
        # after checking it, since a silent reorder would mislabel originals as synthetic
        if not (
            len(x_res) == len(x_in) + n
            and np.array_equal(x_res[: len(x_in)], x_in)
            and np.all(y_res[len(x_in):] == cls)
        ):
            raise RuntimeError("imblearn SMOTE did not return originals first, then new rows")
        new = np.clip(np.rint(x_res[len(x_in):]), 0, 255).astype(np.uint8)
        return new.reshape(n, *x.shape[1:])
