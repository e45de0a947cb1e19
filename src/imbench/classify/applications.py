"""keras.applications backbones usable with ImageNet weights. A plain table (no Keras
import), so that config checks can list the names while the DAG is built."""

from __future__ import annotations

#: name -> (constructor in keras.applications, module of its ``preprocess_input``, minimum
#: input side)
APPLICATIONS: dict[str, tuple[str, str, int]] = {
    "resnet50": ("ResNet50", "resnet", 32),
    "resnet101": ("ResNet101", "resnet", 32),
    "resnet152": ("ResNet152", "resnet", 32),
    "densenet121": ("DenseNet121", "densenet", 32),
    "vgg16": ("VGG16", "vgg16", 32),
    "vgg19": ("VGG19", "vgg19", 32),
    "efficientnetb2": ("EfficientNetB2", "efficientnet", 32),
}

_KA = "https://storage.googleapis.com/tensorflow/keras-applications/"
#: name -> where Keras downloads its ImageNet weights without the top (the file name is the
#: URL's last part): a ``weights_dir`` holds these files for machines without network access
NOTOP_URLS: dict[str, str] = {
    "resnet50": f"{_KA}resnet/resnet50_weights_tf_dim_ordering_tf_kernels_notop.h5",
    "resnet101": f"{_KA}resnet/resnet101_weights_tf_dim_ordering_tf_kernels_notop.h5",
    "resnet152": f"{_KA}resnet/resnet152_weights_tf_dim_ordering_tf_kernels_notop.h5",
    "densenet121": f"{_KA}densenet/densenet121_weights_tf_dim_ordering_tf_kernels_notop.h5",
    "vgg16": f"{_KA}vgg16/vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5",
    "vgg19": f"{_KA}vgg19/vgg19_weights_tf_dim_ordering_tf_kernels_notop.h5",
    "efficientnetb2": "https://storage.googleapis.com/keras-applications/efficientnetb2_notop.h5",
}


def notop_file(name: str) -> str:
    """The file name of backbone ``name``'s ImageNet weights without the top."""
    return NOTOP_URLS[name].rsplit("/", 1)[-1]
