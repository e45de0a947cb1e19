"""Seed 004's classifier (§III.B.3)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

from .params import is_int, require
from .training import KerasClassifier


def build_small_cnn(
    input_shape: Sequence[int],
    n_classes: int,
    *,
    filters: Sequence[int] = (50, 20, 5),
    hidden: Sequence[int] = (30, 20),
) -> Any:
    """Three 3x3 ReLU convs (50, 20, 5 maps) each with 2x2 max pooling, Flatten, Dense 30 and
    20 (ReLU), then the output layer.

    The seed's single sigmoid unit is its two-class case; here the head is an n-class softmax
    (identical for two classes). Convs and pools use 'same' padding so that 8x8 inputs survive
    three poolings (8 -> 4 -> 2 -> 1); the seed does not state its padding.
    """
    import keras
    from keras import layers

    from .layers import image_input, softmax_head

    inp = image_input(input_shape)
    h = layers.Rescaling(1.0 / 255.0, name="rescale")(inp)
    for i, f in enumerate(filters, start=1):
        h = layers.Conv2D(int(f), 3, padding="same", activation="relu", name=f"conv{i}")(h)
        h = layers.MaxPooling2D(2, padding="same", name=f"pool{i}")(h)
    h = layers.Flatten(name="flatten")(h)
    for i, units in enumerate(hidden, start=1):
        h = layers.Dense(int(units), activation="relu", name=f"dense{i}")(h)
    return keras.Model(inp, softmax_head(h, n_classes), name="small_cnn")


class SmallCNNClassifier(KerasClassifier):
    """Seed 004's small CNN; Adam with learning rate 1e-4 as in the seed."""

    name: ClassVar[str] = "small_cnn"
    default_params: ClassVar[dict[str, Any]] = {
        **KerasClassifier.default_params,
        "learning_rate": 1e-4,
        "filters": [50, 20, 5],
        "hidden": [30, 20],
    }

    @classmethod
    def _check_values(cls, p: dict[str, Any], key: str) -> None:
        super()._check_values(p, key)
        for name in ("filters", "hidden"):
            ok = isinstance(p[name], list | tuple) and all(is_int(v, 1) for v in p[name])
            require(p, key, name, ok and len(p[name]) > 0, "a non-empty list of integers >= 1")

    def build_model(self, input_shape: tuple[int, ...], n_classes: int) -> Any:
        return build_small_cnn(input_shape, n_classes, filters=self.params["filters"],
                               hidden=self.params["hidden"])
