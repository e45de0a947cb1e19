"""Training a generator "unit": one per-class model, every per-class model ("all"), or one
conditional model — with checkpoints, resume, loss CSV, sample grids, divergence detection and
epoch selection.

A unit's files (:class:`UnitFiles`; the workflow's paths are in ``imbench.plan.layout``)::

    generator         the selected-epoch generator(s)      } declared Snakemake outputs,
    losses            per-epoch mean losses (CSV)          } written only at the end
    selection         chosen epoch per model, scores, why  }
    samples           folder of sample grid PNGs every sample_every epochs
    checkpoints       working folder: never a declared output, so it survives a failed or
                      killed job and the rerun resumes from checkpoints/<model>/last.pt

Resuming restores networks, optimisers, the torch and data-order RNG states and the loss
history, so a killed-and-resumed run ends with the same weights as an uninterrupted one.
"""

from __future__ import annotations

import csv
import io
import math
import os
import shutil
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from ..errors import ConfigError, DataError, ImbenchError
from ..io import array_digest, atomic_path, write_json, write_text
from ..sampling import class_counts, resolve_sampling_strategy
from . import GENERATORS, load_config, parse_unit
from .graphs import make_iteration
from .methods import GanMethod, to_float
from .selection import (
    FEATURE_SPACE,
    CheckpointScorer,
    ReferenceFeatures,
    choose_epoch,
    score_method,
    score_name,
)

FORMAT_VERSION = 1
#: layout of checkpoints/<model>/last.pt (2: scores keep their leave-one-out values;
#: 3: under "score", of any selection measure)
_STATE_VERSION = 3
#: settings that may change between a checkpoint and its resumption
_RESUMABLE_CHANGES = ("epochs", "iterations", "device", "divergence_threshold", "cuda_graph",
                      "selection_tolerance")
Log = Callable[[str], None]


class DivergenceError(ImbenchError):
    """A loss became NaN/inf or exploded; the job fails instead of writing garbage."""


@dataclass(frozen=True)
class UnitFiles:
    """Where a training unit writes (the job's Snakemake outputs, and its working folder)."""

    generator: Path
    losses: Path
    selection: Path
    samples: Path
    checkpoints: Path

    def __post_init__(self) -> None:
        for name in ("generator", "losses", "selection", "samples", "checkpoints"):
            object.__setattr__(self, name, Path(getattr(self, name)))


def resolve_device(name: str = "auto") -> torch.device:
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(name)


def check_divergence(row: Mapping[str, float], epoch: int, threshold: float,
                     model: str = "") -> None:
    """Raise DivergenceError naming the epoch and loss when any loss is non-finite or
    larger in magnitude than ``threshold``."""
    for key, value in row.items():
        if key in ("epoch", "seconds"):
            continue
        if not math.isfinite(value) or abs(value) > threshold:
            where = f"{model} " if model else ""
            raise DivergenceError(
                f"{where}diverged at epoch {epoch}: {key} = {value:.6g} "
                f"(non-finite or |loss| > divergence_threshold = {threshold:g})"
            )


class BatchStream:
    """Endless shuffled minibatches of a uint8 NCHW tensor kept on the device; the order is a
    seeded numpy permutation whose state is checkpointed, so a resumed run sees the same
    batches. A class smaller than the batch gives the whole (shuffled) class each time."""

    def __init__(self, x: torch.Tensor, y: torch.Tensor, batch_size: int, seed: int) -> None:
        self.x, self.y = x, y
        self.batch = min(batch_size, len(x))
        self.rng = np.random.default_rng(seed)
        self.perm = torch.from_numpy(self.rng.permutation(len(x))).to(x.device)
        self.pos = 0

    def _next_indices(self) -> torch.Tensor:
        if self.pos + self.batch > len(self.perm):  # drop the remainder, reshuffle
            self.perm = torch.from_numpy(self.rng.permutation(len(self.x))).to(self.x.device)
            self.pos = 0
        idx = self.perm[self.pos:self.pos + self.batch]
        self.pos += self.batch
        return idx

    def __call__(self) -> tuple[torch.Tensor, torch.Tensor]:
        idx = self._next_indices()
        return to_float(self.x[idx]), self.y[idx]

    def fill(self, x_out: torch.Tensor, y_out: torch.Tensor) -> None:
        """The next batch, as uint8, copied into fixed buffers (CUDA graph inputs)."""
        idx = self._next_indices()
        torch.index_select(self.x, 0, idx, out=x_out)
        torch.index_select(self.y, 0, idx, out=y_out)

    def state_dict(self) -> dict[str, Any]:
        return {"rng": self.rng.bit_generator.state, "perm": self.perm.cpu(), "pos": self.pos}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.rng.bit_generator.state = state["rng"]
        self.perm = state["perm"].to(self.x.device)
        self.pos = int(state["pos"])


