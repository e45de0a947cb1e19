"""Tiny generator runs on 8x8 digits: every method, shapes and ranges, the gradient penalty's
closed form, cs_acgan's weight update, resume after SIGKILL, determinism, divergence."""

from __future__ import annotations

import csv
import math
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest
import torch

torch.set_num_threads(1)  # CI has 2 shared cores; also makes runs bit-reproducible

from sklearn.datasets import load_digits  # noqa: E402

from imbench.augment import AUGMENTERS  # noqa: E402
from imbench.errors import ConfigError, DataError  # noqa: E402
from imbench.generators import (  # noqa: E402
    GENERATORS,
    generator_units,
    load_config,
    spec,
)
from imbench.generators.methods import CsAcgan, cost_sensitive_weights, to_float  # noqa: E402
from imbench.generators.nets import gradient_penalty  # noqa: E402
from imbench.generators.sampling import GeneratorSet  # noqa: E402
from imbench.generators.train import (  # noqa: E402
    DivergenceError,
    UnitFiles,
    check_divergence,
    epoch_unit,
    train_generator,
)
from imbench.plan.layout import unit_files_in  # noqa: E402

TINY = {"epochs": 3, "width": 8, "latent_dim": 16, "batch_size": 32, "min_iters_per_epoch": 2,
        "checkpoint_every": 1, "sample_every": 2, "selection_samples": 32, "grid_size": 4}
#: a tiny U-Net and schedule for the diffusion methods (they take no latent_dim)
DIFFUSION = {"width": 8, "channel_mult": [1, 2], "timesteps": 50, "sampling_steps": 5}
EXTRA = {"gan": {"hidden": 32}, "bagan": {"ae_epochs": 1}, "ddpm": DIFFUSION,
         "ddpm_per_class": DIFFUSION}


def _digits() -> tuple[np.ndarray, np.ndarray]:
    d = load_digits()
    x = np.round(d.images * (255 / 16)).astype(np.uint8)[..., None]
    return x, d.target.astype(np.int64)


@pytest.fixture(scope="module")
def digits() -> tuple[np.ndarray, np.ndarray]:
    x, y = _digits()
    # make class 3 a minority (40 images) so the sampling strategy has work to do
    keep = (y != 3) | (np.cumsum(y == 3) <= 40)
    return x[keep], y[keep]


def _overrides(method: str, **kw: object) -> dict:
    """TINY and the method's extras, less the shared keys it does not take."""
    names = spec(method).names
    return {k: v for k, v in {**TINY, **EXTRA.get(method, {}), **kw}.items() if k in names}


def _quiet(_: str) -> None:
    pass


def _unit(method: str) -> str:
    return "conditional" if GENERATORS[method].conditional else "class3"


def files(folder: Path) -> UnitFiles:
    """A unit's files in one folder, as the workflow names them."""
    return UnitFiles(**unit_files_in(folder))


