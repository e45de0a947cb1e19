"""ResNet-18 (seeds 001/002), from scratch or seed 002's transfer protocol."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

from ..errors import ConfigError
from ..params import BOOL, Check, Choice, Int, Param, ParamSpec, Text, optional, require
from .applications import APPLICATIONS
from .training import KerasClassifier

STEMS = ("auto", "cifar", "imagenet")
_SHA256 = Check(lambda v: isinstance(v, str) and re.fullmatch(r"[0-9a-fA-F]{8,64}", v) is not None,
                "a sha256 (hex, at least its first 8 digits)",
                {"type": "string", "pattern": "^[0-9a-fA-F]{8,64}$"})


def _strided(h: Any, layer: Any, pad: int, torch_padding: bool, name: str) -> Any:
    """Apply a strided conv / pool. Keras' "same" pads a stride-2 layer asymmetrically
    (nothing before, one after); torchvision pads ``pad`` on every side, which pretrained
    weights expect, so that layout gets explicit symmetric padding."""
    from keras import layers

    if not torch_padding:
        return layer(h)
    return layer(layers.ZeroPadding2D(pad, name=f"{name}_pad")(h))


def _basic_block(h: Any, filters: int, stride: int, name: str,
                 torch_padding: bool = False) -> Any:
    from keras import layers

    shortcut = h
    # conv layers carry no bias: the BatchNorm that follows has its own shift
    pad = "valid" if (torch_padding and stride > 1) else "same"
    y = _strided(h, layers.Conv2D(filters, 3, strides=stride, padding=pad, use_bias=False,
                                  name=f"{name}_conv1"), 1, torch_padding and stride > 1,
                 f"{name}_conv1")
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


def build_resnet18(input_shape: Sequence[int], n_classes: int, *, stem: str = "auto",
                   imagenet_input: bool = False) -> Any:
    """ResNet-18 (He et al. 2016; torchvision layout), randomly initialised.

    ``stem="imagenet"`` is the 7x7/2 conv + 3x3/2 max pool of the paper; ``"cifar"`` is the
    usual 3x3/1 conv without pooling for small images, where the ImageNet stem would shrink a
    28x28 image to 7x7 before the first block. ``"auto"`` picks ``cifar`` below 64 px. With the
    ImageNet stem at 224x224x3 and 1000 classes the trainable parameter count equals
    torchvision's 11,689,512.

    ``imagenet_input``: the input pipeline and padding torchvision's ImageNet weights expect
    (grey repeated to RGB, ImageNet mean/std normalisation, symmetric padding of the strided
    layers), for :mod:`imbench.classify.resnet_weights`.
    """
    import keras
    from keras import layers

    from .layers import image_input, softmax_head

    if stem == "auto":
        stem = "cifar" if min(input_shape[0], input_shape[1]) < 64 else "imagenet"
    inp = image_input(input_shape)
    h = layers.Rescaling(1.0 / 255.0, name="rescale")(inp)
    tp = imagenet_input
    if imagenet_input:
        from .resnet_weights import IMAGENET_MEAN, IMAGENET_STD

        if input_shape[-1] == 1:
            h = layers.Concatenate(name="rgb")([h, h, h])
        h = layers.Normalization(mean=list(IMAGENET_MEAN),
                                 variance=[v * v for v in IMAGENET_STD], name="imagenet_norm")(h)
    if stem == "imagenet":
        h = _strided(h, layers.Conv2D(64, 7, strides=2, padding="valid" if tp else "same",
                                      use_bias=False, name="stem_conv"), 3, tp, "stem_conv")
        h = layers.BatchNormalization(epsilon=1e-5, name="stem_bn")(h)
        h = layers.Activation("relu", name="stem_relu")(h)
        # after a ReLU, zero padding is the same as torch's -inf padding of the max pool
        h = _strided(h, layers.MaxPooling2D(3, strides=2, padding="valid" if tp else "same",
                                            name="stem_pool"), 1, tp, "stem_pool")
    elif stem == "cifar":
        h = layers.Conv2D(64, 3, padding="same", use_bias=False, name="stem_conv")(h)
        h = layers.BatchNormalization(epsilon=1e-5, name="stem_bn")(h)
        h = layers.Activation("relu", name="stem_relu")(h)
    else:
        raise ConfigError("stem", stem, list(STEMS))
    for s, filters in enumerate((64, 128, 256, 512), start=1):
        for b in (1, 2):
            stride = 2 if (s > 1 and b == 1) else 1
            h = _basic_block(h, filters, stride, name=f"stage{s}_block{b}", torch_padding=tp)
    h = layers.GlobalAveragePooling2D(name="pool")(h)
    return keras.Model(inp, softmax_head(h, n_classes), name="resnet18")


def build_pretrained_classifier(
    input_shape: Sequence[int],
    n_classes: int,
    *,
    backbone: str = "resnet50",
    image_size: int | None = None,
    trainable_layers: int | None = 0,
    weights: str | None = "imagenet",
) -> Any:
    """Seed 002's transfer protocol: frozen ImageNet backbone, new softmax head.

    keras.applications has no ResNet-18, so ``resnet18`` with ``pretrained: true`` maps to a
    ResNet50-family backbone here (recorded as ``backbone`` in the training report).
    """
    import keras

    from .layers import application_backbone, softmax_head

    inp, h = application_backbone(
        backbone, input_shape, image_size=image_size, trainable_layers=trainable_layers,
        weights=weights,
    )
    return keras.Model(inp, softmax_head(h, n_classes), name=f"pretrained_{backbone}")


def build_torchvision_resnet18(
    input_shape: Sequence[int], n_classes: int, weights_file: str, *,
    sha256: str | None = None, image_size: int | None = None,
    trainable_layers: int | None = 0,
) -> Any:
    """Seed 002's transfer protocol with a real ResNet-18: torchvision's ImageNet weights in
    :func:`build_resnet18` (ImageNet stem and input), frozen except the last
    ``trainable_layers`` weight layers (None: all trainable), under a new softmax head."""
    import keras

    from .resnet_weights import keras_weights, load_into, read_torchvision_weights

    shape = tuple(input_shape)
    if image_size is not None:
        shape = (image_size, image_size, shape[-1])
    net = build_resnet18(shape, n_classes, stem="imagenet", imagenet_input=True)
    load_into(net, keras_weights(read_torchvision_weights(weights_file, sha256)))
    body = [layer for layer in net.layers if layer.weights and layer.name != "logits"]
    if trainable_layers is not None:
        for i, layer in enumerate(body):
            layer.trainable = i >= len(body) - trainable_layers
    if image_size is None:
        return net
    from .layers import image_input

    inp = image_input(input_shape)
    resized = keras.layers.Resizing(image_size, image_size, name="resize")(inp)
    return keras.Model(inp, net(resized), name="resnet18_imagenet")


class ResNet18Classifier(KerasClassifier):
    """ResNet-18 from scratch (seeds 001/002), or seed 002's transfer protocol.

    ``pretrained: false`` (default) builds ResNet-18 in Keras (``stem``: auto/cifar/imagenet).
    keras.applications has no ResNet-18 and so no ImageNet weights for it; ``pretrained:
    true`` with ``weights_file`` (torchvision's ``resnet18-f37072fd.pth``, checked by sha256:
    :mod:`imbench.classify.resnet_weights`) loads them into this ResNet-18 with the ImageNet
    stem and input normalisation; without it, ``pretrained: true`` uses the ``backbone``
    named here (default resnet50, any of ``applications.APPLICATIONS``) with Keras' ImageNet
    weights. Either is frozen except its last ``trainable_layers`` weight layers, under a new
    softmax head -- the report records the model.
    Images are resized to ``image_size`` (null = native, at least 32) and grey ones repeated
    to RGB. Offline, a DataError says which weights file to provide. Seed 002 trains the head
    with learning_rate 1e-4 and weight_decay 1e-5: set those in the config for that protocol.
    """

    name: ClassVar[str] = "resnet18"
    parameters: ClassVar[ParamSpec] = KerasClassifier.parameters + ParamSpec(
        Param("stem", "auto", Choice(STEMS),
              "cifar (3x3 conv, no pooling), imagenet (7x7 stride 2 and pooling), or auto "
              "(cifar below 64 pixels)"),
        Param("pretrained", False, BOOL,
              "an ImageNet-trained backbone, frozen except its last trainable_layers"),
        Param("backbone", "resnet50", Choice(tuple(sorted(APPLICATIONS))),
              "the keras.applications backbone of pretrained: true"),
        Param("image_size", None, optional(Int(8)),
              "resize images to this size (null: native, at least 32)"),
        Param("trainable_layers", 0, optional(Int(0)),
              "the backbone's last weight layers trained (null: all)"),
        Param("weights_file", None, optional(Text()),
              "torchvision's resnet18-f37072fd.pth, read instead of Keras' weights (with "
              "pretrained: true)"),
        Param("weights_sha256", None, optional(_SHA256),
              "the weights file's sha256 (or its first 8+ hex digits)"),
    )

    @classmethod
    def _check_values(cls, p: dict[str, Any], key: str) -> None:
        super()._check_values(p, key)
        require(p["weights_file"] is None or p["pretrained"] is True, f"{key}.weights_file",
                p["weights_file"],
                "null, or the path of torchvision's resnet18-f37072fd.pth with pretrained: true")

    @classmethod
    def user_files(cls, params: Mapping[str, Any], key: str) -> list[tuple[str, str, str]]:
        """The torchvision weights file this configuration reads (imbench never downloads
        it), as ``(config key, path, where to get it)``."""
        from .resnet_weights import TORCHVISION_RESNET18_URL

        p = cls.check_params(params, key)
        if p["pretrained"] and p["weights_file"] is not None:
            return [(f"{key}.weights_file", p["weights_file"], TORCHVISION_RESNET18_URL)]
        return []

    def build_model(self, input_shape: tuple[int, ...], n_classes: int) -> Any:
        p = self.params
        if p["pretrained"] and p["weights_file"] is not None:
            return build_torchvision_resnet18(
                input_shape, n_classes, p["weights_file"], sha256=p["weights_sha256"],
                image_size=p["image_size"], trainable_layers=p["trainable_layers"])
        if p["pretrained"]:
            return build_pretrained_classifier(
                input_shape, n_classes, backbone=p["backbone"], image_size=p["image_size"],
                trainable_layers=p["trainable_layers"],
            )
        if p["image_size"] is not None:
            import keras

            from .layers import image_input

            inp = image_input(input_shape)
            resized = keras.layers.Resizing(p["image_size"], p["image_size"])(inp)
            net = build_resnet18((p["image_size"], p["image_size"], input_shape[-1]), n_classes,
                                 stem=p["stem"])
            return keras.Model(inp, net(resized), name="resnet18_resized")
        return build_resnet18(input_shape, n_classes, stem=p["stem"])


def _channel_pad_layer() -> Any:
    """The option-A shortcut of He et al.'s CIFAR ResNets as a Keras layer: subsample by 2
    and zero-pad the channels (no parameters). Registered so a saved model loads again."""
    import keras
    from keras import ops

    @keras.saving.register_keras_serializable(package="imbench")
    class ShortcutA(keras.layers.Layer):
        def __init__(self, pad: int, **kwargs: Any) -> None:
            super().__init__(**kwargs)
            self.pad = int(pad)

        def call(self, x: Any) -> Any:
            x = x[:, ::2, ::2, :]
            return ops.pad(x, [[0, 0], [0, 0], [0, 0], [self.pad, self.pad]])

        def compute_output_shape(self, shape: Any) -> Any:
            h = None if shape[1] is None else (shape[1] + 1) // 2
            w = None if shape[2] is None else (shape[2] + 1) // 2
            return (shape[0], h, w, shape[3] + 2 * self.pad)

        def get_config(self) -> dict[str, Any]:
            return {**super().get_config(), "pad": self.pad}

    return ShortcutA


def build_resnet32(input_shape: Sequence[int], n_classes: int) -> Any:
    """ResNet-32 for CIFAR (He et al. 2016, §4.2; n = 5): a 3x3 conv of 16, three stages of
    five basic blocks (16, 32, 64 filters, stride 2 entering stages 2 and 3), global average
    pooling and a linear softmax layer; option-A shortcuts (subsample and zero-pad the
    channels), as the long-tail literature's ``resnet32`` (kaidic/LDAM-DRW's ``resnet32``,
    itself akamaster's). 464,154 trainable parameters for 32x32x3 and 10 classes (0.46 M).
    Kaiming-normal (``he_normal``) kernels as theirs; Keras' ``he_normal`` is truncated at two
    standard deviations, PyTorch's ``kaiming_normal_`` is not."""
    import keras
    from keras import layers

    from .layers import image_input, softmax_head

    shortcut_a = _channel_pad_layer()
    init = "he_normal"
    inp = image_input(input_shape)
    h = layers.Rescaling(1.0 / 255.0, name="rescale")(inp)
    h = layers.Conv2D(16, 3, padding="same", use_bias=False, kernel_initializer=init,
                      name="stem_conv")(h)
    h = layers.BatchNormalization(epsilon=1e-5, name="stem_bn")(h)
    h = layers.Activation("relu", name="stem_relu")(h)
    for s, filters in enumerate((16, 32, 64), start=1):
        for b in range(1, 6):
            stride = 2 if (s > 1 and b == 1) else 1
            name = f"stage{s}_block{b}"
            y = layers.Conv2D(filters, 3, strides=stride, padding="same", use_bias=False,
                              kernel_initializer=init, name=f"{name}_conv1")(h)
            y = layers.BatchNormalization(epsilon=1e-5, name=f"{name}_bn1")(y)
            y = layers.Activation("relu", name=f"{name}_relu1")(y)
            y = layers.Conv2D(filters, 3, padding="same", use_bias=False,
                              kernel_initializer=init, name=f"{name}_conv2")(y)
            y = layers.BatchNormalization(epsilon=1e-5, name=f"{name}_bn2")(y)
            shortcut = h
            if stride != 1 or h.shape[-1] != filters:
                shortcut = shortcut_a((filters - h.shape[-1]) // 2,
                                      name=f"{name}_shortcut")(h)
            h = layers.Activation("relu", name=f"{name}_out")(
                layers.Add(name=f"{name}_add")([y, shortcut]))
    h = layers.GlobalAveragePooling2D(name="pool")(h)
    return keras.Model(inp, softmax_head(h, n_classes), name="resnet32")


