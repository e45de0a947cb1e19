"""The generator methods' parameters, declared once (imbench.params), light enough for the DAG
build (no torch).

:data:`SHARED` holds what every method takes, with its package default (StudioGAN's base
config in code); a method's own parameters are a :class:`~imbench.params.ParamSpec` named by
its registry entry (``GeneratorMethod(..., params=...)``), and ``configs/<method>.yaml`` holds
only the defaults it sets differently, each with its reason.

An epoch is one pass of the model's training images through the discriminator (per-class
models: the class's images; conditional ones: all of them), i.e. ceil(n / (batch_size x
n_critic)) generator iterations: the unit the papers count in. losses.csv and selection.json
record every epoch in both units (generator iterations, passes).
"""

from __future__ import annotations

import re

from ..measures import SELECTION_METRICS
from ..params import (
    BOOL,
    Check,
    Folder,
    Int,
    ListOf,
    Number,
    Param,
    ParamSpec,
    one_of,
    optional,
    require,
)

_DEVICE = re.compile(r"^(auto|cpu|cuda(:\d+)?)$")

SHARED = ParamSpec(
    Param("epochs", 50, optional(Int(1)),
          "training budget in epochs (passes of the training images through the "
          "discriminator); null to budget in iterations"),
    Param("iterations", None, optional(Int(1)),
          "training budget in generator iterations (set epochs: null beside it): trains "
          "ceil(iterations / iterations per epoch) epochs"),
    Param("batch_size", 64, Int(1), "images per discriminator step"),
    Param("latent_dim", 100, Int(1), "size of the noise vector z"),
    Param("width", 64, Int(1),
          "channels of the first (full-resolution) conv layer; doubles at each halving of "
          "the resolution"),
    Param("lr_g", 2.0e-4, Number(0, lo_open=True), "generator's Adam learning rate"),
    Param("lr_d", 2.0e-4, Number(0, lo_open=True), "discriminator's Adam learning rate"),
    Param("betas", [0.5, 0.999], ListOf(Number(0, 1, hi_open=True), length=2),
          "Adam's (beta1, beta2) for both networks"),
    Param("n_critic", 1, Int(1), "discriminator steps per generator step"),
    Param("min_iters_per_epoch", 0, Int(0),
          "at least this many generator iterations per epoch (0: exactly one pass); above 0 "
          "an epoch of a small class is more than one pass"),
    Param("init", "normal", one_of("normal", "xavier", "default"),
          "weight init: N(0, 0.02) (Radford et al.), Xavier, or PyTorch's default"),
    Param("g_act", "relu", one_of("relu", "leaky"),
          "generator activation (leaky: LeakyReLU, slope 0.2)"),
    Param("g_norm", "batch", one_of("batch", "none"), "generator normalisation"),
    Param("d_norm", "batch", one_of("batch", "none"),
          "discriminator normalisation (never batch for a gradient-penalty critic)"),
    Param("d_dropout", 0.0, Number(0, 1, hi_open=True), "discriminator dropout rate"),
    Param("real_label", 1.0, Number(0, 1),
          "BCE target for real images (< 1 is one-sided label smoothing)"),
    Param("fake_labels", "uniform", one_of("uniform", "real"),
          "labels of fake images in conditional training: uniform over classes, or the real "
          "batch's (keeps a label-aware discriminator from learning 'rare label = fake')"),
    Param("checkpoint_every", 5, Int(1), "epochs between saved (and scored) checkpoints"),
    Param("sample_every", 5, Int(1), "epochs between sample grids of the progress figure"),
    Param("grid_size", 8, Int(1), "images per side of a sample grid"),
    Param("selection", "kid", one_of(*SELECTION_METRICS, "last"),
          "epoch choice: the latest checkpoint within selection_tolerance standard errors of "
          "the best score of this quality.json measure on held-out real images; 'last' "
          "takes the final epoch"),
    Param("selection_features", "random", one_of("random", "reference"),
          "the feature space of that score: a frozen seeded random conv net, or the "
          "dataset's reference classifier (the job then waits for it)"),
    Param("selection_tolerance", 1.0, Number(0),
          "standard errors (jackknife, paired) a later epoch may trail the best one by"),
    Param("selection_samples", 256, Int(1), "generated images scored per checkpoint"),
    Param("holdout_fraction", 0.15, Number(0, 1, hi_open=True),
          "share of the model's real images held out for the epoch choice"),
    Param("holdout_min", 4, Int(0), "at least this many held-out images per class"),
    Param("divergence_threshold", 1.0e6, Number(0, lo_open=True),
          "an |epoch-mean loss| above this (or NaN/inf) fails the job instead of writing "
          "garbage"),
    Param("device", "auto", Check(lambda v: isinstance(v, str) and bool(_DEVICE.match(v)),
                                  "'auto', 'cpu', 'cuda' or 'cuda:N'",
                                  {"type": "string", "pattern": _DEVICE.pattern}),
          "where to train"),
    Param("bf16", False, BOOL, "bf16 autocast on CUDA (no effect on the CPU)"),
    Param("cuda_graph", True, BOOL,
          "on CUDA, replay each generator iteration from a CUDA graph (one launch instead "
          "of hundreds); no effect on the CPU"),
)