# -- light API -----------------------------------------------------------------------------
def test_generator_units_and_light_import() -> None:
    assert generator_units("wgan_gp", [50, 10, 30], "auto") == ["class1", "class2"]
    assert generator_units("dcgan", [50, 10, 30], "minority") == ["class1"]
    assert generator_units("gan", None, "auto") == ["all"]
    assert generator_units("acgan", [50, 10, 30], "auto") == ["conditional"]
    with pytest.raises(ConfigError, match="method"):
        generator_units("vae", [1, 2], "auto")
    # the DAG-time helpers must not drag torch into the Snakemake process
    out = subprocess.run(
        [sys.executable, "-c", "import sys, imbench.generators as g; "
         "g.generator_units('gan', [5, 1]); g.load_config('bagan'); "
         "print('torch' in sys.modules)"],
        capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_config_defaults_and_unknown_key() -> None:
    cfg = load_config("wgan_gp")
    assert (cfg["gp_lambda"], cfg["n_critic"], cfg["lr_g"], cfg["lr_d"]) == (10.0, 5, 1e-4, 1e-4)
    assert tuple(cfg["betas"]) == (0.5, 0.9)
    assert (cfg["d_norm"], cfg["init"], cfg["g_act"]) == ("none", "xavier", "leaky")
    with pytest.raises(ConfigError, match="gp_lambda"):
        load_config("dcgan", {"gp_lambda": 5})  # a WGAN-GP key means nothing to DCGAN
    with pytest.raises(ConfigError, match="d_norm"):
        load_config("wgan_gp", {"d_norm": "batch"})
    wgan = AUGMENTERS["wgan_gp"]
    assert wgan.default_params["n_critic"] == 5 and wgan.generator == "per_class"
    assert AUGMENTERS["bagan"].generator == "conditional"
    with pytest.raises(ConfigError, match="epochz"):
        wgan.check_params({"epochz": 3})
    with pytest.raises(ConfigError, match=r"augmenters\.w\.params\.d_norm"):
        wgan.check_params({"d_norm": "batch"}, key="augmenters.w.params")


# -- every generator ------------------------------------------------------------------------
@pytest.mark.parametrize("method", sorted(GENERATORS))
def test_tiny_run_every_generator(method: str, digits, tmp_path: Path) -> None:
    x, y = digits
    out = tmp_path / method
    sel = train_generator(x, y, method=method, unit=_unit(method), files=files(out), seed=0,
                          overrides=_overrides(method), log=_quiet)
    key = "conditional" if _unit(method) == "conditional" else "class3"
    info = sel["models"][key]
    assert info["chosen_epoch"] in {1, 2, 3}
    assert info["scores"][str(info["lowest_epoch"])] == min(info["scores"].values())
    assert info["chosen_epoch"] >= info["lowest_epoch"]
    if info["chosen_epoch"] != info["lowest_epoch"]:  # a later epoch within one SE
        gap = info["later_epochs"][str(info["chosen_epoch"])]
        assert 0 <= gap["difference"] <= gap["se"]
    assert (out / "generator.pt").is_file()
    assert sorted(p.name for p in (out / "samples").iterdir()) == [
        f"{key}_epoch0002.png", f"{key}_epoch0003.png"]
    losses = (out / "losses.csv").read_text().splitlines()
    assert len(losses) == 1 + 3 and losses[0].startswith("model,epoch,iterations,passes,d_loss")

    images = GeneratorSet({_unit(method): files(out).generator}).sample(3, 50, seed=1)
    assert images.shape == (50, 8, 8, 1) and images.dtype == np.uint8
    assert images.std() > 0  # not a constant image

    # the augmenter contract: originals first, then the generated class-3 images
    aug_cls = AUGMENTERS[method]
    aug = aug_cls(sampling_strategy={3: 60}, random_state=0, **_overrides(method))
    aug.check_params(_overrides(method))
    aug.set_generators({_unit(method): files(out).generator})
    xr, yr = aug.fit_resample(x, y)
    assert xr.shape == (len(x) + 20, 8, 8, 1) and (yr[len(x):] == 3).all()
    assert aug.synthetic_mask_.sum() == 20 and (xr[: len(x)] == x).all()
    assert list(aug.generation_seconds_) == [3] and aug.generation_seconds_[3] > 0


@pytest.mark.parametrize(("method", "extra"), [
    ("dcgan", {"gan_size": 12}),  # seed 002: generate larger, crop to the images' size
    ("gan", {"gan_size": 12}),
    ("wgan_gp", {"gan_size": 12}),
    ("acgan", {"arch": "seed001_table2", "d_dropout": 0.3}),  # seed 001 Table 2
    ("cs_acgan", {"arch": "seed001_table2", "gan_size": 12}),
])
def test_networks_at_another_size_or_the_papers_layout_train_and_sample_at_the_images_size(
        method: str, extra: dict, digits, tmp_path: Path) -> None:
    from imbench.generators.methods import net_shape
    from imbench.generators.nets import (
        CroppedGenerator,
        PaddedDiscriminator,
        Table2Discriminator,
        Table2Generator,
    )

    x, y = digits
    cfg = {**load_config(method), **_overrides(method, epochs=2), **extra}
    m = GENERATORS[method].load()(cfg, (8, 8, 1), 10 if _unit(method) == "conditional" else 1,
                                  torch.device("cpu"))
    inner = net_shape(cfg, (8, 8, 1))
    z = m.sample_latent(4, torch.zeros(4, dtype=torch.int64))
    yz = torch.zeros(4, dtype=torch.int64)
    if "gan_size" in extra:
        assert inner == (12, 12, 1)
        assert isinstance(m.G, CroppedGenerator) and isinstance(m.D, PaddedDiscriminator)
        assert m.G.net(z, yz if m.label_input else None).shape[2:] == (12, 12)
    if extra.get("arch") == "seed001_table2":
        g = m.G.net if isinstance(m.G, CroppedGenerator) else m.G
        d = m.D.net if isinstance(m.D, PaddedDiscriminator) else m.D
        assert isinstance(g, Table2Generator) and isinstance(d, Table2Discriminator)
        # five transposed convs, strides 2, 2, 1, 1, 1; four stride-1 convs on 32 x 32
        convs = [mod for mod in g.body if isinstance(mod, torch.nn.ConvTranspose2d)]
        assert [c.stride[0] for c in convs] == [2, 2, 1, 1, 1]
        assert all(c.kernel_size == (5, 5) for c in convs)
        kernels = [c.kernel_size[0] for c in d.body if isinstance(c, torch.nn.Conv2d)]
        assert kernels == [5, 3, 5, 3] and d.size == (32, 32)
    out = m.generate(z, yz)
    assert out.shape == (4, 1, 8, 8)  # the images' size, whatever the networks' size
    assert m.D(out, yz if method == "cgan" else None).shape[0] == 4

    folder = tmp_path / method
    train_generator(x, y, method=method, unit=_unit(method), files=files(folder), seed=0,
                    overrides={**_overrides(method, epochs=2), **extra}, log=_quiet)
    images = GeneratorSet({_unit(method): files(folder).generator}).sample(3, 10, seed=1)
    assert images.shape == (10, 8, 8, 1) and images.std() > 0
    with pytest.raises(ConfigError, match="gan_size"):
        load_config("bagan", {"gan_size": 32})


def test_an_epoch_is_one_pass_and_both_units_are_recorded(digits, tmp_path: Path) -> None:
    cfg = load_config("wgan_gp")
    # seed 002's trousers: 1020 left after the hold-out, batch 128, 5 critic steps
    u = epoch_unit(1020, 128, 5, {**cfg, "epochs": 500})
    assert (u["iterations_per_epoch"], u["total_iterations"]) == (2, 1000)
    assert u["images_per_epoch"] == 1280 and u["passes_per_epoch"] == round(1280 / 1020, 4)
    assert epoch_unit(1020, 64, 1, {**cfg, "epochs": 3})["iterations_per_epoch"] == 16
    floor = epoch_unit(40, 32, 1, {**cfg, "epochs": 3, "min_iters_per_epoch": 20})
    assert floor["iterations_per_epoch"] == 20 and floor["passes_per_epoch"] == 16.0
    assert floor["iterations_per_pass"] == 2
    assert epoch_unit(1020, 64, 1, {**cfg, "epochs": None, "iterations": 100})["epochs"] == 7

    with pytest.raises(ConfigError, match="exactly one"):
        load_config("gan", {"iterations": 100})  # the default epochs: 50 is still set
    with pytest.raises(ConfigError, match="exactly one"):
        load_config("gan", {"epochs": None})
    with pytest.raises(ConfigError, match="min_iters_per_epoch"):
        load_config("gan", {"min_iters_per_epoch": -1})
    with pytest.raises(ConfigError, match="iterations"):
        load_config("gan", {"epochs": None, "iterations": 2.5})

    # class 3: 40 images, 6 held out, 34 trained on at batch 32: 2 iterations a pass; a
    # budget of 5 iterations is ceil(5 / 2) = 3 epochs
    x, y = digits
    out = tmp_path / "gan"
    over = {**_overrides("gan"), "min_iters_per_epoch": 0, "epochs": None, "iterations": 5}
    sel = train_generator(x, y, method="gan", unit="class3", files=files(out), seed=0,
                          overrides=over, log=_quiet)
    info = sel["models"]["class3"]
    assert info["epoch_unit"]["epochs"] == 3 and info["epoch_unit"]["images"] == 34
    assert info["epoch_unit"]["iterations_per_epoch"] == 2
    assert info["chosen_iterations"] == 2 * info["chosen_epoch"]
    assert info["chosen_passes"] == round(info["chosen_epoch"] * 64 / 34, 4)
    rows = list(csv.DictReader((out / "losses.csv").read_text().splitlines()))
    assert [r["iterations"] for r in rows] == ["2", "4", "6"]
    assert [float(r["passes"]) for r in rows] == [round(e * 64 / 34, 4) for e in (1, 2, 3)]


def test_all_unit_trains_each_needed_class(digits, tmp_path: Path) -> None:
    x, y = digits
    sel = train_generator(x, y, method="gan", unit="all", files=files(tmp_path), seed=0,
                          overrides=_overrides("gan", epochs=1),
                          sampling_strategy={3: 100, 5: 190}, log=_quiet)
    assert sorted(sel["models"]) == ["class3", "class5"]
    assert GeneratorSet({"all": files(tmp_path).generator}).classes == [3, 5]
    with pytest.raises(DataError, match="conditional"):
        train_generator(x, y, method="gan", unit="conditional", files=files(tmp_path), seed=0,
                        overrides=_overrides("gan"), log=_quiet)


# -- pieces ---------------------------------------------------------------------------------
def test_gradient_penalty_closed_form_for_linear_critic() -> None:
    torch.manual_seed(0)
    critic = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(3 * 4 * 4, 1))
    real, fake = torch.randn(8, 3, 4, 4), torch.randn(8, 3, 4, 4)
    w_norm = critic[1].weight.norm().item()
    # a linear critic's input gradient is w everywhere, so the penalty is lam (|w| - 1)^2
    gp = gradient_penalty(critic, real, fake, lam=10.0)
    assert gp.item() == pytest.approx(10.0 * (w_norm - 1.0) ** 2, rel=1e-5)
    gp.backward()  # and it is differentiable with respect to the critic's weights
    assert critic[1].weight.grad is not None and critic[1].weight.grad.abs().sum() > 0


