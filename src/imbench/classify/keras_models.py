"""Keras 3 network builders for the neural classifiers (imports Keras; load lazily).

Every builder takes uint8-valued images (N, H, W, C) as float input and scales them itself
(a ``Rescaling`` first layer), so a saved model is self-contained and needs no preprocessing
code to be reused.

* :func:`build_cnn` -- seed 000's CNN (§3.3, §4.4.1 / §4.4.2), layer for layer.
* :func:`build_resnet18` -- ResNet-18 (basic blocks [2, 2, 2, 2]) from scratch, or a frozen
  keras.applications ResNet50-family ImageNet backbone for ``pretrained`` (Keras ships no
  ResNet-18 weights; see :func:`build_pretrained_classifier`).
* :func:`build_small_cnn` -- seed 004's three-conv classifier (§III.B.3).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import keras
from keras import layers

from ..errors import ConfigError, DataError
from .neural import APPLICATIONS

#: name of the penultimate (feature) layer of :func:`build_cnn`; the CNN-SVM reads it
CNN_FEATURE_LAYER = "features"

#: seed 000's conv blocks: (filters, number of 3x3 convs) per block, each block ending in
#: 2x2 max pooling and dropout
CNN_BLOCKS: tuple[tuple[int, int], ...] = ((64, 2), (128, 2), (256, 3))


def _input(input_shape: Sequence[int], name: str = "image") -> keras.KerasTensor:
    if len(input_shape) != 3 or input_shape[-1] not in (1, 3):
        raise DataError(f"expected an input shape (H, W, C) with C in {{1, 3}}; got {input_shape}")
    return keras.Input(shape=tuple(int(s) for s in input_shape), name=name)


def _softmax_head(h: keras.KerasTensor, n_classes: int) -> keras.KerasTensor:
    h = layers.Dense(n_classes, name="logits")(h)
    # float32 so that the probabilities stay exact under a mixed_float16 policy
    return layers.Activation("softmax", dtype="float32", name="probabilities")(h)


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
) -> keras.Model:
    """Seed 000's CNN: conv blocks 2x64, 2x128, 3x256 (3x3, 'same', ReLU), each followed by 2x2
    max pooling and dropout 0.25; then Flatten, two Dense(1024)+ReLU+dropout, Dense(n_classes)
    + softmax.

    The tables of §4.4.1/§4.4.2 fix layers, shapes and parameter counts (5,154,506 for
    28x28x1, 6,990,666 for 32x32x3; 3x3 kernels follow from 640 = 9*64 + 64). They do not give
    the dense dropout rate; 0.5 is the usual rate for this VGG-style network and does not
    change the parameter count. ``n_blocks=None`` picks :func:`cnn_auto_blocks`. The output of
    the layer named :data:`CNN_FEATURE_LAYER` (second Dense+ReLU, 1024-d) feeds the SVM.
    """
    if n_blocks is None:
        n_blocks = cnn_auto_blocks(input_shape)
    if not 1 <= n_blocks <= len(CNN_BLOCKS):
        raise ConfigError("n_blocks", n_blocks, f"1..{len(CNN_BLOCKS)} or null (auto)")
    inp = _input(input_shape)
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
    return keras.Model(inp, _softmax_head(h, n_classes), name=f"cnn{n_blocks}")


def feature_extractor(model: keras.Model, layer: str = CNN_FEATURE_LAYER) -> keras.Model:
    """The sub-network from the input to ``layer`` (dropout is inactive at inference)."""
    return keras.Model(model.inputs, model.get_layer(layer).output, name=f"{model.name}_features")


# --------------------------------------------------------------------------------- ResNet-18
def _basic_block(h: keras.KerasTensor, filters: int, stride: int, name: str) -> keras.KerasTensor:
    shortcut = h
    # conv layers carry no bias: the BatchNorm that follows has its own shift
    y = layers.Conv2D(filters, 3, strides=stride, padding="same", use_bias=False,
                      name=f"{name}_conv1")(h)
    y = layers.BatchNormalization(epsilon=1e-5, name=f"{name}_bn1")(y)
    y = layers.Activation("relu", name=f"{name}_relu1")(y)
    y = layers.Conv2D(filters, 3, padding="same", use_bias=False, name=f"{name}_conv2")(y)
    y = layers.BatchNormalization(epsilon=1e-5, name=f"{name}_bn2")(y)
    if stride != 1 or shortcut.shape[-1] != filters:
        shortcut = layers.Conv2D(filters, 1, strides=stride, use_bias=False,
                                 name=f"{name}_down_conv")(h)
        shortcut = layers.BatchNormalization(epsilon=1e-5, name=f"{name}_down_bn")(shortcut)
    y = layers.Add(name=f"{name}_add")([y, shortcut])
    return layers.Activation("relu", name=f"{name}_out")(y)


def build_resnet18(
    input_shape: Sequence[int], n_classes: int, *, stem: str = "auto"
) -> keras.Model:
    """ResNet-18 (He et al. 2016; torchvision layout), randomly initialised.

    ``stem="imagenet"`` is the 7x7/2 conv + 3x3/2 max pool of the paper; ``"cifar"`` is the
    usual 3x3/1 conv without pooling for small images, where the ImageNet stem would shrink a
    28x28 image to 7x7 before the first block. ``"auto"`` picks ``cifar`` below 64 px. With the
    ImageNet stem at 224x224x3 and 1000 classes the trainable parameter count equals
    torchvision's 11,689,512.
    """
    if stem == "auto":
        stem = "cifar" if min(input_shape[0], input_shape[1]) < 64 else "imagenet"
    inp = _input(input_shape)
    h = layers.Rescaling(1.0 / 255.0, name="rescale")(inp)
    if stem == "imagenet":
        h = layers.Conv2D(64, 7, strides=2, padding="same", use_bias=False, name="stem_conv")(h)
        h = layers.BatchNormalization(epsilon=1e-5, name="stem_bn")(h)
        h = layers.Activation("relu", name="stem_relu")(h)
        h = layers.MaxPooling2D(3, strides=2, padding="same", name="stem_pool")(h)
    elif stem == "cifar":
        h = layers.Conv2D(64, 3, padding="same", use_bias=False, name="stem_conv")(h)
        h = layers.BatchNormalization(epsilon=1e-5, name="stem_bn")(h)
        h = layers.Activation("relu", name="stem_relu")(h)
    else:
        raise ConfigError("stem", stem, ["auto", "cifar", "imagenet"])
    for s, filters in enumerate((64, 128, 256, 512), start=1):
        for b in (1, 2):
            stride = 2 if (s > 1 and b == 1) else 1
            h = _basic_block(h, filters, stride, name=f"stage{s}_block{b}")
    h = layers.GlobalAveragePooling2D(name="pool")(h)
    return keras.Model(inp, _softmax_head(h, n_classes), name="resnet18")


# ------------------------------------------------------------- keras.applications backbones
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
    inp = _input(input_shape, name=f"{tag}_image")
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


def build_pretrained_classifier(
    input_shape: Sequence[int],
    n_classes: int,
    *,
    backbone: str = "resnet50",
    image_size: int | None = None,
    trainable_layers: int | None = 0,
    weights: str | None = "imagenet",
) -> keras.Model:
    """Seed 002's transfer protocol: frozen ImageNet backbone, new softmax head.

    keras.applications has no ResNet-18, so ``resnet18`` with ``pretrained: true`` maps to a
    ResNet50-family backbone here (recorded as ``backbone`` in the training report).
    """
    inp, h = application_backbone(
        backbone, input_shape, image_size=image_size, trainable_layers=trainable_layers,
        weights=weights,
    )
    return keras.Model(inp, _softmax_head(h, n_classes), name=f"pretrained_{backbone}")


# ---------------------------------------------------------------------------- seed 004 CNN
def build_small_cnn(
    input_shape: Sequence[int],
    n_classes: int,
    *,
    filters: Sequence[int] = (50, 20, 5),
    hidden: Sequence[int] = (30, 20),
) -> keras.Model:
    """Seed 004's classifier: three 3x3 ReLU convs (50, 20, 5 maps) each with 2x2 max pooling,
    Flatten, Dense 30 and 20 (ReLU), then the output layer.

    The seed's single sigmoid unit is its two-class case; here the head is an n-class softmax
    (identical for two classes). Convs and pools use 'same' padding so that 8x8 inputs survive
    three poolings (8 -> 4 -> 2 -> 1); the seed does not state its padding.
    """
    inp = _input(input_shape)
    h = layers.Rescaling(1.0 / 255.0, name="rescale")(inp)
    for i, f in enumerate(filters, start=1):
        h = layers.Conv2D(int(f), 3, padding="same", activation="relu", name=f"conv{i}")(h)
        h = layers.MaxPooling2D(2, padding="same", name=f"pool{i}")(h)
    h = layers.Flatten(name="flatten")(h)
    for i, units in enumerate(hidden, start=1):
        h = layers.Dense(int(units), activation="relu", name=f"dense{i}")(h)
    return keras.Model(inp, _softmax_head(h, n_classes), name="small_cnn")


def output_side(side: int, n_halvings: int) -> int:
    """Side of a map after ``n_halvings`` stride-2 'same' steps (ceil division)."""
    return math.ceil(side / 2**n_halvings)


def describe(model: keras.Model) -> dict[str, Any]:
    """Parameter counts recorded in the training report."""
    trainable = int(sum(int(math.prod(w.shape)) for w in model.trainable_weights))
    total = int(model.count_params())
    return {"name": model.name, "params_total": total, "params_trainable": trainable}