@dataclass
class ModelResult:
    """What one trained model contributes to the unit's outputs."""

    key: str                       # "class3" or "conditional"
    payload: dict[str, Any]        # generator weights + what sampling needs
    selection: dict[str, Any]
    history: list[dict[str, float]] = field(default_factory=list)


def split_holdout(y: np.ndarray, fraction: float, minimum: int, seed: int
                  ) -> tuple[np.ndarray, np.ndarray]:
    """Seeded per-class split of indices into (train, holdout) for epoch selection. A class
    too small to give ``minimum`` held-out images and keep as many for training gives none."""
    rng = np.random.default_rng(seed)
    train, hold = [], []
    for c in np.unique(y):
        idx = rng.permutation(np.flatnonzero(y == c))
        k = max(minimum, int(round(fraction * len(idx)))) if fraction > 0 else 0
        if k > 0 and len(idx) - k >= minimum:
            hold.append(idx[:k])
            train.append(idx[k:])
        else:
            train.append(idx)
    empty = np.zeros(0, dtype=np.int64)
    return (np.sort(np.concatenate(train)) if train else empty,
            np.sort(np.concatenate(hold)) if hold else empty)


def _seed_for(seed: int, key: str) -> int:
    # every model of a unit gets its own stream, stable whichever job trains it
    return int(np.random.SeedSequence([seed, *key.encode()]).generate_state(1)[0] % 2**31)


def _save(obj: Any, path: Path) -> None:
    with atomic_path(path) as tmp:
        torch.save(obj, tmp)


def _load(path: Path) -> Any:
    return torch.load(path, map_location="cpu", weights_only=True)


def _grid_png(images: np.ndarray, rows: int, path: Path) -> None:
    """Tile uint8 NHWC images into one PNG (1-pixel gaps) without a pyplot figure."""
    import matplotlib.image as mpimg

    n, h, w, c = images.shape
    cols = math.ceil(n / rows)
    canvas = np.full((rows * (h + 1) + 1, cols * (w + 1) + 1, c), 255, dtype=np.uint8)
    for i, img in enumerate(images):
        r, q = divmod(i, cols)
        canvas[1 + r * (h + 1):1 + r * (h + 1) + h, 1 + q * (w + 1):1 + q * (w + 1) + w] = img
    with atomic_path(path) as tmp, open(tmp, "wb") as fh:
        if c == 1:
            mpimg.imsave(fh, canvas[..., 0], cmap="gray", vmin=0, vmax=255, format="png")
        else:
            mpimg.imsave(fh, canvas, format="png")


def to_uint8(x: torch.Tensor) -> np.ndarray:
    """float NCHW in [-1, 1] -> uint8 NHWC."""
    x = ((x.float().clamp(-1, 1) + 1) * 127.5).round().to(torch.uint8)
    return x.permute(0, 2, 3, 1).cpu().numpy()


@torch.no_grad()
def generate_images(method: GanMethod, labels: torch.Tensor, generator: torch.Generator
                    ) -> torch.Tensor:
    """Eval-mode samples (batch-norm running statistics), drawn from ``generator`` so that
    grids and scores never consume the training RNG stream."""
    was = method.G.training
    method.G.eval()
    try:
        out = []
        for i in range(0, len(labels), 256):
            yb = labels[i:i + 256].to(method.device)
            out.append(method.generate(method.sample_latent(len(yb), yb, generator), yb).float())
        return torch.cat(out)
    finally:
        method.G.train(was)


@torch.no_grad()
def generate_pairs(method: GanMethod, n: int, generator: torch.Generator) -> torch.Tensor:
    """``n`` source images of a translating method, each followed by its translation."""
    was = method.G.training
    method.G.eval()
    try:
        return method.pairs(method.sample_latent(n, None, generator)).float()  # type: ignore[attr-defined]
    finally:
        method.G.train(was)