def test_cs_acgan_weight_update(digits) -> None:
    errs = torch.tensor([0.0, 1.0, 0.5])
    e = math.e
    expected = torch.tensor([1.0, e, e**0.5]) / (1 + e + e**0.5)
    assert torch.allclose(cost_sensitive_weights(errs), expected, atol=1e-6)

    x, y = digits
    torch.manual_seed(0)
    cfg = load_config("cs_acgan", _overrides("cs_acgan"))
    m = CsAcgan(cfg, (8, 8, 1), 10, torch.device("cpu"))
    assert torch.allclose(m.class_weights, torch.full((10,), 0.1))  # w_c = 1/K
    xt = torch.from_numpy(x.transpose(0, 3, 1, 2).copy())
    yt = torch.from_numpy(y)
    for _ in range(3):
        m.d_step(to_float(xt[:32]), yt[:32])
    logged = m.end_epoch(xt, yt)
    # independent recomputation: eval-mode auxiliary-classifier error per class, then softmax
    m.D.eval()
    with torch.no_grad():
        pred = m.D(to_float(xt))[:, 1:].argmax(1)
    err = torch.tensor([(pred[yt == c] != c).float().mean().item() for c in range(10)])
    assert torch.allclose(m.class_weights, torch.softmax(err, 0), atol=1e-6)
    assert logged["w_3"] == pytest.approx(m.class_weights[3].item())
    assert m.class_weights.sum().item() == pytest.approx(1.0)

    # normalised: the same weights times K, so the class loss keeps ACGAN's scale
    torch.manual_seed(0)
    norm = CsAcgan(load_config("cs_acgan", _overrides("cs_acgan", cs_weights="normalised")),
                   (8, 8, 1), 10, torch.device("cpu"))
    assert torch.allclose(norm.class_weights, torch.ones(10))
    norm.D.load_state_dict(m.D.state_dict())
    norm.end_epoch(xt, yt)
    assert torch.allclose(norm.class_weights, 10 * m.class_weights, atol=1e-5)
    with pytest.raises(ConfigError, match="cs_weights"):
        load_config("cs_acgan", {"cs_weights": "normalized"})