# -- the methods' own parameters (named by their registry lines) -----------------------------
#: the adversarial methods whose networks adapt to the image size (not BAGAN, whose
#: autoencoder shares the discriminator's body, nor DeepSMOTE or CycleGAN)
FRAME = ParamSpec(
    Param("gan_size", None, optional(Int(4)),
          "train both networks at this square size: real images padded to it (background "
          "-1), generated ones centre-cropped back (seed 002: 32 -> 28); null: the images' "
          "own size"),
)
#: the conditional discriminator-classifier methods (seed 001's ACGAN family)
ARCH = ParamSpec(
    Param("arch", "dcgan", one_of("dcgan", "seed001_table2"),
          "networks: dcgan (imbench's, halving with strided 4 x 4 convs) or seed001_table2 "
          "(seed 001 Table 2: linear + five 5 x 5 transposed convs, a stride-1 critic on a "
          "32 x 32 input; channel widths from width, assumed)"),
)
GAN = ParamSpec(Param("hidden", 256, Int(1), "width of the two linear layers of G and D"))

WGAN_GP = ParamSpec(
    Param("gp_lambda", 10.0, Number(0), "gradient-penalty weight lambda"),
    # batch norm makes each critic output depend on the whole batch, which breaks the
    # per-sample gradient penalty (Gulrajani et al. §4)
    Param("d_norm", "none", one_of("none"),
          "critic normalisation: none (batch norm breaks the per-sample gradient penalty)"),
)

BAGAN = ParamSpec(
    Param("ae_epochs", 10, Int(1), "epochs of the autoencoder before the adversarial ones"),
    Param("lr_ae", 1.0e-3, Number(0, lo_open=True), "the autoencoder's Adam learning rate"),
    Param("cov_shrinkage", 0.1, Number(0, 1),
          "shrinkage of each class covariance towards its mean variance (small classes)"),
)

CS_ACGAN = ParamSpec(
    Param("cs_eval_per_class", 500, Int(1),
          "real images per class used to measure the per-class error after each epoch"),
    Param("cs_weights", "literal", one_of("literal", "normalised"),
          "literal: Algorithm 1's class weights, summing to 1; normalised: times K, summing "
          "to K (ACGAN's scale)"),
)

DEEPSMOTE = ParamSpec(
    Param("k_neighbors", 5, Int(1), "nearest same-class codes SMOTE interpolates towards"),
)

CYCLEGAN = ParamSpec(
    Param("lambda_cycle", 10.0, Number(0), "weight of the cycle-consistency loss"),
    Param("lambda_identity", 0.5, Number(0),
          "weight of the identity loss, as a fraction of lambda_cycle"),
    Param("pool_size", 50, Int(0), "earlier fakes kept for the discriminators (0: none)"),
    Param("source_class", None, optional(Int(0)),
          "the class translated from; null: the largest class of the training set"),
    Param("source_folder", None, optional(Folder()),
          "or a second domain: a folder of images (searched recursively, each of the "
          "dataset's image shape) translated into every class filled; source_class unused"),
    Param("source_max", 1000, Int(1), "source images kept in the generator file for sampling"),
)


