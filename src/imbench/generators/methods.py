"""The GAN variants: networks, one discriminator step, one generator step, sampling.

Each method is a class named by an entry of ``imbench.generators.GENERATORS`` (chosen by
name, never by an if/elif chain), which also says whether it is conditional. The training loop
(``train.py``) owns data feeding, epochs, checkpoints and logging; a method knows its networks,
its losses and its hooks (``pretrain`` before the adversarial epochs, ``end_epoch`` after
each). Images inside a method are float NCHW in [-1, 1].
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any, ClassVar

import torch
import torch.nn.functional as F
from torch import nn

from . import GENERATORS
from .nets import (
    ConvDiscriminator,
    ConvGenerator,
    CroppedGenerator,
    MLPDiscriminator,
    MLPGenerator,
    PaddedDiscriminator,
    Table2Discriminator,
    Table2Generator,
    gradient_penalty,
    init_weights,
)

Losses = dict[str, torch.Tensor]


@contextlib.contextmanager
def frozen(module: nn.Module) -> Iterator[None]:
    """No weight gradients for ``module`` inside the block: the generator step backpropagates
    through the discriminator but must not pay for (or accumulate) its weight gradients."""
    flags = [p.requires_grad for p in module.parameters()]
    for p in module.parameters():
        p.requires_grad_(False)
    try:
        yield
    finally:
        for p, f in zip(module.parameters(), flags, strict=True):
            p.requires_grad_(f)


@contextlib.contextmanager
def eval_mode(module: nn.Module) -> Iterator[None]:
    """``module`` in eval mode inside the block (batch-norm running statistics, no dropout),
    its mode restored after: sampling and measurements must not change training."""
    was = module.training
    module.eval()
    try:
        yield
    finally:
        module.train(was)


def cost_sensitive_weights(class_errors: torch.Tensor) -> torch.Tensor:
    """Seed 001 Algorithm 1: the new class weights are the softmax of the per-class errors."""
    return torch.softmax(class_errors.to(torch.float64), 0).to(torch.float32)


def net_shape(cfg: dict[str, Any], shape: tuple[int, ...]) -> tuple[int, int, int]:
    """The networks' image shape: ``gan_size`` x ``gan_size`` when the config sets it."""
    size = cfg.get("gan_size")
    return tuple(shape) if size is None else (int(size), int(size), int(shape[2]))  # type: ignore[return-value]


