"""Generator / discriminator architectures that adapt to the image size.

Conv nets halve the resolution with strided convolutions (no pooling, seed 000 §3.2) while the
size stays even and at least 4, at most ``_MAX_HALVINGS`` times: 8 -> 4 (one halving),
28 -> 14 -> 7 (two), 32 -> 16 -> 8 -> 4 (three). The generator mirrors that with transposed
convolutions, so any ``folder`` image size works without cropping.
"""

from __future__ import annotations

import math

import torch
from torch import nn

_MAX_HALVINGS = 4
_MAX_CHANNELS = 512


def spatial_plan(height: int, width: int) -> tuple[int, int, int]:
    """``(base_h, base_w, n_halvings)``: the smallest feature map and how to reach it."""
    n = 0
    while (
        n < _MAX_HALVINGS and height % 2 == 0 and width % 2 == 0
        and height // 2 >= 4 and width // 2 >= 4
    ):
        height, width, n = height // 2, width // 2, n + 1
    return height, width, n


def _act(kind: str) -> nn.Module:
    return nn.ReLU() if kind == "relu" else nn.LeakyReLU(0.2)


def _channels(width: int, i: int) -> int:
    return min(width * 2**i, _MAX_CHANNELS)


class ConvGenerator(nn.Module):
    """z (+ one-hot label) -> Linear -> [ConvTranspose2d(4, stride 2)]*n -> Conv2d(3) -> tanh."""

    def __init__(
        self, latent_dim: int, shape: tuple[int, int, int], width: int, *,
        n_classes: int = 0, act: str = "relu", norm: str = "batch",
    ) -> None:
        super().__init__()
        h, w, c = shape
        self.n_classes = n_classes
        h0, w0, n = spatial_plan(h, w)
        chans = [_channels(width, n - i) for i in range(n + 1)]
        self.base = (chans[0], h0, w0)
        self.fc = nn.Linear(latent_dim + n_classes, chans[0] * h0 * w0)
        layers: list[nn.Module] = [_norm2d(norm, chans[0]), _act(act)]
        for i in range(n):
            layers += [
                nn.ConvTranspose2d(chans[i], chans[i + 1], 4, 2, 1, bias=norm != "batch"),
                _norm2d(norm, chans[i + 1]), _act(act),
            ]
        layers += [nn.Conv2d(chans[-1], c, 3, 1, 1), nn.Tanh()]
        self.body = nn.Sequential(*layers)

    def forward(self, z: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
        if self.n_classes:
            z = torch.cat([z, nn.functional.one_hot(y, self.n_classes).to(z.dtype)], 1)
        return self.body(self.fc(z).view(-1, *self.base))


class ConvDiscriminator(nn.Module):
    """[Conv2d(4, stride 2)]*n -> Conv2d(3) at the base resolution -> Linear(n_out).

    ``n_classes`` > 0 appends one-hot label maps as input channels (cGAN). ``features``
    returns the flattened activations before the head (used by BAGAN to share the body with
    the encoder).
    """

    def __init__(
        self, shape: tuple[int, int, int], width: int, n_out: int = 1, *,
        n_classes: int = 0, norm: str = "batch", dropout: float = 0.0,
    ) -> None:
        super().__init__()
        h, w, c = shape
        self.n_classes = n_classes
        h0, w0, n = spatial_plan(h, w)
        layers: list[nn.Module] = []
        cin = c + n_classes
        for i in range(n):
            cout = _channels(width, i)
            # no norm on the first layer (Radford et al.): it would normalise away the input
            layers += [nn.Conv2d(cin, cout, 4, 2, 1, bias=norm != "batch" or i == 0)]
            if i > 0:
                layers.append(_norm2d(norm, cout))
            layers += [nn.LeakyReLU(0.2), _dropout(dropout)]
            cin = cout
        cout = _channels(width, n)
        layers += [nn.Conv2d(cin, cout, 3, 1, 1), nn.LeakyReLU(0.2), _dropout(dropout),
                   nn.Flatten()]
        self.body = nn.Sequential(*layers)
        self.n_features = cout * h0 * w0
        self.head = nn.Linear(self.n_features, n_out)

    def features(self, x: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
        if self.n_classes:
            onehot = nn.functional.one_hot(y, self.n_classes).to(x.dtype)
            x = torch.cat([x, onehot[:, :, None, None].expand(-1, -1, *x.shape[2:])], 1)
        return self.body(x)

    def forward(self, x: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
        return self.head(self.features(x, y))


class MLPGenerator(nn.Module):
    """Vanilla GAN generator (seed 002 §3.1): Linear -> LeakyReLU -> Linear -> tanh."""

    def __init__(self, latent_dim: int, shape: tuple[int, int, int], hidden: int,
                 n_classes: int = 0) -> None:
        super().__init__()
        self.shape, self.n_classes = shape, n_classes
        h, w, c = shape
        self.net = nn.Sequential(
            nn.Linear(latent_dim + n_classes, hidden), nn.LeakyReLU(0.2),
            nn.Linear(hidden, h * w * c), nn.Tanh(),
        )

    def forward(self, z: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
        if self.n_classes:
            z = torch.cat([z, nn.functional.one_hot(y, self.n_classes).to(z.dtype)], 1)
        h, w, c = self.shape
        return self.net(z).view(-1, c, h, w)


class MLPDiscriminator(nn.Module):
    """Vanilla GAN discriminator: Linear -> LeakyReLU -> Linear (a logit; BCE-with-logits is
    the numerically stable form of seed 002's sigmoid + BCE)."""

    def __init__(self, shape: tuple[int, int, int], hidden: int) -> None:
        super().__init__()
        h, w, c = shape
        self.net = nn.Sequential(
            nn.Flatten(), nn.Linear(h * w * c, hidden), nn.LeakyReLU(0.2), nn.Linear(hidden, 1)
        )

    def forward(self, x: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
        return self.net(x)


class Table2Generator(nn.Module):
    """Seed 001 Table 2's generator: z (+ one-hot label) -> Linear, ReLU -> five 5 x 5
    transposed convolutions at strides 2, 2, 1, 1, 1 (ReLU; tanh last). The table gives no
    channel counts: ``width`` x 4, 2, 1, 1, 1/2 here (assumed)."""

    def __init__(self, latent_dim: int, shape: tuple[int, int, int], width: int, *,
                 n_classes: int = 0, norm: str = "batch") -> None:
        super().__init__()
        h, w, c = shape
        if h % 4 or w % 4:
            raise ValueError(f"Table 2's generator doubles twice: image sides must be "
                             f"multiples of 4, got {h} x {w}")
        self.n_classes = n_classes
        chans = [4 * width, 2 * width, width, width, max(width // 2, 1)]
        self.base = (chans[0], h // 4, w // 4)
        self.fc = nn.Sequential(nn.Linear(latent_dim + n_classes, chans[0] * h * w // 16),
                                nn.ReLU())
        layers: list[nn.Module] = [_norm2d(norm, chans[0])]
        for i, stride in enumerate((2, 2, 1, 1)):
            layers += [nn.ConvTranspose2d(chans[i], chans[i + 1], 5, stride, 2,
                                          output_padding=stride - 1, bias=norm != "batch"),
                       _norm2d(norm, chans[i + 1]), nn.ReLU()]
        layers += [nn.ConvTranspose2d(chans[-1], c, 5, 1, 2), nn.Tanh()]
        self.body = nn.Sequential(*layers)

    def forward(self, z: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
        if self.n_classes:
            z = torch.cat([z, nn.functional.one_hot(y, self.n_classes).to(z.dtype)], 1)
        return self.body(self.fc(z).view(-1, *self.base))


class Table2Discriminator(nn.Module):
    """Seed 001 Table 2's discriminator: on a 32 x 32 input (smaller images padded with the
    background value -1), convolutions 5 x 5, 3 x 3, 5 x 5, 3 x 3 at stride 1, each with
    LeakyReLU and dropout, then Linear(n_out). Channels ``width`` x 1/2, 1, 2, 4 (assumed:
    the table gives none)."""

    def __init__(self, shape: tuple[int, int, int], width: int, n_out: int = 1, *,
                 n_classes: int = 0, dropout: float = 0.3, input_size: int = 32) -> None:
        super().__init__()
        h, w, c = shape
        self.n_classes, self.size = n_classes, (max(h, input_size), max(w, input_size))
        chans = [c + n_classes, max(width // 2, 1), width, 2 * width, 4 * width]
        layers: list[nn.Module] = []
        for i, k in enumerate((5, 3, 5, 3)):
            layers += [nn.Conv2d(chans[i], chans[i + 1], k, 1, k // 2), nn.LeakyReLU(0.2),
                       _dropout(dropout)]
        self.body = nn.Sequential(*layers, nn.Flatten())
        self.n_features = chans[-1] * self.size[0] * self.size[1]
        self.head = nn.Linear(self.n_features, n_out)

    def features(self, x: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
        x = pad_to(x, self.size)
        if self.n_classes:
            onehot = nn.functional.one_hot(y, self.n_classes).to(x.dtype)
            x = torch.cat([x, onehot[:, :, None, None].expand(-1, -1, *x.shape[2:])], 1)
        return self.body(x)

    def forward(self, x: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
        return self.head(self.features(x, y))


def pad_to(x: torch.Tensor, size: tuple[int, int]) -> torch.Tensor:
    """``x`` (N, C, H, W) centred in ``size`` with the background value -1 (black in the
    networks' [-1, 1] range)."""
    dh, dw = size[0] - x.shape[2], size[1] - x.shape[3]
    if dh == dw == 0:
        return x
    return nn.functional.pad(x, (dw // 2, dw - dw // 2, dh // 2, dh - dh // 2), value=-1.0)


class CroppedGenerator(nn.Module):
    """A generator trained at a larger size, its output centre-cropped to the images' (seed
    002: generated at 32 x 32, cropped to 28 x 28)."""

    def __init__(self, net: nn.Module, size: tuple[int, int]) -> None:
        super().__init__()
        self.net, self.size = net, size

    def forward(self, z: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
        out = self.net(z, y)
        top, left = (out.shape[2] - self.size[0]) // 2, (out.shape[3] - self.size[1]) // 2
        return out[:, :, top:top + self.size[0], left:left + self.size[1]]


class PaddedDiscriminator(nn.Module):
    """A discriminator trained at a larger size: every input (real or cropped fake) padded to
    it with the background value, so both are seen alike."""

    def __init__(self, net: nn.Module, size: tuple[int, int]) -> None:
        super().__init__()
        self.net, self.size = net, size

    def forward(self, x: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
        return self.net(pad_to(x, self.size), y)


def _norm2d(kind: str, channels: int) -> nn.Module:
    return nn.BatchNorm2d(channels) if kind == "batch" else nn.Identity()


def _dropout(p: float) -> nn.Module:
    return nn.Dropout(p) if p > 0 else nn.Identity()


def init_weights(module: nn.Module, kind: str) -> None:
    """``"normal"``: N(0, 0.02) (Radford et al.); ``"xavier"``: Glorot normal (seed 000);
    ``"default"``: leave PyTorch's init. Norm layers get weight 1 (normal: N(1, 0.02)), bias 0."""
    if kind == "default":
        return
    for m in module.modules():
        if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d, nn.Linear)):
            if kind == "xavier":
                nn.init.xavier_normal_(m.weight)
            else:
                nn.init.normal_(m.weight, 0.0, 0.02)
            if m.bias is not None:
                nn.init.zeros_(m.bias)
        elif isinstance(m, nn.BatchNorm2d):
            if kind == "normal":
                nn.init.normal_(m.weight, 1.0, 0.02)
            else:
                nn.init.ones_(m.weight)
            nn.init.zeros_(m.bias)


def gradient_penalty(
    critic: nn.Module, real: torch.Tensor, fake: torch.Tensor, lam: float = 10.0,
    alpha: torch.Tensor | None = None,
) -> torch.Tensor:
    """Gulrajani et al.'s penalty ``lam * E[(||grad_x D(x_hat)||_2 - 1)^2]`` on random
    interpolates ``x_hat = alpha * real + (1 - alpha) * fake``, ``alpha ~ U[0, 1]`` per sample.

    ``create_graph=True`` so the penalty's own gradient reaches the critic's weights.
    """
    if alpha is None:
        alpha = torch.rand(real.shape[0], 1, 1, 1, device=real.device, dtype=real.dtype)
    x_hat = (alpha * real.detach() + (1 - alpha) * fake.detach()).requires_grad_(True)
    out = critic(x_hat)
    (grad,) = torch.autograd.grad(out.sum(), x_hat, create_graph=True)
    norm = grad.flatten(1).norm(2, dim=1)
    return lam * ((norm - 1.0) ** 2).mean()


# -- CycleGAN (Zhu et al. 2017, the authors' ResnetGenerator and NLayerDiscriminator) -------
def cyclegan_plan(h: int, w: int) -> tuple[int, int, int]:
    """(downsamplings, residual blocks, PatchGAN conv layers) scaled to the image size: Zhu
    et al. use 2 downsamplings, 9 blocks at 256 px and 6 at 128 px, and a 3-layer 70 x 70
    PatchGAN; smaller images get fewer of each so that 8 x 8 inputs still work."""
    side = min(h, w)
    n_down = 2 if side >= 16 else 1
    n_res = 9 if side >= 256 else 6 if side >= 32 else 3
    n_layers = max(1, min(3, int(math.log2(side)) - 2))
    return n_down, n_res, n_layers


class _ResBlock(nn.Module):
    def __init__(self, c: int) -> None:
        super().__init__()
        self.body = nn.Sequential(
            nn.ReflectionPad2d(1), nn.Conv2d(c, c, 3), nn.InstanceNorm2d(c), nn.ReLU(True),
            nn.ReflectionPad2d(1), nn.Conv2d(c, c, 3), nn.InstanceNorm2d(c))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.body(x)


class ResnetGenerator(nn.Module):
    """c7s1-w, d2w, d4w, R4w x n_res, u2w, uw, c7s1-C, tanh (instance norm, reflection
    padding): an image of one domain in, an image of the other out."""

    def __init__(self, shape: tuple[int, int, int], width: int) -> None:
        super().__init__()
        h, w, c = shape
        n_down, n_res, _ = cyclegan_plan(h, w)
        pad = min(3, (min(h, w) - 1) // 2)  # reflection padding must be below the size
        layers: list[nn.Module] = [nn.ReflectionPad2d(pad), nn.Conv2d(c, width, 2 * pad + 1),
                                   nn.InstanceNorm2d(width), nn.ReLU(True)]
        ch = width
        for _ in range(n_down):
            layers += [nn.Conv2d(ch, ch * 2, 3, 2, 1), nn.InstanceNorm2d(ch * 2), nn.ReLU(True)]
            ch *= 2
        layers += [_ResBlock(ch) for _ in range(n_res)]
        for _ in range(n_down):
            layers += [nn.ConvTranspose2d(ch, ch // 2, 3, 2, 1, output_padding=1),
                       nn.InstanceNorm2d(ch // 2), nn.ReLU(True)]
            ch //= 2
        layers += [nn.ReflectionPad2d(pad), nn.Conv2d(ch, c, 2 * pad + 1), nn.Tanh()]
        self.body = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.body(x)


class PatchDiscriminator(nn.Module):
    """PatchGAN: 4 x 4 convs (stride 2, LeakyReLU 0.2, instance norm after the first), one
    stride-1 layer and a 1-channel map of per-patch real / fake scores."""

    def __init__(self, shape: tuple[int, int, int], width: int) -> None:
        super().__init__()
        h, w, c = shape
        n_layers = cyclegan_plan(h, w)[2]
        layers: list[nn.Module] = [nn.Conv2d(c, width, 4, 2, 1), nn.LeakyReLU(0.2, True)]
        ch = width
        for i in range(1, n_layers):
            nxt = width * min(2 ** i, 8)
            layers += [nn.Conv2d(ch, nxt, 4, 2, 1), nn.InstanceNorm2d(nxt),
                       nn.LeakyReLU(0.2, True)]
            ch = nxt
        nxt = width * min(2 ** n_layers, 8)
        layers += [nn.Conv2d(ch, nxt, 4, 1, 1), nn.InstanceNorm2d(nxt), nn.LeakyReLU(0.2, True),
                   nn.Conv2d(nxt, 1, 4, 1, 1)]
        self.body = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.body(x)
