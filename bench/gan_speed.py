"""Generator training speed: the project's training path vs a textbook loop, same run, for
every generator method.

    python bench/gan_speed.py --method all --iters 60 --repeats 2 --json out.json  # each method
    python bench/gan_speed.py --iters 100 --threads 2            # WGAN-GP: ratio + FLOP/s
    python bench/gan_speed.py --iters 50 --compare-threads       # 2x1-thread jobs vs 1x2-thread
    python bench/gan_speed.py --device cuda --iters 1000 --iters-per-epoch 20 \
        --variant default --variants eager,graph,graph_bf16 --compare-units 4   # on a GPU

For each method both loops train the same networks with the same settings (the package's
defaults for that method, on 28x28 images) for the same generator iterations, epochs and
per-epoch hooks. The textbook loop is the plain recipe: build the method's networks and
optimisers, a shuffling DataLoader, then ``n_critic`` discriminator steps and one generator
step per iteration (the method's own ``d_step`` / ``g_step``: the losses are the method's),
``end_epoch`` at each epoch's end, BAGAN's autoencoder first; nothing else. The project path
is the real ``train_generator`` (registry, hold-out split, device-resident batches,
per-epoch logging, checkpoints, sample grids, scoring of checkpoints for the epoch choice,
final outputs). Loops alternate (ABAB...) so machine noise hits both; medians are reported.
For WGAN-GP the loop written as Gulrajani et al.'s reference code (caogang/wgan-gp) writes it
-- its own penalty and losses -- is timed too (``reference_code``).

Rates: generator iterations/s; FLOP rate = FLOPs of one training iteration (forward and
backward of every step, torch's flop formulas) x iterations / textbook seconds, beside the
machine's measured peak (a float32 matmul on the same threads): a low fraction with a ratio
near 1 means the networks, not the loop, set the pace.

Data: ``--data file.npz`` (x_train/y_train or x/y, 28x28); without it, sklearn's digits
resized to 28x28 (pixel values do not change the speed): one class for a per-class method,
every class for a conditional one.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

BATCH = 64


def load_data(path: str | None) -> tuple[np.ndarray, np.ndarray]:
    """28x28 uint8 NHWC images and int64 labels."""
    if path:
        with np.load(path, allow_pickle=False) as d:
            x, y = (d["x_train"], d["y_train"]) if "x_train" in d.files else (d["x"], d["y"])
        return (x[..., None] if x.ndim == 3 else x), y.astype(np.int64)
    from skimage.transform import resize
    from sklearn.datasets import load_digits

    d = load_digits()
    big = np.stack([resize(im / 16.0, (28, 28), order=1) for im in d.images])
    return np.round(big * 255).astype(np.uint8)[..., None], d.target.astype(np.int64)


def load_class(path: str | None, cls: int) -> np.ndarray:
    x, y = load_data(path)
    return x[y == cls]


def method_data(method: str, path: str | None, cls: int) -> tuple[np.ndarray, np.ndarray, str]:
    """The images a ``method`` model trains on here, their labels, and the unit."""
    from imbench.generators import GENERATORS

    x, y = load_data(path)
    if GENERATORS[method].conditional:
        return x, y, "conditional"
    if getattr(GENERATORS[method].load(), "translates", False):
        return x, y, f"class{cls}"  # it translates from another class: keep them all
    return x[y == cls], np.full(int((y == cls).sum()), cls, dtype=np.int64), f"class{cls}"


def _build(method: str, x: np.ndarray, y: np.ndarray, unit: str, device: torch.device,
           overrides: dict | None = None, seed: int = 0) -> tuple:
    """The method's networks and optimisers as training builds them, and the model's own
    images and labels (a per-class model sees label 0)."""
    from imbench.generators import GENERATORS, load_config
    from imbench.generators.train import source_images

    cfg = load_config(method, {"device": str(device), **(overrides or {})})
    conditional = GENERATORS[method].conditional
    cls = None if conditional else int(unit.removeprefix("class"))
    xs, ys = (x, y) if conditional else (x[y == cls], np.zeros(int((y == cls).sum()), np.int64))
    torch.manual_seed(seed)
    m = GENERATORS[method].load()(cfg, tuple(x.shape[1:]), int(y.max()) + 1 if conditional
                                  else 1, device)
    if getattr(m, "translates", False):
        _, src = source_images(x, y, cls, cfg, seed)
        m.set_source(torch.from_numpy(np.ascontiguousarray(src.transpose(0, 3, 1, 2))))
    return m, cfg, xs, ys


def textbook_method(method: str, x: np.ndarray, y: np.ndarray, unit: str, plan: dict,
                    device: torch.device, seed: int = 0) -> float:
    """Seconds for the plain loop of ``method``: ``plan`` gives the epochs and iterations per
    epoch the project path ran (its selection.json's epoch unit)."""
    t0 = time.perf_counter()
    m, cfg, xs, ys = _build(method, x, y, unit, device, seed=seed)
    n_critic = int(cfg["n_critic"])
    data = torch.from_numpy(xs.transpose(0, 3, 1, 2).astype(np.float32) / 127.5 - 1)
    labels = torch.from_numpy(ys)
    loader = torch.utils.data.DataLoader(
        torch.utils.data.TensorDataset(data, labels), shuffle=True, drop_last=True,
        batch_size=min(int(cfg["batch_size"]), len(data)))

    def batches():
        while True:
            for xb, yb in loader:
                yield xb.to(device), yb.to(device)

    stream = batches()
    ipe = plan["iterations_per_epoch"]
    m.pretrain(lambda: next(stream), ipe * n_critic, data.to(device), labels.to(device),
               lambda s: None)
    xd, yd = torch.from_numpy(xs.transpose(0, 3, 1, 2).copy()).to(device), labels.to(device)
    for _ in range(plan["epochs"]):
        for _ in range(ipe):
            for _ in range(n_critic):
                xb, yb = next(stream)
                m.d_step(xb, yb)
            m.g_step(yb)
        m.end_epoch(xd, yd)
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    return time.perf_counter() - t0


def project_method(method: str, x: np.ndarray, y: np.ndarray, unit: str, iters: int,
                   ipe: int, device: str, seed: int = 0, extra: dict | None = None
                   ) -> tuple[float, dict]:
    """Seconds for about ``iters`` generator iterations through ``train_generator`` (whole
    epochs of at least ``ipe`` iterations), and the epoch unit it ran. ``extra``: more
    overrides (``{"selection": "last"}``: no scoring of checkpoints)."""
    from imbench.generators.train import UnitFiles, train_generator
    from imbench.plan.layout import unit_files_in

    with tempfile.TemporaryDirectory() as tmp:
        files = UnitFiles(**unit_files_in(tmp))
        t0 = time.perf_counter()
        selection = train_generator(
            x, y, method=method, unit=unit, files=files, seed=seed, sampling_strategy="all",
            overrides={"epochs": None, "iterations": iters, "min_iters_per_epoch": ipe,
                       "device": device, **(extra or {})}, log=lambda s: None)
        seconds = time.perf_counter() - t0
    (model,) = selection["models"].values()
    return seconds, model["epoch_unit"]


def iteration_flops(method: str, x: np.ndarray, y: np.ndarray, unit: str,
                    device: torch.device) -> float:
    """FLOPs of one training iteration (n_critic discriminator steps and a generator step,
    forward and backward): every operator torch's flop counter knows, counted as it runs
    (FlopCounterMode's own module tracking breaks WGAN-GP's torch.autograd.grad)."""
    from torch.utils._python_dispatch import TorchDispatchMode
    from torch.utils.flop_counter import flop_registry

    class Count(TorchDispatchMode):
        total = 0

        def __torch_dispatch__(self, func, types, args=(), kwargs=None):  # noqa: ANN001
            kwargs = kwargs or {}
            out = func(*args, **kwargs)
            formula = flop_registry.get(func._overloadpacket)
            if formula is not None:
                self.total += formula(*args, **kwargs, out_val=out)
            return out

    m, cfg, xs, ys = _build(method, x, y, unit, device)
    b = min(int(cfg["batch_size"]), len(xs))
    xb = torch.from_numpy(xs[:b].transpose(0, 3, 1, 2).astype(np.float32) / 127.5 - 1)
    yb = torch.from_numpy(ys[:b])
    m.pretrain(lambda: (xb, yb), 1, xb, yb, lambda s: None)  # BAGAN's sets its latents
    with Count() as count:
        for _ in range(int(cfg["n_critic"])):
            m.d_step(xb.to(device), yb.to(device))
        m.g_step(yb.to(device))
    return float(count.total)


def machine_peak_gflops(device: torch.device, n: int = 1024) -> float:
    """Measured float32 matmul rate (the machine's practical peak on these threads)."""
    a = torch.randn(n, n, device=device)
    b = torch.randn(n, n, device=device)
    for _ in range(2):
        a @ b
    times = []
    for _ in range(5):
        if device.type == "cuda":
            torch.cuda.synchronize()
        t0 = time.perf_counter()
        a @ b
        if device.type == "cuda":
            torch.cuda.synchronize()
        times.append(time.perf_counter() - t0)
    return 2 * n**3 / statistics.median(times) / 1e9


def compare_method(method: str, args: argparse.Namespace, device: torch.device,
                   peak: float) -> dict:
    """One method: project path vs textbook loop, alternating, medians."""
    x, y, unit = method_data(method, args.data, args.cls)
    iters = args.method_iters.get(method, args.iters)
    # warm-up, charged to neither side: first calls initialise kernels, the scoring net,
    # the PNG writer (a process's start-up cost, which a job pays once)
    _, warm = project_method(method, x, y, unit, 1, 1, args.device)
    textbook_method(method, x, y, unit, {**warm, "epochs": 1}, device)
    t_text, t_proj, t_last = [], [], []
    plan: dict = {}
    for _ in range(args.repeats):
        seconds, plan = project_method(method, x, y, unit, iters, args.iters_per_epoch,
                                       args.device)
        t_proj.append(seconds)
        t_text.append(textbook_method(method, x, y, unit, plan, device))
        t_last.append(project_method(method, x, y, unit, iters, args.iters_per_epoch,
                                     args.device, extra={"selection": "last"})[0])
    total = plan["epochs"] * plan["iterations_per_epoch"]
    tt, tp = statistics.median(t_text), statistics.median(t_proj)
    tl = statistics.median(t_last)
    flops = iteration_flops(method, x, y, unit, device)
    res = {"unit": unit, "images": list(x.shape), "epochs": plan["epochs"],
           "iterations": total, "iterations_per_epoch": plan["iterations_per_epoch"],
           "textbook_seconds": t_text, "project_seconds": t_proj,
           "textbook_gen_it_per_s": total / tt, "project_gen_it_per_s": total / tp,
           "ratio_project_over_textbook": tt / tp,
           # the same path without scoring checkpoints for the epoch choice (selection:
           # last): what the loop itself costs beside the textbook's
           "project_selection_last_seconds": t_last,
           "ratio_selection_last_over_textbook": tt / tl,
           "iteration_gflop": flops / 1e9,
           "textbook_gflops_per_s": flops * total / tt / 1e9,
           "fraction_of_machine_peak": flops * total / tt / 1e9 / peak}
    if method == "wgan_gp" and unit.startswith("class"):
        t_ref = [textbook(x, total, device) for _ in range(args.repeats)]
        res["reference_code_gen_it_per_s"] = total / statistics.median(t_ref)
        res["ratio_project_over_reference_code"] = statistics.median(t_ref) / tp
    return res


def textbook(x: np.ndarray, iters: int, device: torch.device, seed: int = 0) -> float:
    """Seconds for ``iters`` generator iterations of the textbook WGAN-GP loop."""
    from imbench.generators import load_config
    from imbench.generators.nets import ConvDiscriminator, ConvGenerator, init_weights

    cfg = load_config("wgan_gp")
    t0 = time.perf_counter()
    torch.manual_seed(seed)
    shape = tuple(x.shape[1:])
    netG = ConvGenerator(cfg["latent_dim"], shape, cfg["width"], act="leaky").to(device)
    netD = ConvDiscriminator(shape, cfg["width"], 1, norm="none").to(device)
    init_weights(netG, "xavier")
    init_weights(netD, "xavier")
    optD = torch.optim.Adam(netD.parameters(), lr=1e-4, betas=(0.5, 0.9))
    optG = torch.optim.Adam(netG.parameters(), lr=1e-4, betas=(0.5, 0.9))
    data = torch.from_numpy(x.transpose(0, 3, 1, 2).astype(np.float32) / 127.5 - 1)
    loader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(data),
                                         batch_size=min(BATCH, len(data)), shuffle=True,
                                         drop_last=True)

    def inf_train_gen():
        while True:
            yield from loader

    gen = inf_train_gen()

    def calc_gradient_penalty(netD, real_data, fake_data):
        alpha = torch.rand(real_data.size(0), 1, 1, 1, device=device)
        interpolates = (alpha * real_data + (1 - alpha) * fake_data).requires_grad_(True)
        disc_interpolates = netD(interpolates)
        gradients = torch.autograd.grad(
            outputs=disc_interpolates, inputs=interpolates,
            grad_outputs=torch.ones_like(disc_interpolates),
            create_graph=True, retain_graph=True, only_inputs=True)[0]
        return ((gradients.view(gradients.size(0), -1).norm(2, dim=1) - 1) ** 2).mean() * 10

    for _ in range(iters):
        for p in netD.parameters():
            p.requires_grad = True
        for _ in range(5):
            (real,) = next(gen)
            real = real.to(device)
            netD.zero_grad()
            d_real = netD(real).mean()
            noise = torch.randn(real.size(0), cfg["latent_dim"], device=device)
            with torch.no_grad():
                fake = netG(noise)
            d_fake = netD(fake).mean()
            gp = calc_gradient_penalty(netD, real, fake)
            d_cost = d_fake - d_real + gp
            d_cost.backward()
            optD.step()
        for p in netD.parameters():
            p.requires_grad = False
        netG.zero_grad()
        noise = torch.randn(BATCH, cfg["latent_dim"], device=device)
        g_cost = -netD(netG(noise)).mean()
        g_cost.backward()
        optG.step()
    g_cost.detach().item()  # wait for the device
    return time.perf_counter() - t0


