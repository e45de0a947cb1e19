"""GAN augmenters: sample the minority classes from generators trained by the
``train_generator`` stage (``imbench.generators``). There is one augmenter per registered
generator method, made by :func:`augmenter_for` (the augmenter registry derives its entries
from ``GENERATORS``); torch is imported only when images are generated."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any, ClassVar

import numpy as np

from ..errors import DataError
from ..generators import GENERATORS, load_config, spec
from .base import Augmenter


class GenerativeAugmenter(Augmenter):
    """Oversampling by sampling a trained generator's selected epoch.

    ``params`` are the generator's training hyper-parameters (validated, otherwise unused
    here: they shaped the model in ``generator.pt``). Call ``set_generators({unit: path})``
    with each unit's ``generator.pt`` before ``fit_resample``.
    """

    method: ClassVar[str] = ""
    synthesises: ClassVar[bool] = True

    @classmethod
    def check_params(cls, params: Mapping[str, Any] | None = None, key: str = "params"
                     ) -> dict[str, Any]:
        # the generator package owns the declaration and the relation between budgets
        return load_config(cls.method, params, key=key)

    def set_generators(self, units: Mapping[str, str | os.PathLike[str]]) -> None:
        self.generator_paths = dict(units)
        self._generators = None

    def _generate(self, x: np.ndarray, y: np.ndarray, cls: int, n: int,
                  rng: np.random.RandomState) -> np.ndarray:
        if getattr(self, "_generators", None) is None:
            if not getattr(self, "generator_paths", None):
                raise DataError(f"{self.method}: set_generators() was not called")
            from ..generators.sampling import GeneratorSet

            self._generators = GeneratorSet(
                self.generator_paths, device=self.params.get("device", "auto"))
        # one draw from the augmenter's seeded stream per class: same random_state, same images
        seed = int(rng.randint(0, 2**31 - 1))
        out = self._generators.sample(cls, n, seed)
        if out.shape[1:] != x.shape[1:]:
            raise DataError(f"{self.method}: generator makes {out.shape[1:]} images, the "
                            f"training set has {x.shape[1:]}")
        return out


def augmenter_for(method: str) -> type[GenerativeAugmenter]:
    """The augmenter of generator method ``method`` (its registry entry says which kind of
    generator it samples; its params are the method's training hyper-parameters)."""
    return type(f"GenerativeAugmenter[{method}]", (GenerativeAugmenter,), {
        "name": method, "method": method, "generator": GENERATORS[method].kind,
        "parameters": spec(method), "__module__": __name__,
    })
