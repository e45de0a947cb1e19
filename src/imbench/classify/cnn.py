"""Seed 000's CNN (§3.3, §4.4.1/§4.4.2), layer for layer, with its softmax head as the
classifier (the ablation of ``cnn_svm``, which reads its penultimate features)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

import numpy as np

from ..errors import ConfigError, DataError
from ..params import Int, Number, Param, ParamSpec, one_of, optional
from .training import KerasClassifier, check_images

#: name of the penultimate (feature) layer of :func:`build_cnn`; the CNN-SVM reads it
CNN_FEATURE_LAYER = "features"

#: seed 000's conv blocks: (filters, number of 3x3 convs) per block, each block ending in
#: 2x2 max pooling and dropout
CNN_BLOCKS: tuple[tuple[int, int], ...] = ((64, 2), (128, 2), (256, 3))


def cnn_auto_blocks(input_shape: Sequence[int], max_blocks: int = len(CNN_BLOCKS)) -> int:
    """How many of seed 000's conv blocks fit the input.

    Each block halves the image (floor, 'valid' pooling as in the tables: 7 -> 3); a block is
    kept while the map it leaves is at least 2x2. 28x28 and 32x32 keep all three blocks (the
    tables), 8x8 digits keep two (8 -> 4 -> 2): the "proportionally shallower" network.
    """
    side = min(int(input_shape[0]), int(input_shape[1]))
    n = 0
    while n < max_blocks and side // 2 >= 2:
        side //= 2
        n += 1
    if n == 0:
        raise DataError(f"input {tuple(input_shape)} is too small for the CNN (needs >= 4x4)")
    return n


def build_cnn(
    input_shape: Sequence[int],
    n_classes: int,
    *,
    n_blocks: int | None = None,
    dense_units: int = 1024,
    conv_dropout: float = 0.25,
    dense_dropout: float = 0.5,
) -> Any:
    """Seed 000's CNN: conv blocks 2x64, 2x128, 3x256 (3x3, 'same', ReLU), each followed by 2x2
    max pooling and dropout 0.25; then Flatten, two Dense(1024)+ReLU+dropout, Dense(n_classes)
    + softmax.

    The tables of §4.4.1/§4.4.2 fix layers, shapes and parameter counts (5,154,506 for
    28x28x1, 6,990,666 for 32x32x3; 3x3 kernels follow from 640 = 9*64 + 64). They do not give
    the dense dropout rate; 0.5 is the usual rate for this VGG-style network and does not
    change the parameter count. ``n_blocks=None`` picks :func:`cnn_auto_blocks`. The output of
    the layer named :data:`CNN_FEATURE_LAYER` (second Dense+ReLU, 1024-d) feeds the SVM.
    """
    import keras
    from keras import layers

    from .layers import image_input, softmax_head

    if n_blocks is None:
        n_blocks = cnn_auto_blocks(input_shape)
    if not 1 <= n_blocks <= len(CNN_BLOCKS):
        raise ConfigError("n_blocks", n_blocks, f"1..{len(CNN_BLOCKS)} or null (auto)")
    inp = image_input(input_shape)
    h = layers.Rescaling(1.0 / 255.0, name="rescale")(inp)
    for b, (filters, n_convs) in enumerate(CNN_BLOCKS[:n_blocks], start=1):
        for c in range(1, n_convs + 1):
            h = layers.Conv2D(filters, 3, padding="same", name=f"block{b}_conv{c}")(h)
            h = layers.Activation("relu", name=f"block{b}_relu{c}")(h)
        h = layers.MaxPooling2D(2, strides=2, name=f"block{b}_pool")(h)
        h = layers.Dropout(conv_dropout, name=f"block{b}_dropout")(h)
    h = layers.Flatten(name="flatten")(h)
    h = layers.Dense(dense_units, name="dense1")(h)
    h = layers.Activation("relu", name="dense1_relu")(h)
    h = layers.Dropout(dense_dropout, name="dense1_dropout")(h)
    h = layers.Dense(dense_units, name="dense2")(h)
    h = layers.Activation("relu", name=CNN_FEATURE_LAYER)(h)
    h = layers.Dropout(dense_dropout, name="dense2_dropout")(h)
    return keras.Model(inp, softmax_head(h, n_classes), name=f"cnn{n_blocks}")


def feature_extractor(model: Any, layer: str = CNN_FEATURE_LAYER) -> Any:
    """The sub-network from the input to ``layer`` (dropout is inactive at inference)."""
    import keras

    return keras.Model(model.inputs, model.get_layer(layer).output, name=f"{model.name}_features")


class CNNClassifier(KerasClassifier):
    """Seed 000's CNN with its softmax head. ``n_blocks`` null = as many conv blocks as the
    image size allows (3 for 28x28/32x32, 2 for 8x8); ``dense_units`` 1024 is the feature size
    the SVM gets."""

    name: ClassVar[str] = "cnn"
    parameters: ClassVar[ParamSpec] = KerasClassifier.parameters + ParamSpec(
        Param("n_blocks", None, optional(one_of(1, 2, 3)),
              "conv blocks (null: as many as the image size allows, 3 for 28x28 / 32x32)"),
        Param("dense_units", 1024, Int(1), "width of the dense layer (the SVM's features)"),
        Param("conv_dropout", 0.25, Number(0, 1, hi_open=True), "dropout after each conv block"),
        Param("dense_dropout", 0.5, Number(0, 1, hi_open=True), "dropout after the dense layer"),
    )

    def build_model(self, input_shape: tuple[int, ...], n_classes: int) -> Any:
        p = self.params
        return build_cnn(input_shape, n_classes, n_blocks=p["n_blocks"],
                         dense_units=p["dense_units"], conv_dropout=p["conv_dropout"],
                         dense_dropout=p["dense_dropout"])

    def features(self, x: np.ndarray) -> np.ndarray:
        """Penultimate-layer (``dense_units``-d, post-ReLU) features, float32."""
        self._check_fitted()
        check_images(x)
        if not hasattr(self, "_extractor"):
            self._extractor = feature_extractor(self.model_)
        out = self._extractor.predict(x, batch_size=max(self.params["batch_size"], 256),
                                      verbose=0)
        return np.asarray(out, dtype=np.float32)