#: project-path variants: name -> overrides (the default is the package's own settings)
VARIANTS = {
    "default": {},
    "eager": {"cuda_graph": False, "bf16": False},
    "graph": {"cuda_graph": True, "bf16": False},
    "graph_bf16": {"cuda_graph": True, "bf16": True},
    "eager_bf16": {"cuda_graph": False, "bf16": True},
    # float32 eager again with another seed: how much two equivalent runs differ
    "eager_seed1": {"cuda_graph": False, "bf16": False},
}
VARIANT_SEEDS = {"eager_seed1": 1}


def project(x: np.ndarray, iters: int, device: str, ipe: int, variant: str = "default",
            seed: int = 0, losses: dict | None = None) -> float:
    """Seconds for ``iters`` generator iterations through ``train_generator``; with
    ``losses``, also store the per-epoch loss rows under ``losses[variant]``."""
    import csv

    from imbench.generators.train import UnitFiles, train_generator
    from imbench.plan.layout import unit_files_in

    y = np.zeros(len(x), dtype=np.int64)
    # a one-class set: the unit is class0 (the sampling strategy is irrelevant here)
    with tempfile.TemporaryDirectory() as tmp:
        files = UnitFiles(**unit_files_in(tmp))
        t0 = time.perf_counter()
        train_generator(x, y, method="wgan_gp", unit="class0", files=files,
                        seed=VARIANT_SEEDS.get(variant, seed),
                        overrides={"epochs": max(1, iters // ipe), "min_iters_per_epoch": ipe,
                                   "device": device, **VARIANTS[variant]},
                        sampling_strategy="all", log=lambda s: None)
        seconds = time.perf_counter() - t0
        if losses is not None:
            with open(files.losses) as fh:
                losses[variant] = list(csv.DictReader(fh))
        return seconds


def loss_agreement(losses: dict, reference: str = "eager") -> dict[str, dict[str, float]]:
    """Per variant, how its per-epoch losses compare with the float32 eager run's (same
    seed): mean |difference| over the second half of training, against the reference's own
    epoch-to-epoch noise there (mean |x_e - x_{e-1}|). Different kernels and random streams
    make runs differ step by step, so the yardstick is ``eager_seed1`` (the same float32
    eager run with another seed): a variant is within noise when its ratio is no larger."""
    ref = losses.get(reference)
    out = {}
    for name, rows in losses.items():
        if name == reference or ref is None:
            continue
        res = {}
        for key in ("wasserstein", "g_loss", "gp"):
            a = np.array([float(r[key]) for r in ref])
            b = np.array([float(r[key]) for r in rows])
            h = len(a) // 2
            diff = float(np.mean(np.abs(a[h:] - b[h:])))
            noise = float(np.mean(np.abs(np.diff(a[h - 1:])))) or 1e-12
            res[key] = {"mean_abs_diff": diff, "reference_epoch_noise": noise,
                        "ratio": diff / noise,
                        "reference_mean": float(a[h:].mean()), "variant_mean": float(b[h:].mean())}
        out[name] = res
    return out


def critic_flops(shape: tuple[int, int, int], device: torch.device) -> dict[str, float]:
    from torch.utils.flop_counter import FlopCounterMode

    from imbench.generators import load_config
    from imbench.generators.nets import ConvDiscriminator

    cfg = load_config("wgan_gp")
    netD = ConvDiscriminator(shape, cfg["width"], 1, norm="none").to(device)
    xb = torch.randn(BATCH, shape[2], shape[0], shape[1], device=device)
    with torch.no_grad():
        with FlopCounterMode(display=False) as fc:
            netD(xb)
        flops = fc.get_total_flops()
        for _ in range(3):
            netD(xb)
        times = []
        for _ in range(20):
            if device.type == "cuda":
                torch.cuda.synchronize()
            t0 = time.perf_counter()
            netD(xb)
            if device.type == "cuda":
                torch.cuda.synchronize()
            times.append(time.perf_counter() - t0)
    t = statistics.median(times)
    return {"critic_forward_flops": flops, "critic_forward_seconds": t,
            "critic_forward_gflops_per_s": flops / t / 1e9}


def compare_threads(args: argparse.Namespace) -> dict[str, float]:
    """Two single-thread jobs side by side vs one two-thread job, each training one class."""
    base = [sys.executable, __file__, "--worker", "--iters", str(args.iters),
            "--iters-per-epoch", str(args.iters_per_epoch), "--device", "cpu"]
    if args.data:
        base += ["--data", args.data]
    t0 = time.perf_counter()
    procs = [subprocess.Popen([*base, "--threads", "1", "--cls", str(c)], stdout=subprocess.PIPE)
             for c in (args.cls, (args.cls + 1) % 10)]
    for p in procs:
        p.communicate()
    two_jobs = time.perf_counter() - t0
    t0 = time.perf_counter()
    subprocess.run([*base, "--threads", "2", "--cls", str(args.cls)], check=True,
                   stdout=subprocess.PIPE)
    one_job = time.perf_counter() - t0
    return {"two_1thread_jobs_seconds": two_jobs, "one_2thread_job_seconds": one_job,
            "classes_per_hour_two_1thread_jobs": 2 * 3600 / two_jobs,
            "classes_per_hour_one_2thread_job": 3600 / one_job,
            "note": "wall times include process start and imports, as a Snakemake job's do"}


def compare_units(args: argparse.Namespace) -> dict[str, float]:
    """N per-class generators of one dataset: N separate jobs side by side on the device vs
    one job training them one after another (unit "all"). Wall times include process start,
    imports and CUDA initialisation, as separate Snakemake jobs pay them."""
    n = args.compare_units
    base = [sys.executable, __file__, "--worker", "--iters", str(args.iters),
            "--iters-per-epoch", str(args.iters_per_epoch), "--device", args.device,
            "--variant", args.variant]
    if args.data:
        base += ["--data", args.data]
    classes = [(args.cls + i) % 10 for i in range(n)]
    t0 = time.perf_counter()
    procs = [subprocess.Popen([*base, "--cls", str(c)], stdout=subprocess.PIPE)
             for c in classes]
    for p in procs:
        p.communicate()
    separate = time.perf_counter() - t0
    t0 = time.perf_counter()
    subprocess.run([*base, "--worker-all", ",".join(map(str, classes))], check=True,
                   stdout=subprocess.PIPE)
    together = time.perf_counter() - t0
    return {"classes": n, "separate_jobs_side_by_side_seconds": separate,
            "one_job_all_classes_seconds": together,
            "classes_per_hour_separate": n * 3600 / separate,
            "classes_per_hour_one_job": n * 3600 / together}


def worker_all(args: argparse.Namespace) -> None:
    """One process training several classes in turn (the workflow's unit "all")."""
    from imbench.generators.train import UnitFiles, train_generator
    from imbench.plan.layout import unit_files_in

    xs, ys = [], []
    for c in map(int, args.worker_all.split(",")):
        x = load_class(args.data, c)
        xs.append(x)
        ys.append(np.full(len(x), c, dtype=np.int64))
    x, y = np.concatenate(xs), np.concatenate(ys)
    ipe = args.iters_per_epoch
    with tempfile.TemporaryDirectory() as tmp:
        train_generator(x, y, method="wgan_gp", unit="all",
                        files=UnitFiles(**unit_files_in(tmp)), seed=0,
                        overrides={"epochs": max(1, args.iters // ipe),
                                   "min_iters_per_epoch": ipe,
                                   "device": args.device, **VARIANTS[args.variant]},
                        sampling_strategy="all",
                        log=lambda s: None)


def methods_main(args: argparse.Namespace) -> None:
    from imbench.generators import GENERATORS
    from imbench.generators.train import resolve_device

    device = resolve_device(args.device)
    methods = list(GENERATORS) if args.method == "all" else args.method.split(",")
    import matplotlib.image  # noqa: F401  (a start-up cost, charged to neither side)

    peak = machine_peak_gflops(device)
    res: dict = {"device": str(device), "threads": torch.get_num_threads(),
                 "machine_peak_gflops_per_s": peak, "repeats": args.repeats,
                 "min_iters_per_epoch": args.iters_per_epoch, "target_ratio": 0.95,
                 "methods": {}}
    for method in methods:
        res["methods"][method] = compare_method(method, args, device, peak)
        r = res["methods"][method]
        print(f"{method}: {r['iterations']} it, project/textbook "
              f"{r['ratio_project_over_textbook']:.3f} (selection last "
              f"{r['ratio_selection_last_over_textbook']:.3f}), {r['textbook_gflops_per_s']:.2f} "
              f"GFLOP/s ({100 * r['fraction_of_machine_peak']:.1f}% of {peak:.0f})", flush=True)
    text = json.dumps(res, indent=2)
    print(text)
    if args.json:
        Path(args.json).write_text(text + "\n")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--iters", type=int, default=100, help="generator iterations per loop")
    ap.add_argument("--iters-per-epoch", type=int, default=10)
    ap.add_argument("--repeats", type=int, default=1, help="ABAB repetitions (median)")
    ap.add_argument("--data", help=".npz with 28x28 images (x_train/y_train or x/y)")
    ap.add_argument("--cls", type=int, default=4, help="class to train on")
    ap.add_argument("--threads", type=int, default=None,
                    help="torch threads (default: all; a CPU job of the workflow uses 1)")
    ap.add_argument("--device", default="auto")
    ap.add_argument("--variant", default="default", choices=sorted(VARIANTS),
                    help="project-path settings for the main comparison")
    ap.add_argument("--variants", default="",
                    help="comma-separated extra project variants to time in the same run "
                         "(e.g. eager,graph,graph_bf16 on CUDA); their loss curves are "
                         "compared with the float32 eager run's")
    ap.add_argument("--compare-units", type=int, default=0, metavar="N",
                    help="also time N per-class generators as N jobs side by side vs one job")
    ap.add_argument("--worker-all", help=argparse.SUPPRESS)
    ap.add_argument("--compare-threads", action="store_true",
                    help="also measure 2 x 1-thread jobs vs 1 x 2-thread job (classes/hour)")
    ap.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--json", help="also write the results here")
    ap.add_argument("--method", default="",
                    help="compare the project path with the textbook loop for this generator "
                         "method, a comma-separated list, or 'all' (default: the WGAN-GP "
                         "comparison below)")
    ap.add_argument("--method-iters", default="",
                    help="per-method iterations, e.g. deepsmote=20,cyclegan=40")
    args = ap.parse_args()
    args.method_iters = {k: int(v) for k, v in
                         (kv.split("=") for kv in args.method_iters.split(",") if kv)}
    torch.set_num_threads(args.threads or torch.get_num_threads())
    if args.method:
        methods_main(args)
        return
    if args.worker_all:
        worker_all(args)
        return
    x = load_class(args.data, args.cls)
    if args.worker:  # one generator job, for --compare-threads / --compare-units
        project(x, args.iters, args.device, args.iters_per_epoch, args.variant)
        return

    from imbench.generators.train import resolve_device

    device = resolve_device(args.device)
    # warm-up: one-time library initialisation and imports (torch's, matplotlib's for the
    # sample grids) are process start-up costs, charged to neither side
    import matplotlib.image  # noqa: F401

    textbook(x, 2, device)
    extra = [v for v in args.variants.split(",") if v and v != args.variant]
    for v in extra:
        if v not in VARIANTS:
            raise SystemExit(f"--variants: unknown {v!r}; allowed: {sorted(VARIANTS)}")
    t_text, t_proj = [], []
    t_var: dict[str, list[float]] = {v: [] for v in extra}
    losses: dict = {}
    for _ in range(args.repeats):
        t_text.append(textbook(x, args.iters, device))
        t_proj.append(project(x, args.iters, args.device, args.iters_per_epoch, args.variant,
                              losses=losses))
        for v in extra:
            t_var[v].append(project(x, args.iters, args.device, args.iters_per_epoch, v,
                                    losses=losses))
    tt, tp = statistics.median(t_text), statistics.median(t_proj)
    res: dict[str, object] = {
        "device": str(device), "threads": torch.get_num_threads(), "iters": args.iters,
        "images": list(x.shape), "repeats": args.repeats,
        "textbook_gen_it_per_s": args.iters / tt,
        "project_gen_it_per_s": args.iters / tp,
        "textbook_critic_images_per_s": args.iters * 5 * BATCH / tt,
        "project_critic_images_per_s": args.iters * 5 * BATCH / tp,
        "ratio_project_over_textbook": tt / tp,
        "target_ratio": 0.95 if device.type == "cpu" else 3.0,
        "variant": args.variant,
        "variants": {v: {"gen_it_per_s": args.iters / statistics.median(t),
                         "ratio_over_textbook": tt / statistics.median(t)}
                     for v, t in t_var.items()},
        **critic_flops(tuple(x.shape[1:]), device),
    }
    if len(losses) > 1:
        res["loss_agreement_with_float32_eager"] = loss_agreement(losses)
    if args.compare_threads:
        res["threads_comparison"] = compare_threads(args)
    if args.compare_units:
        res["units_comparison"] = compare_units(args)
    text = json.dumps(res, indent=2)
    print(text)
    if args.json:
        Path(args.json).write_text(text + "\n")


if __name__ == "__main__":
    main()