def test_check_divergence_names_epoch_and_loss() -> None:
    check_divergence({"epoch": 2, "d_loss": 1.0, "seconds": 1e9}, 2, 1e6)
    with pytest.raises(DivergenceError, match=r"epoch 7: g_loss = nan"):
        check_divergence({"epoch": 7, "d_loss": 1.0, "g_loss": float("nan")}, 7, 1e6)
    with pytest.raises(DivergenceError, match=r"epoch 3: d_loss = 1e\+09"):
        check_divergence({"d_loss": 1e9}, 3, 1e6)


def test_divergence_fails_the_job_without_outputs(digits, tmp_path: Path) -> None:
    x, y = digits
    with pytest.raises(DivergenceError, match="class3 diverged at epoch 1"):
        train_generator(x, y, method="wgan_gp", unit="class3", files=files(tmp_path), seed=0,
                        overrides=_overrides("wgan_gp", divergence_threshold=1e-9),
                        log=_quiet)
    assert not (tmp_path / "generator.pt").exists()
    assert not (tmp_path / "selection.json").exists()


@pytest.mark.parametrize(("method", "unit", "epochs"), [
    ("dcgan", "class3", 2), ("ddpm", "conditional", 1)])
def test_same_seed_same_weights_and_images(method, unit, epochs, digits,
                                           tmp_path: Path) -> None:
    """The guarantee is for the CPU (GPU kernels may reduce in any order); a diffusion
    model's DDIM sampling is deterministic given its noise, so it holds for it too."""
    x, y = digits
    runs = {}
    for name, seed in (("a", 5), ("b", 5), ("c", 6)):
        train_generator(x, y, method=method, unit=unit, files=files(tmp_path / name),
                        seed=seed, overrides=_overrides(method, epochs=epochs, device="cpu"),
                        log=_quiet)
        runs[name] = torch.load(tmp_path / name / "generator.pt", weights_only=True)
    ga, gb, gc = (runs[k]["models"][unit]["G"] for k in "abc")
    assert all(torch.equal(ga[k], gb[k]) for k in ga)
    assert not all(torch.equal(ga[k], gc[k]) for k in ga)
    sa = GeneratorSet({unit: files(tmp_path / "a").generator}).sample(3, 20, seed=9)
    sb = GeneratorSet({unit: files(tmp_path / "b").generator}).sample(3, 20, seed=9)
    assert np.array_equal(sa, sb)
    other_seed = GeneratorSet({unit: files(tmp_path / "a").generator}).sample(3, 20, 10)
    assert not np.array_equal(sa, other_seed)