def source_images(x: np.ndarray, y: np.ndarray, target: int, cfg: Mapping[str, Any],
                  seed: int) -> tuple[int | str, np.ndarray]:
    """The class a translating method maps from (``source_class``, default the largest other
    class, the lowest index on a tie), or the folder (``source_folder``, a second domain),
    and a seeded draw of at most ``source_max`` of its images."""
    if cfg.get("source_folder") is not None:
        from ..datasets.folder import folder_images

        images = folder_images(cfg["source_folder"], tuple(int(s) for s in x.shape[1:]))
        keep = np.sort(np.random.default_rng(seed).permutation(len(images))[
            :int(cfg["source_max"])])
        return str(cfg["source_folder"]), images[keep]
    counts = np.bincount(y, minlength=target + 1)
    src = cfg.get("source_class")
    if src is None:
        others = [(int(n), -c) for c, n in enumerate(counts) if c != target and n > 0]
        if not others:
            raise DataError(f"class {target}: no other class to translate from")
        src = -max(others)[1]
    if src == target or src >= len(counts) or counts[src] == 0:
        raise ConfigError("source_class", src, f"a class with training images other than "
                          f"{target}")
    idx = np.flatnonzero(y == src)
    keep = np.sort(np.random.default_rng(seed).permutation(idx)[:int(cfg["source_max"])])
    return int(src), x[keep]


def epoch_unit(n_images: int, batch_size: int, n_critic: int,
               cfg: Mapping[str, Any]) -> dict[str, Any]:
    """What one epoch is for a model trained on ``n_images``: generator iterations, real
    images drawn by the discriminator, passes over the images, and how many epochs run.

    One pass is ceil(n / (batch x n_critic)) generator iterations (full batches, so a pass
    draws slightly more than n images); ``min_iters_per_epoch`` can lengthen an epoch and a
    budget in ``iterations`` sets the number of epochs.
    """
    one_pass = math.ceil(n_images / (batch_size * n_critic))
    iters = max(one_pass, int(cfg["min_iters_per_epoch"]))
    epochs = (int(cfg["epochs"]) if cfg["epochs"] is not None
              else math.ceil(int(cfg["iterations"]) / iters))
    drawn = iters * batch_size * n_critic
    return {"epochs": epochs, "images": n_images, "iterations_per_epoch": iters,
            "iterations_per_pass": one_pass, "images_per_epoch": drawn,
            "passes_per_epoch": round(drawn / n_images, 4),
            "total_iterations": epochs * iters,
            "definition": "an epoch is iterations_per_epoch generator iterations, each with "
                          "n_critic discriminator steps on batch_size real images; passes = "
                          "real images drawn / images"}


def _passes(epochs: int, unit: Mapping[str, Any]) -> float:
    return round(epochs * unit["images_per_epoch"] / unit["images"], 4)