class ResNet32Classifier(KerasClassifier):
    """ResNet-32, the CIFAR long-tail backbone (:func:`build_resnet32`), from scratch.

    The standard recipe (Cao et al. 2019, kaidic/LDAM-DRW) is :data:`RESNET32_RECIPE`:
    set its keys in the config (``configs/cifar10_lt.yaml`` does).
    """

    name: ClassVar[str] = "resnet32"

    def build_model(self, input_shape: tuple[int, ...], n_classes: int) -> Any:
        return build_resnet32(input_shape, n_classes)


#: Cao et al.'s CIFAR recipe (their §4 and kaidic/LDAM-DRW's cifar_train.py): SGD 0.1,
#: momentum 0.9, weight decay 2e-4, linear warm-up over 5 epochs, ×0.01 after 160 and ×0.0001
#: after 180, 200 epochs, batch 128, random crop (padding 4) and flip; no validation-based
#: choice (they report the last epoch's model).
RESNET32_RECIPE: dict[str, Any] = {
    "optimizer": "sgd", "learning_rate": 0.1, "momentum": 0.9, "weight_decay": 2e-4,
    "lr_warmup_epochs": 5, "lr_milestones": [160, 180], "lr_factors": [0.01, 0.0001],
    "epochs": 200, "batch_size": 128, "augmentation": "crop_flip", "crop_padding": 4,
}