# -- resume after kill ----------------------------------------------------------------------
CHILD = """
import sys, time, numpy as np, torch
torch.set_num_threads(1)
sys.path.insert(0, {tests!r})
from test_generators import _digits, _overrides, files
from imbench.generators.train import train_generator
x, y = _digits()
keep = (y != 3) | (np.cumsum(y == 3) <= 40)
train_generator(x[keep], y[keep], method={method!r}, unit="class3", files=files({out!r}),
                seed=0, overrides=_overrides({method!r}, epochs=6, checkpoint_every=2),
                on_epoch_end=lambda e: time.sleep(0.5), log=lambda s: None)
"""


@pytest.mark.parametrize("method", ["wgan_gp", "cyclegan", "ddpm_per_class"])
def test_resume_after_kill_matches_uninterrupted_run(method, digits, tmp_path: Path) -> None:
    x, y = digits
    ov = _overrides(method, epochs=6, checkpoint_every=2)
    killed = tmp_path / "killed"
    script = tmp_path / "child.py"
    script.write_text(textwrap.dedent(CHILD).format(tests=str(Path(__file__).parent),
                                                    out=str(killed), method=method))
    proc = subprocess.Popen([sys.executable, str(script)], env={**os.environ,
                            "OMP_NUM_THREADS": "1"})
    last = killed / "checkpoints" / "class3" / "last.pt"
    deadline = time.monotonic() + 120
    while not last.exists() and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert last.exists(), "the child never wrote a checkpoint"
    assert not (killed / "generator.pt").exists(), "the child finished before the kill"
    epoch_at_kill = torch.load(last, weights_only=True)["epoch"]
    assert 2 <= epoch_at_kill < 6

    lines: list[str] = []
    train_generator(x, y, method=method, unit="class3", files=files(killed), seed=0,
                    overrides=ov, log=lines.append)
    assert f"class3: resuming from checkpoint at epoch {epoch_at_kill}" in lines
    assert sum("epoch" in ln and "/6:" in ln for ln in lines) == 6 - epoch_at_kill

    straight = tmp_path / "straight"
    train_generator(x, y, method=method, unit="class3", files=files(straight), seed=0,
                    overrides=ov, log=_quiet)
    a = torch.load(killed / "checkpoints/class3/last.pt", weights_only=True)["method"]
    b = torch.load(straight / "checkpoints/class3/last.pt", weights_only=True)["method"]
    for net in ("G", "D"):
        assert all(torch.equal(a[net][k], b[net][k]) for k in a[net]), net
    # the loss history survives the kill: all six epochs, same values as the straight run
    def _losses(path: Path) -> list[tuple[str, str]]:
        rows = [ln.split(",") for ln in (path / "losses.csv").read_text().splitlines()]
        cols = rows[0].index("epoch"), rows[0].index("d_loss")
        return [(r[cols[0]], r[cols[1]]) for r in rows[1:]]

    assert _losses(killed) == _losses(straight)
    assert [e for e, _ in _losses(killed)] == [str(e) for e in range(1, 7)]
    ga = torch.load(killed / "generator.pt", weights_only=True)["models"]["class3"]
    gb = torch.load(straight / "generator.pt", weights_only=True)["models"]["class3"]
    assert ga["epoch"] == gb["epoch"]
    assert all(torch.equal(ga["G"][k], gb["G"][k]) for k in ga["G"])


