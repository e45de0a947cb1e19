"""Keras building blocks the network families share (imports Keras: import it lazily).

Every network takes uint8-valued images (N, H, W, C) as float input and scales them itself
(a ``Rescaling`` first layer, or the backbone's ``preprocess_input``), so a saved model is
self-contained and needs no preprocessing code to be reused.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import keras
from keras import layers

from ..errors import ConfigError, DataError
from .applications import APPLICATIONS


def image_input(input_shape: Sequence[int], name: str = "image") -> keras.KerasTensor:
    if len(input_shape) != 3 or input_shape[-1] not in (1, 3):
        raise DataError(f"expected an input shape (H, W, C) with C in {{1, 3}}; got {input_shape}")
    return keras.Input(shape=tuple(int(s) for s in input_shape), name=name)


def softmax_head(h: keras.KerasTensor, n_classes: int) -> keras.KerasTensor:
    h = layers.Dense(n_classes, name="logits")(h)
    # float32 so that the probabilities stay exact under a mixed_float16 policy
    return layers.Activation("softmax", dtype="float32", name="probabilities")(h)


def application_backbone(
    name: str,
    input_shape: Sequence[int],
    *,
    image_size: int | None = None,
    trainable_layers: int | None = 0,
    weights: str | None = "imagenet",
    tag: str = "backbone",
) -> tuple[keras.KerasTensor, keras.KerasTensor]:
    """``(input, pooled features)`` of a keras.applications network on ``[0, 255]`` images.

    Grey images are repeated to three channels and small ones resized up to the network's
    minimum, because ImageNet weights expect RGB. Only the last ``trainable_layers`` layers are
    trainable (None: all), as in seed 003 (top 5 of DenseNet121) and seed 002 (frozen backbone).
    Raises a DataError naming the weights file when they cannot be downloaded (offline).
    """
    if name not in APPLICATIONS:
        raise ConfigError("backbone", name, sorted(APPLICATIONS))
    ctor_name, pre_module, min_side = APPLICATIONS[name]
    side = max(int(image_size or max(input_shape[0], input_shape[1])), min_side)
    inp = image_input(input_shape, name=f"{tag}_image")
    h = inp
    if input_shape[-1] == 1:
        h = layers.Concatenate(name=f"{tag}_rgb")([h, h, h])
    if (input_shape[0], input_shape[1]) != (side, side):
        h = layers.Resizing(side, side, name=f"{tag}_resize")(h)
    preprocess = getattr(keras.applications, pre_module).preprocess_input
    h = layers.Lambda(preprocess, name=f"{tag}_preprocess")(h)
    try:
        net = getattr(keras.applications, ctor_name)(
            include_top=False, weights=weights, input_shape=(side, side, 3), pooling="avg"
        )
    except Exception as exc:  # keras raises a bare Exception on a failed URL fetch
        raise DataError(
            f"could not load {weights!r} weights for keras.applications.{ctor_name}: {exc}. "
            "They are downloaded on first use into ~/.keras/models/; on an offline machine "
            "copy the '*_notop.h5' file there from a machine with network access, or use a "
            "from-scratch backbone (pretrained: false / backbone: small)."
        ) from exc
    net._name = f"{tag}_{name}"
    if trainable_layers is not None:
        n_layers = len(net.layers)
        for i, layer in enumerate(net.layers):
            layer.trainable = i >= n_layers - trainable_layers
    return inp, net(h)


def describe(model: keras.Model) -> dict[str, Any]:
    """Parameter counts recorded in the training report."""
    trainable = int(sum(int(math.prod(w.shape)) for w in model.trainable_weights))
    total = int(model.count_params())
    return {"name": model.name, "params_total": total, "params_trainable": trainable}
