"""Denoising diffusion (Ho et al. 2020) as a generator method, sampled with DDIM (Song et al.
2021) and, for the conditional kind, classifier-free guidance (Ho & Salimans 2022).

The denoiser is diffusers' ``UNet2DModel`` and the noise schedules and the sampler are its
``DDPMScheduler`` / ``DDIMScheduler``, all built from the method's parameters (nothing is
downloaded). The training loop (``train.py``) is the GANs': an epoch is one pass over the
model's training images, checkpoints resume, the epoch choice scores samples of the EMA
weights. The slots of that loop: ``D`` is the denoiser being trained (one ``d_step`` is one
denoising step: a batch, a random timestep per image, the MSE between the noise and its
prediction), ``G`` the exponential moving average of its weights wrapped in the sampler
(:class:`Sampler`), which is what ``generator.pt`` stores and what augmentation draws from.

Guidance ``s`` mixes the two predictions as diffusers' ``guidance_scale`` does:
``eps = eps(x, null) + s * (eps(x, y) - eps(x, null))``: 0 is the unconditional model, 1 the
conditional one without guidance, above 1 guided. In training the label is replaced by the
null label with probability ``cond_drop``.

Images whose sides are not a multiple of ``2 ** (levels - 1)`` are padded with the background
(-1) to the next multiple for the U-Net, and samples are centre-cropped back.
"""

from __future__ import annotations

import math
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from . import GENERATORS
from .methods import GanMethod, Losses

#: ``beta_schedule`` values -> diffusers' names
SCHEDULES = {"linear": "linear", "cosine": "squaredcos_cap_v2"}


def unet_size(cfg: dict[str, Any], shape: tuple[int, int, int]) -> int:
    """The U-Net's square side: the images' larger side, rounded up to a multiple of
    ``2 ** (levels - 1)`` (each level but the last halves the resolution)."""
    step = 2 ** (len(cfg["channel_mult"]) - 1)
    return step * math.ceil(max(shape[:2]) / step)


def build_unet(cfg: dict[str, Any], shape: tuple[int, int, int], n_labels: int) -> nn.Module:
    """The denoiser: one resolution level per ``channel_mult`` entry (``width`` x it
    channels), attention at the lowest resolution when ``attention``; ``n_labels`` > 0 adds
    a class embedding with one extra (null) label for classifier-free guidance."""
    from diffusers import UNet2DModel

    channels = tuple(int(cfg["width"]) * int(m) for m in cfg["channel_mult"])
    last_down = "AttnDownBlock2D" if cfg["attention"] else "DownBlock2D"
    first_up = "AttnUpBlock2D" if cfg["attention"] else "UpBlock2D"
    n = len(channels)
    return UNet2DModel(
        sample_size=unet_size(cfg, shape), in_channels=shape[2], out_channels=shape[2],
        block_out_channels=channels, layers_per_block=int(cfg["layers_per_block"]),
        down_block_types=("DownBlock2D",) * (n - 1) + (last_down,),
        up_block_types=(first_up,) + ("UpBlock2D",) * (n - 1),
        # groups of at least 4 channels at every level (GroupNorm needs a divisor)
        norm_num_groups=math.gcd(8, *channels), dropout=float(cfg["dropout"]),
        num_class_embeds=n_labels + 1 if n_labels else None,
    )


def scheduler_config(cfg: dict[str, Any]) -> dict[str, Any]:
    """The noise schedule both schedulers share; predicted x0 is clipped to [-1, 1]."""
    return {"num_train_timesteps": int(cfg["timesteps"]),
            "beta_schedule": SCHEDULES[cfg["beta_schedule"]],
            "prediction_type": "epsilon", "clip_sample": True}