#: the shared parameters a diffusion model has no use for (no adversary, no latent vector)
NOT_DIFFUSION = ("latent_dim", "lr_g", "lr_d", "init", "g_act", "g_norm", "d_norm",
                 "d_dropout", "real_label", "fake_labels")

DDPM = ParamSpec(
    Param("width", 32, Int(1), "channels of the U-Net's first level (x channel_mult per level)"),
    Param("channel_mult", [1, 2, 2], ListOf(Int(1), min_length=1),
          "one entry per resolution level: its channels as a multiple of width"),
    Param("layers_per_block", 1, Int(1), "residual blocks per level"),
    Param("attention", True, BOOL, "self-attention at the lowest resolution"),
    Param("dropout", 0.1, Number(0, 1, hi_open=True), "dropout in the residual blocks"),
    Param("lr", 2.0e-4, Number(0, lo_open=True), "the denoiser's Adam learning rate"),
    Param("timesteps", 1000, Int(2), "diffusion steps T of the noise schedule"),
    Param("beta_schedule", "linear", one_of("linear", "cosine"),
          "noise schedule: Ho et al.'s linear betas (1e-4 to 0.02) or Nichol & Dhariwal's "
          "cosine"),
    Param("sampling_steps", 50, Int(1), "DDIM steps when sampling (at most timesteps)"),
    Param("ema_decay", 0.999, Number(0, 1, hi_open=True),
          "decay of the weights' moving average that sampling uses (warm-up: "
          "min(decay, (1 + k) / (10 + k)) at update k)"),
    Param("n_critic", 1, one_of(1), "denoising steps per iteration: 1"),
    Param("cuda_graph", False, one_of(False),
          "the denoiser trains eagerly (no CUDA graph)"),
)
#: the shared defaults a diffusion model sets differently
DDPM_DEFAULTS = {
    # Adam's usual betas, as Ho et al.'s implementation and diffusers' examples use (the
    # GANs' beta1 = 0.5 is a GAN choice)
    "betas": [0.9, 0.999],
    # the EMA weights that are scored and sampled need more passes than the GANs' 50
    "epochs": 100,
}


def check_ddpm(cfg: dict, key: str) -> None:
    """ConfigError unless DDIM's steps fit in the schedule."""
    require(cfg["sampling_steps"] <= cfg["timesteps"], f"{key}.sampling_steps",
            cfg["sampling_steps"], f"an integer from 1 to timesteps ({cfg['timesteps']})")


#: what both diffusion entries pass to their registry line
DIFFUSION = {"unused": NOT_DIFFUSION, "defaults": DDPM_DEFAULTS, "check": check_ddpm}

#: classifier-free guidance, for the conditional kind
GUIDANCE = ParamSpec(
    Param("guidance", 1.5, Number(0),
          "classifier-free guidance scale s: eps(null) + s (eps(y) - eps(null)); 0 "
          "unconditional, 1 conditional without guidance"),
    Param("cond_drop", 0.1, Number(0, 1, hi_open=True),
          "probability that a training image's label is replaced by the null label"),
)

#: the config's ``reference_classifier``: the judge of generated images (generators.reference)
REFERENCE = ParamSpec(
    Param("epochs", 5, Int(1), "training epochs"),
    Param("batch_size", 128, Int(1), "mini-batch size"),
    Param("lr", 1e-3, Number(0, lo_open=True), "Adam learning rate"),
    Param("feature_dim", 128, Int(1), "width of the penultimate layer (the feature space)"),
    Param("val_fraction", 0.1, Number(0, 1, lo_open=True, hi_open=True),
          "share of the training set held out for model choice"),
    Param("arch", "cnn", one_of("cnn", "resnet18"),
          "cnn (3 conv layers) or resnet18 (seed 001's judge of generated images, Table 5; "
          "its features are the 512-d average pool)"),
)