class GanMethod:
    """Base: DCGAN-style networks, non-saturating BCE losses. Whether a method is conditional
    comes from its registry entry (``GENERATORS[name].kind``), which the DAG build reads too."""

    name: ClassVar[str] = ""
    #: the generator takes the class label as an input (cGAN, ACGAN); BAGAN is conditional
    #: through its latent distribution instead
    label_input: ClassVar[bool] = False

    def __init__(self, cfg: dict[str, Any], shape: tuple[int, int, int], n_classes: int,
                 device: torch.device) -> None:
        self.cfg, self.shape, self.n_classes, self.device = cfg, tuple(shape), n_classes, device
        #: the size the networks work at (``gan_size``; the images' own by default)
        self.net_shape = net_shape(cfg, self.shape)
        self.conditional = GENERATORS[self.name].conditional
        self.latent_dim = int(cfg["latent_dim"])
        self.G = self.make_generator(cfg, self.shape, n_classes).to(device)
        self.D = self.framed(self.build_discriminator()).to(device)
        init_weights(self.G, cfg["init"])
        init_weights(self.D, cfg["init"])
        betas = tuple(cfg["betas"])
        self.opt_g = torch.optim.Adam(self.G.parameters(), lr=cfg["lr_g"], betas=betas)
        self.opt_d = torch.optim.Adam(self.D.parameters(), lr=cfg["lr_d"], betas=betas)
        self.autocast = bool(cfg.get("bf16")) and device.type == "cuda"
        self.amp_cache = True  # off under CUDA graphs (graphs.GraphedIteration)

    # -- networks -------------------------------------------------------------------------
    @classmethod
    def make_generator(cls, cfg: dict[str, Any], shape: tuple[int, int, int],
                       n_classes: int) -> nn.Module:
        """The generator network alone (training and sampling build it the same way): made
        at ``gan_size`` when given, its output cropped to the images' size."""
        inner = net_shape(cfg, shape)
        net = cls.generator_net(cfg, inner, n_classes)
        return net if inner == tuple(shape) else CroppedGenerator(net, tuple(shape[:2]))

    @classmethod
    def generator_net(cls, cfg: dict[str, Any], shape: tuple[int, int, int],
                      n_classes: int) -> nn.Module:
        n = n_classes if cls.label_input else 0
        if cfg.get("arch") == "seed001_table2":
            return Table2Generator(cfg["latent_dim"], shape, cfg["width"], n_classes=n,
                                   norm=cfg["g_norm"])
        return ConvGenerator(cfg["latent_dim"], shape, cfg["width"], n_classes=n,
                             act=cfg["g_act"], norm=cfg["g_norm"])

    def framed(self, net: nn.Module) -> nn.Module:
        """The discriminator as training sees it: inputs padded to ``gan_size`` if given."""
        return (net if self.net_shape == self.shape
                else PaddedDiscriminator(net, self.net_shape[:2]))

    def conv_discriminator(self, n_out: int, n_classes: int = 0) -> nn.Module:
        c = self.cfg
        if c.get("arch") == "seed001_table2":
            return Table2Discriminator(self.net_shape, c["width"], n_out, n_classes=n_classes,
                                       dropout=c["d_dropout"])
        return ConvDiscriminator(self.net_shape, c["width"], n_out, n_classes=n_classes,
                                 norm=c["d_norm"], dropout=c["d_dropout"])

    def build_discriminator(self) -> nn.Module:
        return self.conv_discriminator(1)

    def _amp(self) -> contextlib.AbstractContextManager[Any]:
        if self.autocast:
            return torch.autocast("cuda", dtype=torch.bfloat16, cache_enabled=self.amp_cache)
        return contextlib.nullcontext()

    # -- sampling -------------------------------------------------------------------------
    def sample_latent(self, n: int, y: torch.Tensor | None,
                      generator: torch.Generator | None = None) -> torch.Tensor:
        if generator is None:
            return torch.randn(n, self.latent_dim, device=self.device)
        # an explicit CPU generator keeps sampling independent of the training RNG stream
        return torch.randn(n, self.latent_dim, generator=generator).to(self.device)

    def fake_labels(self, real_y: torch.Tensor) -> torch.Tensor:
        if not self.conditional or self.cfg["fake_labels"] == "real":
            return real_y
        return torch.randint(0, self.n_classes, real_y.shape, device=self.device)

    def generate(self, z: torch.Tensor, y: torch.Tensor | None) -> torch.Tensor:
        return self.G(z, y) if self.conditional else self.G(z)

    # -- training steps -------------------------------------------------------------------
    def _bce(self, logits: torch.Tensor, target: float) -> torch.Tensor:
        return F.binary_cross_entropy_with_logits(
            logits.float(), torch.full_like(logits.float(), target))

    def _d(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        return self.D(x, y) if self.conditional else self.D(x)

    def d_step(self, x: torch.Tensor, y: torch.Tensor) -> Losses:
        yf = self.fake_labels(y)
        with torch.no_grad(), self._amp():
            fake = self.generate(self.sample_latent(len(x), yf), yf)
        with self._amp():
            loss = (self._bce(self._d(x, y), self.cfg["real_label"])
                    + self._bce(self._d(fake.float(), yf), 0.0))
        self.opt_d.zero_grad(set_to_none=True)
        loss.backward()
        self.opt_d.step()
        return {"d_loss": loss.detach()}

    def g_step(self, y: torch.Tensor) -> Losses:
        yf = self.fake_labels(y)
        with frozen(self.D), self._amp():
            loss = self._bce(self._d(self.generate(self.sample_latent(len(y), yf), yf), yf), 1.0)
        self.opt_g.zero_grad(set_to_none=True)
        loss.backward()
        self.opt_g.step()
        return {"g_loss": loss.detach()}

    # -- hooks ----------------------------------------------------------------------------
    def pretrain(self, batches: Any, n_batches: int, x: torch.Tensor, y: torch.Tensor,
                 log: Any) -> None:
        """Work before the adversarial epochs (BAGAN's autoencoder and class latents), on a
        fresh start only (a resumed run restores its result); nothing by default.
        ``batches()`` gives the next float batch, ``x``/``y`` are all training images."""

    def end_epoch(self, x: torch.Tensor, y: torch.Tensor) -> dict[str, float]:
        """Per-epoch update outside the optimisers (cs_acgan's class weights)."""
        return {}

    def extra_state(self) -> dict[str, Any]:
        """Non-network state that sampling needs (BAGAN's class Gaussians)."""
        return {}

    def load_extra_state(self, state: dict[str, Any]) -> None:
        pass

    def state_dict(self) -> dict[str, Any]:
        return {"G": self.G.state_dict(), "D": self.D.state_dict(),
                "opt_g": self.opt_g.state_dict(), "opt_d": self.opt_d.state_dict(),
                "extra": self.extra_state()}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.G.load_state_dict(state["G"])
        self.D.load_state_dict(state["D"])
        self.opt_g.load_state_dict(state["opt_g"])
        self.opt_d.load_state_dict(state["opt_d"])
        self.load_extra_state(state["extra"])


class VanillaGan(GanMethod):
    """Vanilla GAN (Goodfellow et al. 2014), fully connected: two linear layers in each
    network, LeakyReLU, non-saturating BCE losses (seed 002 §3.1)."""

    name = "gan"

    @classmethod
    def generator_net(cls, cfg: dict[str, Any], shape: tuple[int, int, int],
                      n_classes: int) -> nn.Module:
        return MLPGenerator(cfg["latent_dim"], shape, cfg["hidden"])

    def build_discriminator(self) -> nn.Module:
        return MLPDiscriminator(self.net_shape, self.cfg["hidden"])


class Dcgan(GanMethod):
    """DCGAN (Radford et al. 2016): strided-conv networks, batch norm, ReLU generator and
    LeakyReLU discriminator, non-saturating BCE losses (seed 002 §3.2)."""

    name = "dcgan"


class WganGp(GanMethod):
    """Wasserstein loss + gradient penalty; the critic has no batch norm (config check)."""

    name = "wgan_gp"

    def d_step(self, x: torch.Tensor, y: torch.Tensor) -> Losses:
        with torch.no_grad(), self._amp():
            fake = self.G(self.sample_latent(len(x), None)).float()
        with self._amp():
            # one critic pass over real and fake together: same result (the critic has no
            # batch norm, so samples do not interact), half the kernel launches on a GPU
            out = self.D(torch.cat([x, fake])).float()
            d_real, d_fake = out[: len(x)].mean(), out[len(x):].mean()
            gp = gradient_penalty(self.D, x, fake, self.cfg["gp_lambda"]).float()
        loss = d_fake - d_real + gp
        self.opt_d.zero_grad(set_to_none=True)
        loss.backward()
        self.opt_d.step()
        return {"d_loss": loss.detach(), "wasserstein": (d_real - d_fake).detach(),
                "gp": gp.detach()}

    def g_step(self, y: torch.Tensor) -> Losses:
        with frozen(self.D), self._amp():
            loss = -self.D(self.G(self.sample_latent(len(y), None))).float().mean()
        self.opt_g.zero_grad(set_to_none=True)
        loss.backward()
        self.opt_g.step()
        return {"g_loss": loss.detach()}


class Cgan(GanMethod):
    """Conditional DCGAN: the label is an input of both networks."""

    name = "cgan"
    label_input = True

    def build_discriminator(self) -> nn.Module:
        return self.conv_discriminator(1, n_classes=self.n_classes)


class Acgan(GanMethod):
    """Auxiliary-classifier GAN: the discriminator outputs a source logit and class logits;
    both networks add the class cross-entropy ``L_c`` to the source loss ``L_s``."""

    name = "acgan"
    label_input = True

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # per-class weights of L_c: all ones for plain ACGAN (the plain mean)
        self.class_weights = torch.ones(self.n_classes, device=self.device)

    def build_discriminator(self) -> nn.Module:
        return self.conv_discriminator(1 + self.n_classes)

    def _class_loss(self, logits: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        ce = F.cross_entropy(logits.float(), y, reduction="none")
        return (self.class_weights[y] * ce).mean()

    def d_step(self, x: torch.Tensor, y: torch.Tensor) -> Losses:
        yf = self.fake_labels(y)
        with torch.no_grad(), self._amp():
            fake = self.G(self.sample_latent(len(x), yf), yf).float()
        with self._amp():
            out_r, out_f = self.D(x), self.D(fake)
            l_s = self._bce(out_r[:, 0], self.cfg["real_label"]) + self._bce(out_f[:, 0], 0.0)
            l_c = self._class_loss(out_r[:, 1:], y) + self._class_loss(out_f[:, 1:], yf)
        loss = l_s + l_c
        self.opt_d.zero_grad(set_to_none=True)
        loss.backward()
        self.opt_d.step()
        return {"d_loss": loss.detach(), "d_source": l_s.detach(), "d_class": l_c.detach()}

    def g_step(self, y: torch.Tensor) -> Losses:
        yf = self.fake_labels(y)
        with frozen(self.D), self._amp():
            out = self.D(self.G(self.sample_latent(len(y), yf), yf))
            loss = self._bce(out[:, 0], 1.0) + self._class_loss(out[:, 1:], yf)
        self.opt_g.zero_grad(set_to_none=True)
        loss.backward()
        self.opt_g.step()
        return {"g_loss": loss.detach()}

    def extra_state(self) -> dict[str, Any]:
        return {"class_weights": self.class_weights.cpu()}

    def load_extra_state(self, state: dict[str, Any]) -> None:
        if "class_weights" in state:  # before any CUDA graph is captured
            self.class_weights = state["class_weights"].to(self.device)


class CsAcgan(Acgan):
    """CostSensitive-ACGAN (seed 001 Algorithm 1): ``w_c = 1/K`` at first; after each epoch the
    auxiliary classifier's error on each class's real images is measured with the updated
    discriminator and ``w = softmax(errors)``.

    ``cs_weights: literal`` is Algorithm 1 as written: the weights sum to 1, so the class loss
    is about 1/K of ACGAN's and the comparison with ACGAN mixes the cost-sensitive idea with
    a K times smaller class loss. ``normalised`` multiplies them by K (sum K, 1 each at
    first), so only the cost-sensitive re-weighting differs from ACGAN.
    """

    name = "cs_acgan"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.weight_scale = float(self.n_classes) if self.cfg["cs_weights"] == "normalised" \
            else 1.0
        self.class_weights = torch.full((self.n_classes,), self.weight_scale / self.n_classes,
                                        device=self.device)

    @torch.no_grad()
    def class_errors(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        """Per-class error (1 - recall) of the auxiliary classifier; eval mode so dropout
        does not add noise to the measurement. A class without images counts as error 0."""
        with eval_mode(self.D):
            pred = torch.cat([self.D(to_float(x[i:i + 512]))[:, 1:].argmax(1)
                              for i in range(0, len(x), 512)])
        wrong = torch.zeros(self.n_classes, device=self.device)
        total = torch.zeros(self.n_classes, device=self.device)
        wrong.index_add_(0, y, (pred != y).float())
        total.index_add_(0, y, torch.ones_like(y, dtype=torch.float32))
        return wrong / total.clamp(min=1)

    def end_epoch(self, x: torch.Tensor, y: torch.Tensor) -> dict[str, float]:
        # a fixed subset (the first cs_eval_per_class images of each class) bounds the cost
        # on large data sets without consuming random numbers
        keep = torch.zeros(len(y), dtype=torch.bool, device=y.device)
        for c in range(self.n_classes):
            keep[torch.nonzero(y == c).flatten()[: int(self.cfg["cs_eval_per_class"])]] = True
        x, y = x[keep], y[keep]
        errors = self.class_errors(x, y)
        # in place: a CUDA graph of the training step reads this very tensor
        self.class_weights.copy_(cost_sensitive_weights(errors) * self.weight_scale)
        out = {f"error_{c}": float(e) for c, e in enumerate(errors.tolist())}
        out.update({f"w_{c}": float(w) for c, w in enumerate(self.class_weights.tolist())})
        return out


class Bagan(GanMethod):
    """BAGAN (Mariani et al. 2018). An autoencoder (encoder = discriminator body + Linear to
    the latent, decoder = generator) is trained first; the generator starts from the decoder,
    the discriminator body from the encoder, with a K+1-way head (K classes + "fake"). Latents
    of class c are drawn from a Gaussian fitted to the encoder's codes of class c."""

    name = "bagan"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        k, d = self.n_classes, self.latent_dim
        self.means = torch.zeros(k, d, device=self.device)
        self.chol = torch.eye(d, device=self.device).repeat(k, 1, 1)
        self.pretrained = False

    def build_discriminator(self) -> nn.Module:
        c = self.cfg
        return ConvDiscriminator(self.shape, c["width"], self.n_classes + 1,
                                 norm=c["d_norm"], dropout=c["d_dropout"])

    def generate(self, z: torch.Tensor, y: torch.Tensor | None) -> torch.Tensor:
        return self.G(z)  # the class lives in the latent's distribution

    def sample_latent(self, n: int, y: torch.Tensor | None,
                      generator: torch.Generator | None = None) -> torch.Tensor:
        assert y is not None
        eps = super().sample_latent(n, None, generator)
        return self.means[y] + (self.chol[y] @ eps.unsqueeze(-1)).squeeze(-1)

    def pretrain(self, batches: Any, n_batches: int, x: torch.Tensor, y: torch.Tensor,
                 log: Any) -> None:
        c = self.cfg
        encoder = ConvDiscriminator(self.shape, c["width"], self.latent_dim,
                                    norm=c["d_norm"]).to(self.device)
        init_weights(encoder, c["init"])
        params = list(encoder.parameters()) + list(self.G.parameters())
        opt = torch.optim.Adam(params, lr=c["lr_ae"], betas=tuple(c["betas"]))
        for epoch in range(1, int(c["ae_epochs"]) + 1):
            total = torch.zeros((), device=self.device)
            for _ in range(n_batches):
                xb, _ = batches()
                loss = F.mse_loss(self.G(encoder(xb)), xb)
                opt.zero_grad(set_to_none=True)
                loss.backward()
                opt.step()
                total += loss.detach()
            log(f"bagan autoencoder epoch {epoch}: mse {float(total) / n_batches:.5f}")
        self.D.body.load_state_dict(encoder.body.state_dict())
        self._encoder = encoder
        self.fit_class_gaussians(x, y)
        self.pretrained = True

    @torch.no_grad()
    def fit_class_gaussians(self, x: torch.Tensor, y: torch.Tensor) -> None:
        """Mean and (shrunk) covariance of the encoder's codes per class; shrinkage keeps the
        covariance positive definite for classes smaller than the latent dimension."""
        enc = self._encoder.eval()
        codes = torch.cat([enc(to_float(x[i:i + 512])) for i in range(0, len(x), 512)]).double()
        d, a = self.latent_dim, float(self.cfg["cov_shrinkage"])
        eye = torch.eye(d, dtype=torch.float64, device=codes.device)
        for k in range(self.n_classes):
            ck = codes[y == k]
            if len(ck) == 0:
                continue
            mu = ck.mean(0)
            cov = (ck - mu).T @ (ck - mu) / max(len(ck) - 1, 1)
            cov = (1 - a) * cov + a * cov.diagonal().mean() * eye + 1e-6 * eye
            self.means[k] = mu.float()
            self.chol[k] = torch.linalg.cholesky(cov).float()
        del self._encoder

    def d_step(self, x: torch.Tensor, y: torch.Tensor) -> Losses:
        yf = self.fake_labels(y)
        with torch.no_grad(), self._amp():
            fake = self.G(self.sample_latent(len(x), yf)).float()
        fake_class = torch.full_like(yf, self.n_classes)
        with self._amp():
            loss = (F.cross_entropy(self.D(x).float(), y)
                    + F.cross_entropy(self.D(fake).float(), fake_class))
        self.opt_d.zero_grad(set_to_none=True)
        loss.backward()
        self.opt_d.step()
        return {"d_loss": loss.detach()}

    def g_step(self, y: torch.Tensor) -> Losses:
        yf = self.fake_labels(y)
        with frozen(self.D), self._amp():
            loss = F.cross_entropy(self.D(self.G(self.sample_latent(len(y), yf))).float(), yf)
        self.opt_g.zero_grad(set_to_none=True)
        loss.backward()
        self.opt_g.step()
        return {"g_loss": loss.detach()}

    def extra_state(self) -> dict[str, Any]:
        return {"means": self.means.cpu(), "chol": self.chol.cpu(),
                "pretrained": self.pretrained}

    def load_extra_state(self, state: dict[str, Any]) -> None:
        self.means = state["means"].to(self.device)
        self.chol = state["chol"].to(self.device)
        self.pretrained = bool(state["pretrained"])


def to_float(x: torch.Tensor) -> torch.Tensor:
    """uint8 NCHW -> float32 in [-1, 1] (done per batch, so the data set stays uint8)."""
    return x.float().div_(127.5).sub_(1.0)


class DeepSmote(GanMethod):
    """DeepSMOTE (Dablain et al. 2022): an encoder/decoder trained on the imbalanced training
    set, SMOTE between a class's codes, decoded to images. No adversary.

    The slots of the training loop: ``D`` is the encoder (the discriminator body with a
    Linear to ``latent_dim``, as BAGAN's encoder), ``G`` the decoder (the generator network).
    Each step (``d_step``) minimises the reconstruction MSE of the batch plus their
    permutation penalty: the images of one class (drawn uniformly among the batch's classes;
    their code draws one class of the whole set, at most 100 images) are encoded with the
    encoder detached, the codes and the images put in the same permuted order, and the
    decoded codes compared with the permuted images by MSE -- which, as in their code
    (``mse2``), trains the decoder to reconstruct that class from fixed codes. ``g_step``
    does nothing. Both networks use Adam (``lr_g`` decoder, ``lr_d`` encoder; theirs: 2e-4
    both). After every epoch the codes of all training images are stored with the model
    (``extra_state``); sampling class ``c`` draws a code of ``c``, one of its ``k_neighbors``
    nearest codes of ``c`` (Euclidean; fewer when the class is smaller) and a uniform point
    on the segment between them, as SMOTE does, and decodes it.
    """

    name = "deepsmote"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.codes = torch.zeros(0, self.latent_dim)
        self.code_labels = torch.zeros(0, dtype=torch.int64)

    def build_discriminator(self) -> nn.Module:
        c = self.cfg
        return ConvDiscriminator(self.shape, c["width"], self.latent_dim, norm=c["d_norm"])

    def generate(self, z: torch.Tensor, y: torch.Tensor | None) -> torch.Tensor:
        return self.G(z)

    def d_step(self, x: torch.Tensor, y: torch.Tensor) -> Losses:
        with self._amp():
            mse = F.mse_loss(self.G(self.D(x)).float(), x)
            present = torch.unique(y)
            c = present[torch.randint(len(present), (1,), device=y.device)]
            xc = x[y == c]
            perm = torch.randperm(len(xc), device=x.device)
            with torch.no_grad():
                codes = self.D(xc)
            penalty = F.mse_loss(self.G(codes[perm]).float(), xc[perm])
        loss = mse + penalty
        self.opt_d.zero_grad(set_to_none=True)
        self.opt_g.zero_grad(set_to_none=True)
        loss.backward()
        self.opt_d.step()
        self.opt_g.step()
        return {"d_loss": loss.detach(), "reconstruction": mse.detach(),
                "penalty": penalty.detach()}

    def g_step(self, y: torch.Tensor) -> Losses:
        return {}

    @torch.no_grad()
    def end_epoch(self, x: torch.Tensor, y: torch.Tensor) -> dict[str, float]:
        with eval_mode(self.D):
            self.codes = torch.cat([self.D(to_float(x[i:i + 512])).float().cpu()
                                    for i in range(0, len(x), 512)])
        self.code_labels = y.cpu().clone()
        self._neighbours: dict[int, torch.Tensor] = {}
        return {}

    def _class_neighbours(self, c: int) -> tuple[torch.Tensor, torch.Tensor]:
        """Codes of class ``c`` and, per code, the indices of its nearest other codes."""
        cache = self.__dict__.setdefault("_neighbours", {})
        codes = self.codes[self.code_labels == c]
        if len(codes) == 0:
            raise ValueError(f"deepsmote has no training image of class {c} to interpolate")
        if c not in cache:
            k = min(int(self.cfg["k_neighbors"]), len(codes) - 1)
            if k == 0:
                cache[c] = torch.zeros(len(codes), 1, dtype=torch.int64)  # itself
            else:
                d = torch.cdist(codes.double(), codes.double())
                d.fill_diagonal_(float("inf"))
                cache[c] = d.topk(k, largest=False).indices
        return codes, cache[c]

    def sample_latent(self, n: int, y: torch.Tensor | None,
                      generator: torch.Generator | None = None) -> torch.Tensor:
        assert y is not None
        out = torch.empty(n, self.latent_dim)
        labels = y.cpu()
        for c in torch.unique(labels).tolist():
            rows = torch.nonzero(labels == c).flatten()
            codes, nbrs = self._class_neighbours(int(c))
            base = torch.randint(len(codes), (len(rows),), generator=generator)
            pick = torch.randint(nbrs.shape[1], (len(rows),), generator=generator)
            gap = torch.rand(len(rows), 1, generator=generator)
            a, b = codes[base], codes[nbrs[base, pick]]
            out[rows] = a + gap * (b - a)
        return out.to(self.device)

    def extra_state(self) -> dict[str, Any]:
        return {"codes": self.codes.cpu(), "code_labels": self.code_labels.cpu()}

    def load_extra_state(self, state: dict[str, Any]) -> None:
        self.codes = state["codes"].float()
        self.code_labels = state["code_labels"].long()
        self._neighbours = {}


class CycleGan(GanMethod):
    """CycleGAN (Zhu et al. 2017) as a per-class generator: it learns to translate images of
    a *source* class (``source_class``, default the largest class of the training set) into
    the class it fills, and back (unpaired). ``G`` (source -> class) is what sampling uses;
    ``D`` holds the other three networks: the class's PatchGAN ``D_B``, the source's
    ``D_A`` and the reverse generator ``G_BA``. LSGAN objective, cycle loss ``lambda_cycle``,
    identity loss ``lambda_identity`` x ``lambda_cycle``, a pool of ``pool_size`` earlier
    fakes for each discriminator. Sampling translates stored source images
    (``source_max`` of them, kept in the generator file): the "latent" of a sample is the index
    of its source image."""

    name = "cyclegan"
    #: the training loop gives it the source class's images (``set_source``)
    translates: ClassVar[bool] = True

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        g_params = list(self.G.parameters()) + list(self.D["G_BA"].parameters())
        d_params = list(self.D["D_A"].parameters()) + list(self.D["D_B"].parameters())
        betas = tuple(self.cfg["betas"])
        self.opt_g = torch.optim.Adam(g_params, lr=self.cfg["lr_g"], betas=betas)
        self.opt_d = torch.optim.Adam(d_params, lr=self.cfg["lr_d"], betas=betas)
        self.source = torch.zeros((0, self.shape[2], *self.shape[:2]), dtype=torch.uint8)
        self.pools: dict[str, torch.Tensor] = {}
        self._batch: tuple[torch.Tensor, torch.Tensor] | None = None

    @classmethod
    def make_generator(cls, cfg: dict[str, Any], shape: tuple[int, int, int],
                       n_classes: int) -> nn.Module:
        from .nets import ResnetGenerator

        return ResnetGenerator(shape, cfg["width"])

    def build_discriminator(self) -> nn.Module:
        from .nets import PatchDiscriminator, ResnetGenerator

        return nn.ModuleDict({"D_B": PatchDiscriminator(self.shape, self.cfg["width"]),
                              "D_A": PatchDiscriminator(self.shape, self.cfg["width"]),
                              "G_BA": ResnetGenerator(self.shape, self.cfg["width"])})

    def set_source(self, images: torch.Tensor) -> None:
        """uint8 NCHW source-class images (at most ``source_max``, a seeded draw)."""
        self.source = images.to(self.device)

    # -- sampling: a sample's "latent" is the index of the source image it translates ------
    def sample_latent(self, n: int, y: torch.Tensor | None,
                      generator: torch.Generator | None = None) -> torch.Tensor:
        idx = torch.randint(len(self.source), (n,), generator=generator)
        return idx.to(self.device, torch.float32).unsqueeze(1)

    def source_images(self, z: torch.Tensor) -> torch.Tensor:
        return to_float(self.source[z.view(-1).long()])

    def generate(self, z: torch.Tensor, y: torch.Tensor | None) -> torch.Tensor:
        return self.G(self.source_images(z))

    def pairs(self, z: torch.Tensor) -> torch.Tensor:
        """Source image, its translation, ... interleaved: the sample grid's pairs."""
        src = self.source_images(z)
        return torch.stack([src, self.G(src)], 1).flatten(0, 1)

    # -- training ----------------------------------------------------------------------------
    def _pool(self, key: str, fake: torch.Tensor) -> torch.Tensor:
        """Zhu et al.'s image buffer: half the time an earlier fake replaces the new one."""
        size = int(self.cfg["pool_size"])
        if size == 0:
            return fake
        pool = self.pools.get(key, fake[:0])
        out = []
        for img in fake.detach():
            if len(pool) < size:
                pool = torch.cat([pool, img[None]])
                out.append(img)
            elif float(torch.rand(())) < 0.5:
                i = int(torch.randint(len(pool), ()))
                out.append(pool[i].clone())
                pool[i] = img
            else:
                out.append(img)
        self.pools[key] = pool
        return torch.stack(out)

    @staticmethod
    def _mse(x: torch.Tensor, target: float) -> torch.Tensor:
        return F.mse_loss(x.float(), torch.full_like(x.float(), target))

    def d_step(self, x: torch.Tensor, y: torch.Tensor) -> Losses:
        if len(self.source) == 0:
            raise RuntimeError("cyclegan needs its source images (set_source) before training")
        a = to_float(self.source[torch.randint(len(self.source), (len(x),))].to(self.device))
        with torch.no_grad():
            fake_b, fake_a = self.G(a), self.D["G_BA"](x)
        self._batch = (a, x)
        fb, fa = self._pool("B", fake_b), self._pool("A", fake_a)
        d_b = 0.5 * (self._mse(self.D["D_B"](x), 1.0) + self._mse(self.D["D_B"](fb), 0.0))
        d_a = 0.5 * (self._mse(self.D["D_A"](a), 1.0) + self._mse(self.D["D_A"](fa), 0.0))
        loss = d_a + d_b
        self.opt_d.zero_grad(set_to_none=True)
        loss.backward()
        self.opt_d.step()
        return {"d_loss": loss.detach(), "d_a": d_a.detach(), "d_b": d_b.detach()}

    def g_step(self, y: torch.Tensor) -> Losses:
        assert self._batch is not None  # d_step ran first in this iteration
        a, b = self._batch
        g_ba = self.D["G_BA"]
        lam, lam_id = float(self.cfg["lambda_cycle"]), float(self.cfg["lambda_identity"])
        with frozen(self.D["D_A"]), frozen(self.D["D_B"]):
            fake_b, fake_a = self.G(a), g_ba(b)
            adv = self._mse(self.D["D_B"](fake_b), 1.0) + self._mse(self.D["D_A"](fake_a), 1.0)
            cycle = F.l1_loss(g_ba(fake_b), a) + F.l1_loss(self.G(fake_a), b)
            identity = (F.l1_loss(self.G(b), b) + F.l1_loss(g_ba(a), a)
                        if lam_id > 0 else torch.zeros((), device=a.device))
            loss = adv + lam * cycle + lam * lam_id * identity
        self.opt_g.zero_grad(set_to_none=True)
        loss.backward()
        self.opt_g.step()
        return {"g_loss": loss.detach(), "cycle": cycle.detach(), "identity": identity.detach()}

    def extra_state(self) -> dict[str, Any]:
        return {"source": self.source.cpu(), "pools": {k: v.cpu() for k, v in self.pools.items()}}

    def load_extra_state(self, state: dict[str, Any]) -> None:
        self.source = state["source"].to(self.device)
        self.pools = {k: v.to(self.device) for k, v in state.get("pools", {}).items()}