class Sampler(nn.Module):
    """The EMA denoiser and the DDIM sampler: ``forward(z, y)`` turns initial noise ``z``
    (N, C, S, S) into images (N, C, H, W) in [-1, 1] in ``sampling_steps`` deterministic
    steps (eta = 0), so the same noise gives the same images."""

    def __init__(self, cfg: dict[str, Any], shape: tuple[int, int, int], n_labels: int) -> None:
        super().__init__()
        self.unet = build_unet(cfg, shape, n_labels)
        self.shape, self.n_labels = tuple(shape), n_labels
        self.steps = int(cfg["sampling_steps"])
        self.guidance = float(cfg.get("guidance", 1.0))
        self.schedule = scheduler_config(cfg)

    def eps(self, x: torch.Tensor, t: torch.Tensor, y: torch.Tensor | None) -> torch.Tensor:
        """The (guided) noise prediction at timestep ``t``."""
        if y is None:
            return self.unet(x, t).sample
        null = torch.full_like(y, self.n_labels)
        if self.guidance == 0:
            return self.unet(x, t, class_labels=null).sample
        if self.guidance == 1:
            return self.unet(x, t, class_labels=y).sample
        both = self.unet(torch.cat([x, x]), t, class_labels=torch.cat([y, null])).sample
        cond, uncond = both.chunk(2)
        return uncond + self.guidance * (cond - uncond)

    def forward(self, z: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
        from diffusers import DDIMScheduler

        scheduler = DDIMScheduler(**self.schedule)
        scheduler.set_timesteps(self.steps)
        x = z
        for t in scheduler.timesteps:
            x = scheduler.step(self.eps(x, t.to(x.device), y), t, x, eta=0.0).prev_sample
        return crop(x, self.shape[:2]).clamp(-1, 1)


def crop(x: torch.Tensor, size: tuple[int, int]) -> torch.Tensor:
    top, left = (x.shape[2] - size[0]) // 2, (x.shape[3] - size[1]) // 2
    return x[:, :, top:top + size[0], left:left + size[1]]


def pad(x: torch.Tensor, side: int) -> torch.Tensor:
    """Centre ``x`` on a ``side`` x ``side`` background of -1 (``crop``'s inverse)."""
    dh, dw = side - x.shape[2], side - x.shape[3]
    if dh == dw == 0:
        return x
    return F.pad(x, (dw // 2, dw - dw // 2, dh // 2, dh - dh // 2), value=-1.0)


class Ddpm(GanMethod):
    """Class-conditional DDPM, one model for every class (module doc)."""

    name = "ddpm"

    def __init__(self, cfg: dict[str, Any], shape: tuple[int, int, int], n_classes: int,
                 device: torch.device) -> None:
        # not GanMethod.__init__: no adversary, one optimiser, the EMA copy as G
        self.cfg, self.shape, self.n_classes, self.device = cfg, tuple(shape), n_classes, device
        self.net_shape = self.shape
        self.conditional = GENERATORS[self.name].conditional
        self.latent_dim = 0
        self.G = self.make_generator(cfg, self.shape, n_classes).to(device)
        self.D = build_unet(cfg, self.shape, self.G.n_labels).to(device)
        self.G.unet.load_state_dict(self.D.state_dict())
        self.G.unet.requires_grad_(False)
        self.opt_d = torch.optim.Adam(self.D.parameters(), lr=float(cfg["lr"]),
                                      betas=tuple(cfg["betas"]))
        self.autocast = bool(cfg.get("bf16")) and device.type == "cuda"
        self.amp_cache = True
        self.ema_updates = 0
        from diffusers import DDPMScheduler

        self.noise_schedule = DDPMScheduler(**scheduler_config(cfg))
        self.side = unet_size(cfg, self.shape)

    @classmethod
    def make_generator(cls, cfg: dict[str, Any], shape: tuple[int, int, int],
                       n_classes: int) -> nn.Module:
        return Sampler(cfg, shape, n_classes if GENERATORS[cls.name].conditional else 0)

    def sample_latent(self, n: int, y: torch.Tensor | None,
                      generator: torch.Generator | None = None) -> torch.Tensor:
        side = unet_size(self.cfg, self.shape)
        size = (n, self.shape[2], side, side)
        z = torch.randn(size, generator=generator) if generator is not None else \
            torch.randn(size, device=self.device)
        return z.to(self.device)

    def d_step(self, x: torch.Tensor, y: torch.Tensor) -> Losses:
        x = pad(x, self.side)
        noise = torch.randn_like(x)
        t = torch.randint(0, int(self.cfg["timesteps"]), (len(x),), device=x.device)
        noisy = self.noise_schedule.add_noise(x, noise, t)
        labels = None
        if self.conditional:
            drop = torch.rand(len(y), device=y.device) < float(self.cfg["cond_drop"])
            labels = torch.where(drop, torch.full_like(y, self.n_classes), y)
        with self._amp():
            loss = F.mse_loss(self.D(noisy, t, class_labels=labels).sample.float(), noise)
        self.opt_d.zero_grad(set_to_none=True)
        loss.backward()
        self.opt_d.step()
        self.update_ema()
        return {"d_loss": loss.detach()}

    @torch.no_grad()
    def update_ema(self) -> None:
        """EMA of the weights with the usual warm-up: decay min(ema_decay, (1 + k) / (10 + k))
        at update k, so early weights do not linger on small budgets."""
        k = self.ema_updates
        decay = min(float(self.cfg["ema_decay"]), (1 + k) / (10 + k))
        ema, live = list(self.G.unet.parameters()), list(self.D.parameters())
        torch._foreach_lerp_(ema, live, 1.0 - decay)
        self.ema_updates += 1

    def g_step(self, y: torch.Tensor) -> Losses:
        return {}

    def extra_state(self) -> dict[str, Any]:
        return {"ema_updates": self.ema_updates}

    def load_extra_state(self, state: dict[str, Any]) -> None:
        self.ema_updates = int(state.get("ema_updates", 0))

    def state_dict(self) -> dict[str, Any]:
        return {"G": self.G.state_dict(), "D": self.D.state_dict(),
                "opt_d": self.opt_d.state_dict(), "extra": self.extra_state()}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.G.load_state_dict(state["G"])
        self.D.load_state_dict(state["D"])
        self.opt_d.load_state_dict(state["opt_d"])
        self.load_extra_state(state["extra"])


class DdpmPerClass(Ddpm):
    """Unconditional DDPM, one model per class that receives images (seed 000's design)."""

    name = "ddpm_per_class"