def train_model(
    x: np.ndarray, y: np.ndarray, *, method: str, cfg: dict[str, Any], key: str,
    classes: list[int], n_classes: int, work_dir: Path, seed: int, log: Log,
    device: torch.device, on_epoch_end: Callable[[int], None] | None = None,
    selection_space: tuple[nn.Module, str] | None = None,
    source: tuple[int | str, np.ndarray] | None = None,
) -> ModelResult:
    """Train one model on ``x, y`` (per-class: labels all equal; conditional: every class).

    ``classes``: the classes whose images matter for epoch selection (per-class: the one
    class; conditional: the classes that will receive images). ``selection_space``: the
    epoch choice's feature extractor and its description (default: the random conv net).
    ``source``: (class, uint8 NHWC images) a translating method (CycleGAN) maps from.
    """
    work_dir.mkdir(parents=True, exist_ok=True)
    shape = tuple(int(s) for s in x.shape[1:])
    conditional = GENERATORS[method].conditional
    model_classes = n_classes if conditional else 1
    # per-class models see label 0 for every image; their "class" is the job's class
    y_model = y if conditional else np.zeros(len(y), dtype=np.int64)

    train_idx, hold_idx = split_holdout(
        y_model, float(cfg["holdout_fraction"]), int(cfg["holdout_min"]), seed)
    xt = torch.from_numpy(np.ascontiguousarray(x[train_idx].transpose(0, 3, 1, 2))).to(device)
    yt = torch.from_numpy(y_model[train_idx].astype(np.int64)).to(device)

    torch.manual_seed(seed)
    m: GanMethod = GENERATORS[method].load()(cfg, shape, model_classes, device)
    if source is not None:
        m.set_source(torch.from_numpy(np.ascontiguousarray(source[1].transpose(0, 3, 1, 2))))
    stream = BatchStream(xt, yt, int(cfg["batch_size"]), seed)
    n_critic = int(cfg["n_critic"])
    unit = epoch_unit(len(xt), stream.batch, n_critic, cfg)
    iters, epochs = unit["iterations_per_epoch"], unit["epochs"]

    # held-out real images grouped by the model's label (per-class: label 0)
    sel_labels = classes if conditional else [0]
    holdout = {c: to_float(torch.from_numpy(np.ascontiguousarray(
        x[hold_idx][y_model[hold_idx] == c].transpose(0, 3, 1, 2))))
        for c in sel_labels}
    features, space = selection_space or (None, FEATURE_SPACE)
    scorer = (CheckpointScorer(holdout, shape[2], device, features, cfg["selection"])
              if cfg["selection"] != "last" else None)
    if scorer is not None and not scorer.usable:
        log(f"{key}: too few images to hold any out; choosing the last epoch")
        scorer = None

    # fixed noise for grids: one row per class for conditional models
    g = int(cfg["grid_size"])
    grid_labels = (torch.arange(model_classes).repeat_interleave(g) if conditional
                   else torch.zeros(g * g, dtype=torch.int64))
    grid_rows = model_classes if conditional else g

    last = work_dir / "last.pt"
    history: list[dict[str, float]] = []
    # epoch -> class -> {"score", "loo_real", "loo_fake"} (see selection.choose_epoch)
    scores: dict[int, dict[str, dict[str, Any]]] = {}
    start = 0
    # a checkpoint is only resumed by the run that made it: same data, seed and settings
    # (more epochs is fine: training simply goes on). Snakemake reruns a job when its params
    # change, and that run must not continue a model trained with the old ones.
    fingerprint = {"data": array_digest(x, y_model), "seed": seed, "format": FORMAT_VERSION,
                   "source": None if source is None else array_digest(source[1]),
                   "state": _STATE_VERSION,
                   "cfg": repr(sorted((k, v) for k, v in cfg.items()
                                      if k not in _RESUMABLE_CHANGES))}
    if last.exists():
        state = _load(last)
        if state.get("fingerprint") != fingerprint or int(state["epoch"]) > epochs:
            log(f"{key}: checkpoint in {work_dir} is from other data or settings; "
                "starting afresh")
            shutil.rmtree(work_dir)
            work_dir.mkdir(parents=True)
            state = None
    else:
        state = None
    if state is not None:
        m.load_state_dict(state["method"])
        stream.load_state_dict(state["stream"])
        torch.set_rng_state(state["torch_rng"])
        if device.type == "cuda" and state.get("cuda_rng") is not None:
            torch.cuda.set_rng_state(state["cuda_rng"], device)
        history, scores, start = state["history"], state["scores"], int(state["epoch"])
        log(f"{key}: resuming from checkpoint at epoch {start}")
    else:
        m.pretrain(stream, iters * n_critic, xt, yt, log)

    iteration = make_iteration(m, stream, n_critic, bool(cfg["cuda_graph"]), log)
    threshold = float(cfg["divergence_threshold"])
    for epoch in range(start + 1, epochs + 1):
        t0 = time.perf_counter()
        for _ in range(iters):
            iteration()
        sums, counts = iteration.take()
        # one host sync per epoch, not per step
        row: dict[str, float] = {"epoch": epoch, "iterations": epoch * iters,
                                 "passes": _passes(epoch, unit)}
        row.update({k: float(v) / counts[k] for k, v in sums.items()})
        row.update(m.end_epoch(xt, yt))
        row["seconds"] = time.perf_counter() - t0
        check_divergence(row, epoch, threshold, key)
        history.append(row)
        log(f"{key} epoch {epoch}/{epochs}: "
            + " ".join(f"{k}={v:.4g}" for k, v in row.items() if k not in ("epoch",)))

        if epoch % int(cfg["sample_every"]) == 0 or epoch == epochs:
            gen = torch.Generator().manual_seed(seed + 1)
            imgs = (generate_pairs(m, len(grid_labels) // 2, gen) if source is not None
                    else generate_images(m, grid_labels, gen))
            _grid_png(to_uint8(imgs), grid_rows, work_dir / "samples" / f"epoch{epoch:04d}.png")
        if epoch % int(cfg["checkpoint_every"]) == 0 or epoch == epochs:
            if scorer is not None:
                n_s = int(cfg["selection_samples"])
                gen = torch.Generator().manual_seed(seed + 2)  # same noise at every epoch
                fake = {c: generate_images(m, torch.full((n_s,), c), gen) for c in scorer.real}
                # keyed by the real class (a per-class model's own label is always 0)
                scores[epoch] = {
                    str(c if conditional else classes[0]):
                        {"score": s.value, "loo_real": s.loo_real, "loo_fake": s.loo_fake}
                    for c, s in scorer.score(fake).items()}
                if scores[epoch]:
                    log(f"{key} epoch {epoch}: {score_name(cfg['selection'])} to held-out "
                        f"real {np.mean([s['score'] for s in scores[epoch].values()]):.5g}")
                else:
                    del scores[epoch]
            _save({"format": FORMAT_VERSION, **_payload(m, method, cfg, epoch)},
                  work_dir / f"generator_epoch{epoch:04d}.pt")
            _save({"method": m.state_dict(), "stream": stream.state_dict(),
                   "torch_rng": torch.get_rng_state(),
                   "cuda_rng": torch.cuda.get_rng_state(device) if device.type == "cuda"
                   else None,
                   "history": history, "scores": scores, "epoch": epoch,
                   "fingerprint": fingerprint}, last)
            write_text(work_dir / "losses.csv",
                       _losses_csv([{"model": key, **r} for r in history]))
        if on_epoch_end is not None:
            on_epoch_end(epoch)

    selection = _select(scores, epochs, key, len(train_idx), len(hold_idx), classes,
                        conditional, float(cfg["selection_tolerance"]), space,
                        cfg["selection"])
    chosen = selection["chosen_epoch"]
    selection["epoch_unit"] = unit
    if source is not None:
        where = ({"folder": source[0]} if isinstance(source[0], str)
                 else {"class": source[0]})
        selection["source"] = {**where, "images": len(source[1]),
                               "grids": "source image, its translation, ... in each row"}
    selection["chosen_iterations"] = chosen * iters
    selection["chosen_passes"] = _passes(chosen, unit)
    payload = _load(work_dir / f"generator_epoch{selection['chosen_epoch']:04d}.pt")
    return ModelResult(key, payload, selection, history)


def _payload(m: GanMethod, method: str, cfg: dict[str, Any], epoch: int) -> dict[str, Any]:
    return {"method": method, "cfg": dict(cfg), "shape": list(m.shape),
            "n_classes": m.n_classes, "epoch": epoch,
            "G": {k: v.detach().cpu().clone() for k, v in m.G.state_dict().items()},
            "extra": m.extra_state()}


def _select(scores: dict[int, dict[str, dict[str, Any]]], epochs: int, key: str,
            n_train: int, n_hold: int, classes: list[int], conditional: bool,
            tolerance: float, space: str = FEATURE_SPACE, metric: str = "kid"
            ) -> dict[str, Any]:
    base = {"n_train": n_train, "n_holdout": n_hold}
    if not scores:
        return {**base, "chosen_epoch": epochs, "metric": None,
                "reason": f"selection 'last', or too few held-out images for {metric}: the "
                          "final epoch"}
    pick = choose_epoch(scores, tolerance)
    best, lowest, mean = pick["chosen_epoch"], pick["lowest_epoch"], pick["mean"]
    name = score_name(metric)
    what = (f"mean {name} over classes {classes}" if conditional
            else f"{name} of class {classes[0]}")
    reason = (f"{what} ({score_method(metric)}) between generated images and {n_hold} "
              f"held-out real training images, at checkpoint epochs {sorted(scores)}: lowest "
              f"{mean[lowest]:.5g} at epoch {lowest}")
    if best != lowest:
        gap = pick["gaps"][best]
        reason += (f"; epoch {best}, the latest within {tolerance:g} jackknife SE of it "
                   f"({gap['difference']:.3g} <= {tolerance:g} x {gap['se']:.3g}), is used")
    else:
        reason += f"; no later epoch within {tolerance:g} jackknife SE of it"
    return {
        **base, "chosen_epoch": best, "lowest_epoch": lowest, "metric": metric,
        "score": name,
        "tolerance_se": tolerance, "feature_space": space,
        "scores": {str(e): v for e, v in sorted(mean.items())},
        "per_class_scores": {str(e): {c: s["score"] for c, s in by_class.items()}
                             for e, by_class in sorted(scores.items())},
        "later_epochs": {str(e): g for e, g in sorted(pick["gaps"].items())},
        "reason": reason,
    }


def _losses_csv(rows: list[dict[str, Any]]) -> str:
    """CSV with the union of the rows' keys, in order of first appearance."""
    cols: list[str] = []
    for row in rows:
        cols += [k for k in row if k not in cols]
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=cols, lineterminator="\n")
    w.writeheader()
    w.writerows(rows)
    return buf.getvalue()


