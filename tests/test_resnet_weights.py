"""ResNet-18 with torchvision's ImageNet weights (seed 002 §4): a weights file in torchvision's
layout (random values, written here) gives the Keras model the torch network's features; the
file's sha256 is checked, a missing file says where to get it, and the backbone is frozen."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pytest
import torch
from standins import TorchvisionResNet18
from torch import nn

from imbench.errors import ConfigError, DataError

pytestmark = pytest.mark.neural

torch.set_num_threads(1)


@pytest.fixture(scope="module")
def weights(tmp_path_factory) -> tuple[Path, TorchvisionResNet18]:
    torch.manual_seed(0)
    net = TorchvisionResNet18()
    with torch.no_grad():  # batch-norm statistics that are not the identity
        for m in net.modules():
            if isinstance(m, nn.BatchNorm2d):
                m.running_mean.uniform_(-0.2, 0.2)
                m.running_var.uniform_(0.5, 1.5)
                m.weight.uniform_(0.5, 1.5)
                m.bias.uniform_(-0.2, 0.2)
    folder = tmp_path_factory.mktemp("tv")
    tmp = folder / "resnet18.pth"
    torch.save(net.state_dict(), tmp)
    digest = hashlib.sha256(tmp.read_bytes()).hexdigest()
    path = folder / f"resnet18-{digest[:8]}.pth"  # torchvision's naming
    tmp.rename(path)
    return path, net.eval()


def test_keras_resnet18_with_the_file_computes_the_torch_features(weights) -> None:
    import keras

    from imbench.classify.resnet import build_torchvision_resnet18

    path, net = weights
    rng = np.random.default_rng(0)
    x = rng.integers(0, 256, size=(3, 64, 64, 3)).astype(np.float32)
    model = build_torchvision_resnet18((64, 64, 3), 10, str(path))
    features = keras.Model(model.inputs, model.get_layer("pool").output)
    got = np.asarray(features([x], training=False))
    mean = np.array([0.485, 0.456, 0.406], dtype=np.float32)
    std = np.array([0.229, 0.224, 0.225], dtype=np.float32)
    with torch.no_grad():
        want = net.features(torch.from_numpy(((x / 255 - mean) / std).transpose(0, 3, 1, 2)))
    np.testing.assert_allclose(got, want.numpy(), rtol=1e-3, atol=1e-4)

    # frozen backbone: only the new head trains
    trainable = {w.path.split("/")[0] for w in model.trainable_weights}
    assert trainable == {"logits"}
    # grey 28x28 images: repeated to RGB, then the same network
    grey = build_torchvision_resnet18((28, 28, 1), 2, str(path), trainable_layers=2)
    assert grey.output_shape == (None, 2)
    assert len({w.path.split("/")[0] for w in grey.trainable_weights}) == 3  # 2 + the head


def test_weights_file_is_checked_and_a_missing_one_says_where_to_get_it(weights, tmp_path):
    from imbench.classify.resnet_weights import read_torchvision_weights

    path, _ = weights
    assert "layer4.1.bn2.running_var" in read_torchvision_weights(path)
    with pytest.raises(DataError, match=r"does not match the expected 00000000"):
        read_torchvision_weights(path, sha256="00000000")
    damaged = tmp_path / path.name
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    damaged.write_bytes(bytes(data))
    with pytest.raises(DataError, match="sha256"):
        read_torchvision_weights(damaged)
    renamed = tmp_path / "weights.pth"
    renamed.write_bytes(path.read_bytes())
    with pytest.raises(DataError, match="weights_sha256"):
        read_torchvision_weights(renamed)
    with pytest.raises(DataError, match=r"download\.pytorch\.org/models/resnet18-f37072fd"):
        read_torchvision_weights(tmp_path / "absent" / "resnet18-f37072fd.pth")


def test_resnet18_params_name_the_file_rules() -> None:
    from imbench.classify.resnet import ResNet18Classifier

    with pytest.raises(ConfigError, match="weights_file"):
        ResNet18Classifier.check_params({"weights_file": "w.pth"})  # needs pretrained: true
    with pytest.raises(ConfigError, match="weights_sha256"):
        ResNet18Classifier.check_params({"pretrained": True, "weights_file": "w.pth",
                                         "weights_sha256": "xyz"})
    ResNet18Classifier.check_params({"pretrained": True, "weights_file": "w.pth",
                                     "weights_sha256": "f37072fd"})
