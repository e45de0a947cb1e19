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