def test_changed_settings_start_afresh_instead_of_resuming(digits, tmp_path: Path) -> None:
    x, y = digits
    train_generator(x, y, method="gan", unit="class3", files=files(tmp_path), seed=0,
                    overrides=_overrides("gan", epochs=2), log=_quiet)
    lines: list[str] = []
    # more epochs, same settings: continues from epoch 2
    train_generator(x, y, method="gan", unit="class3", files=files(tmp_path), seed=0,
                    overrides=_overrides("gan", epochs=3), log=lines.append)
    assert "class3: resuming from checkpoint at epoch 2" in lines
    lines.clear()
    # another learning rate: the old checkpoint must not be continued
    train_generator(x, y, method="gan", unit="class3", files=files(tmp_path), seed=0,
                    overrides=_overrides("gan", epochs=3, lr_g=1e-3), log=lines.append)
    assert any("starting afresh" in ln for ln in lines)
    assert not any("resuming" in ln for ln in lines)
    assert sum("/3:" in ln for ln in lines) == 3


# -- one training iteration, eager and from a CUDA graph ------------------------------------
def _wgan_iteration_setup(digits, device: str):
    from imbench.generators.methods import WganGp
    from imbench.generators.train import BatchStream

    x, y = digits
    dev = torch.device(device)
    torch.manual_seed(0)
    cfg = load_config("wgan_gp", _overrides("wgan_gp"))
    m = WganGp(cfg, (8, 8, 1), 1, dev)
    xt = torch.from_numpy(x[y == 0].transpose(0, 3, 1, 2).copy()).to(dev)
    stream = BatchStream(xt, torch.zeros(len(xt), dtype=torch.int64, device=dev), 16, 0)
    return m, stream, int(cfg["n_critic"])


def test_eager_iteration_counts_every_step(digits) -> None:
    from imbench.generators.graphs import EagerIteration, make_iteration

    m, stream, n_critic = _wgan_iteration_setup(digits, "cpu")
    it = make_iteration(m, stream, n_critic, use_graph=True, log=_quiet)
    assert type(it) is EagerIteration  # graphs are CUDA-only
    before = [p.detach().clone() for p in m.G.parameters()]
    for _ in range(4):
        it()
    sums, counts = it.take()
    assert counts == {"d_loss": 4 * n_critic, "wasserstein": 4 * n_critic,
                      "gp": 4 * n_critic, "g_loss": 4}
    assert all(torch.isfinite(v) for v in sums.values())
    assert any(not torch.equal(a, b) for a, b in zip(before, m.G.parameters(), strict=True))
    assert it.take() == ({}, {})  # taking resets the epoch's sums


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA (checked on a GPU)")
def test_cuda_graph_iteration_trains_and_counts_like_eager(digits, tmp_path: Path) -> None:
    from imbench.generators.graphs import GraphedIteration, make_iteration

    m, stream, n_critic = _wgan_iteration_setup(digits, "cuda")
    it = make_iteration(m, stream, n_critic, use_graph=True, log=_quiet)
    assert isinstance(it, GraphedIteration)
    for _ in range(it.warmup + 1):  # warm-up, then capture and first replay
        it()
    assert it.graph is not None and it.replays == 1
    before = [p.detach().clone() for p in m.G.parameters()]
    for _ in range(5):
        it()
    after = [p.detach().clone() for p in m.G.parameters()]
    assert any(not torch.equal(a, b) for a, b in zip(before, after, strict=True))
    n = it.warmup + 6
    sums, counts = it.take()
    assert counts == {"d_loss": n * n_critic, "wasserstein": n * n_critic,
                      "gp": n * n_critic, "g_loss": n}
    assert all(torch.isfinite(v) for v in sums.values())
    # replays draw fresh noise: two replays from the same batch give different losses
    it()
    first, _ = it.take()
    it()
    second, _ = it.take()
    assert first["g_loss"].item() != second["g_loss"].item()
    # a whole short training run through train_generator, graphed
    x, y = digits
    sel = train_generator(x, y, method="wgan_gp", unit="class3", files=files(tmp_path), seed=0,
                          overrides=_overrides("wgan_gp", device="cuda"), log=_quiet)
    assert sel["models"]["class3"]["chosen_epoch"] in {1, 2, 3}