def train_generator(
    x: np.ndarray, y: np.ndarray, *, method: str, unit: str, files: UnitFiles, seed: int,
    overrides: Mapping[str, Any] | None = None, sampling_strategy: Any = "auto",
    log: Log = print, on_epoch_end: Callable[[int], None] | None = None,
    provenance_config: dict[str, Any] | None = None,
    record: Mapping[str, Any] | None = None,
    reference: str | os.PathLike[str] | None = None,
) -> dict[str, Any]:
    """Train a unit and write its outputs to ``files``; returns the selection record.

    ``reference``: the dataset's reference classifier, needed (only) when the epoch choice
    scores in its feature space (``selection_features: reference``).

    ``record``: what made the unit (:func:`imbench.records.file_record`), stored in
    ``generator.pt`` for the augment job to check.

    ``unit``: ``class{c}`` (one per-class model), ``all`` (every class the sampling strategy
    gives images, one after another) or ``conditional``.
    """
    from ..provenance import provenance

    cfg = load_config(method, overrides)
    if x.ndim != 4 or x.dtype != np.uint8 or y.shape != (len(x),):
        raise DataError(f"expected uint8 NHWC images and matching labels; got {x.dtype} "
                        f"{x.shape}, labels {y.shape}")
    y = y.astype(np.int64)
    work = files.checkpoints
    device = resolve_device(cfg["device"])
    counts = class_counts(y)
    n_classes = len(counts)
    todo = [c for c, n in resolve_sampling_strategy(sampling_strategy, counts, "over").items()
            if n > 0]
    target = parse_unit(unit)
    kind = GENERATORS[method].kind
    if (kind == "conditional") != (target == "conditional"):
        raise DataError(f"unit {unit!r} does not fit a {kind} method ({method})")
    if isinstance(target, int):
        if counts.get(target, 0) == 0:
            raise DataError(f"unit {unit}: class {target} has no training images")
        jobs = [(f"class{target}", [target])]
    elif target == "all":
        jobs = [(f"class{c}", [c]) for c in todo]
    else:
        jobs = [("conditional", todo or list(range(n_classes)))]
    log(f"training {method} unit {unit} on {device}: models {[k for k, _ in jobs]}")
    selection_space = None
    if cfg["selection"] != "last" and cfg["selection_features"] == "reference":
        if reference is None:
            raise ConfigError(f"{method}.params.selection_features", "reference",
                              "random, or pass the reference classifier (the workflow does)")
        from ..weights import sha256_of
        from .reference import load_reference

        ref_model, ref = load_reference(reference)
        selection_space = (ReferenceFeatures(ref_model),
                           f"reference-{ref.get('arch', 'cnn')}: penultimate layer "
                           f"({ref['feature_dim']}-d) of {Path(reference).as_posix()} "
                           f"(sha256 {sha256_of(reference)[:16]})")

    results = []
    for key, classes in jobs:
        if key == "conditional":
            xs, ys = x, y
        else:
            mask = y == classes[0]
            xs, ys = x[mask], y[mask]
        source = (source_images(x, y, classes[0], cfg, _seed_for(seed, key))
                  if getattr(GENERATORS[method].load(), "translates", False) else None)
        results.append(train_model(
            xs, ys, method=method, cfg=cfg, key=key, classes=classes, n_classes=n_classes,
            work_dir=work / key, seed=_seed_for(seed, key), log=log, device=device,
            on_epoch_end=on_epoch_end, selection_space=selection_space, source=source))

    # outputs only now: a job that fails above leaves no generator behind
    samples = files.samples
    samples.mkdir(parents=True, exist_ok=True)
    for r in results:
        for png in sorted((work / r.key / "samples").glob("*.png")):
            shutil.copyfile(png, samples / f"{r.key}_{png.name}")
    write_text(files.losses, _losses_csv(
        [{"model": r.key, **row} for r in results for row in r.history]))
    selection = {
        "method": method, "unit": unit, "config": cfg,
        "models": {r.key: r.selection for r in results},
        "provenance": provenance(provenance_config or {"method": method, "params": cfg}, seed),
    }
    write_json(files.selection, selection)
    _save({"format": FORMAT_VERSION, "method": method, "kind": kind,
           "models": {r.key: r.payload for r in results},
           **({"record": dict(record)} if record is not None else {})}, files.generator)
    return selection
