"""Seed 004's classifier (§III.B.3)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

from ..params import Int, ListOf, Param, ParamSpec
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
    parameters: ClassVar[ParamSpec] = KerasClassifier.parameters.with_defaults(
        learning_rate=1e-4) + ParamSpec(
        Param("filters", [50, 20, 5], ListOf(Int(1), min_length=1),
              "filters of each conv layer (each followed by 2x2 max pooling)"),
        Param("hidden", [30, 20], ListOf(Int(1), min_length=1), "units of each dense layer"),
    )

    def build_model(self, input_shape: tuple[int, ...], n_classes: int) -> Any:
        return build_small_cnn(input_shape, n_classes, filters=self.params["filters"],
                               hidden=self.params["hidden"])