def test_cyclegan_translates_from_a_second_folder_domain(digits, tmp_path):
    # seed 004 §IV.E / Zhu et al.: the source domain can be a folder of the user's images
    # (here: digit 0s written as PNGs, nested), translated into the class being filled
    import skimage.io

    from imbench.plan import Grid, prepare_config

    x, y = digits
    folder = tmp_path / "domain_a"
    (folder / "sub").mkdir(parents=True)
    for i, img in enumerate(x[y == 0][:20]):
        skimage.io.imsave(folder / ("sub" if i % 2 else ".") / f"{i:02d}.png", img[..., 0],
                          check_contrast=False)
    (folder / ".hidden.png").write_bytes(b"not an image")  # hidden: skipped
    params = {**TINY, "epochs": 1, "width": 4, "batch_size": 8,
              "source_folder": str(folder), "source_max": 12}
    sel = train_generator(x, y, method="cyclegan", unit="class3",
                          files=UnitFiles(**unit_files_in(tmp_path / "u")), seed=0,
                          overrides=params, sampling_strategy={3: 60}, log=lambda s: None)
    src = sel["models"]["class3"]["source"]
    assert src["folder"] == str(folder) and src["images"] == 12 and "class" not in src
    gen = GeneratorSet({"class3": tmp_path / "u" / "generator.pt"})
    out = gen.sample(3, 5, seed=1)
    assert out.shape == (5, 8, 8, 1) and out.dtype == np.uint8
    # a missing folder is refused before any job; an image of another shape names the file
    with pytest.raises(ConfigError, match="source_folder"):
        load_config("cyclegan", {"source_folder": str(tmp_path / "nowhere")})
    skimage.io.imsave(folder / "big.png", np.zeros((16, 16), np.uint8), check_contrast=False)
    with pytest.raises(DataError, match=r"big\.png has shape \(16, 16, 1\)"):
        train_generator(x, y, method="cyclegan", unit="class3",
                        files=UnitFiles(**unit_files_in(tmp_path / "v")), seed=0,
                        overrides=params, sampling_strategy={3: 60}, log=lambda s: None)
    # the folder's content is part of what trains the generator: an edit retrains
    cfg = {"datasets": {"digits": {}}, "imbalances": {"none": {"protocol": "none"}},
           "augmenters": {"cyc": {"method": "cyclegan", "params": {
               "source_folder": str(folder)}}},
           "classifiers": {"svm": {"method": "svm"}}, "seeds": [0],
           "cache_dir": str(tmp_path / "cache")}
    before = Grid(prepare_config(dict(cfg))).generator_training("digits", "none", "cyc")
    (folder / "big.png").unlink()
    after = Grid(prepare_config(dict(cfg))).generator_training("digits", "none", "cyc")
    assert before["source_folder_sha256"] != after["source_folder_sha256"]


def test_cpu_torch_work_uses_one_thread_whatever_the_job_has():
    # a generator's numbers depend on torch's thread count on the CPU (checked: a WGAN-GP
    # unit resumed with 4 threads after 1 differs from one trained on 1 thread throughout),
    # so a job without a GPU trains on one thread under every profile (the cluster gives 4)
    from imbench.runtime import torch_threads

    before = torch.get_num_threads()
    try:
        expected = 4 if torch.cuda.is_available() else 1
        assert torch_threads(4) == expected == torch.get_num_threads()
    finally:
        torch.set_num_threads(before)
