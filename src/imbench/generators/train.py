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
import functools
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
from ..io import array_digest, atomic_path, write_text
from ..records import write_json_result
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
from .spaces import PerClass, generate_images, label_space

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
    # through a file object: torch names the archive inside after a path's file name (here
    # a random temporary one), which made identical models differ by their bytes
    with atomic_path(path) as tmp, open(tmp, "wb") as fh:
        torch.save(obj, fh)


def _load(path: Path) -> Any:
    return torch.load(path, map_location="cpu", weights_only=True)


def _grid_png(images: np.ndarray, rows: int, path: Path) -> None:
    """Tile uint8 NHWC images into ``rows`` rows (1-pixel gaps), one PNG, no pyplot figure."""
    import matplotlib.image as mpimg

    from ..reports.plots import montage

    canvas = montage(images, math.ceil(len(images) / rows))
    with atomic_path(path) as tmp, open(tmp, "wb") as fh:
        if canvas.shape[-1] == 1:
            mpimg.imsave(fh, canvas[..., 0], cmap="gray", vmin=0, vmax=255, format="png")
        else:
            mpimg.imsave(fh, canvas, format="png")


def to_uint8(x: torch.Tensor) -> np.ndarray:
    """float NCHW in [-1, 1] -> uint8 NHWC."""
    x = ((x.float().clamp(-1, 1) + 1) * 127.5).round().to(torch.uint8)
    return x.permute(0, 2, 3, 1).cpu().numpy()


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


class Trainer:
    """Trains one model of a unit: the recipe is :meth:`run`, each step a short method.

    ``space`` (:mod:`.spaces`) says what the model's labels are: one class, every class, or a
    translation into one class. ``selection_space``: the epoch choice's feature extractor and
    its description (default: the random conv net).
    """

    def __init__(self, x: np.ndarray, y: np.ndarray, *, method: str, cfg: dict[str, Any],
                 key: str, space: PerClass, work_dir: Path, seed: int, log: Log,
                 device: torch.device, on_epoch_end: Callable[[int], None] | None = None,
                 selection_space: tuple[nn.Module, str] | None = None) -> None:
        self.x, self.y_model, self.space = x, space.labels(y), space
        self.method, self.cfg, self.key, self.seed = method, cfg, key, seed
        self.work_dir, self.log, self.device = work_dir, log, device
        self.on_epoch_end = on_epoch_end
        self.features, self.feature_space = selection_space or (None, FEATURE_SPACE)
        self.history: list[dict[str, float]] = []
        # epoch -> class -> {"score", "loo_real", "loo_fake"} (see selection.choose_epoch)
        self.scores: dict[int, dict[str, dict[str, Any]]] = {}

    # -- the recipe -------------------------------------------------------------------------
    def run(self) -> ModelResult:
        self.work_dir.mkdir(parents=True, exist_ok=True)
        self.split()
        self.build()
        start = self.resume()
        self.iteration = make_iteration(self.m, self.stream, self.n_critic,
                                        bool(self.cfg["cuda_graph"]), self.log)
        for epoch in range(start + 1, self.epochs + 1):
            self.train_epoch(epoch)
            if self.due(epoch, "sample_every"):
                self.sample_grid(epoch)
            if self.due(epoch, "checkpoint_every"):
                self.score(epoch)
                self.checkpoint(epoch)
            if self.on_epoch_end is not None:
                self.on_epoch_end(epoch)
        return self.choose()

    # -- the steps --------------------------------------------------------------------------
    def split(self) -> None:
        """Hold out real images for the epoch choice; the rest goes to the device."""
        self.train_idx, self.hold_idx = split_holdout(
            self.y_model, float(self.cfg["holdout_fraction"]), int(self.cfg["holdout_min"]),
            self.seed)
        x = np.ascontiguousarray(self.x[self.train_idx].transpose(0, 3, 1, 2))
        self.xt = torch.from_numpy(x).to(self.device)
        self.yt = torch.from_numpy(self.y_model[self.train_idx].astype(np.int64)).to(self.device)

    def build(self) -> None:
        """The method's networks, the batch stream, the epoch unit and the scorer."""
        cfg, shape = self.cfg, tuple(int(s) for s in self.x.shape[1:])
        torch.manual_seed(self.seed)
        self.m: GanMethod = GENERATORS[self.method].load()(cfg, shape, self.space.n_labels,
                                                           self.device)
        self.space.attach(self.m)
        self.stream = BatchStream(self.xt, self.yt, int(cfg["batch_size"]), self.seed)
        self.n_critic = int(cfg["n_critic"])
        self.unit = epoch_unit(len(self.xt), self.stream.batch, self.n_critic, cfg)
        self.iters, self.epochs = self.unit["iterations_per_epoch"], self.unit["epochs"]
        self.scorer = self._scorer(shape[2])
        self.grid_labels, self.grid_rows = self.space.grid(int(cfg["grid_size"]))

    def _scorer(self, channels: int) -> CheckpointScorer | None:
        """Scores checkpoints against the held-out real images of each scored label."""
        if self.cfg["selection"] == "last":
            return None
        held_x, held_y = self.x[self.hold_idx], self.y_model[self.hold_idx]
        holdout = {c: to_float(torch.from_numpy(np.ascontiguousarray(
            held_x[held_y == c].transpose(0, 3, 1, 2)))) for c in self.space.scored}
        scorer = CheckpointScorer(holdout, channels, self.device, self.features,
                                  self.cfg["selection"])
        if not scorer.usable:
            self.log(f"{self.key}: too few images to hold any out; choosing the last epoch")
            return None
        return scorer

    @functools.cached_property
    def fingerprint(self) -> dict[str, Any]:
        """What a checkpoint must share with this run to be resumed: the same data, seed and
        settings (more epochs is fine: training goes on). Snakemake reruns a job when its
        params change, and that run must not continue a model trained with the old ones."""
        return {"data": array_digest(self.x, self.y_model), "seed": self.seed,
                "format": FORMAT_VERSION, "source": self.space.fingerprint(),
                "state": _STATE_VERSION,
                "cfg": repr(sorted((k, v) for k, v in self.cfg.items()
                                   if k not in _RESUMABLE_CHANGES))}

    def resume(self) -> int:
        """The last finished epoch of a matching checkpoint (restored), else 0 after the
        method's pre-training."""
        state = self._matching_checkpoint()
        if state is None:
            self.m.pretrain(self.stream, self.iters * self.n_critic, self.xt, self.yt, self.log)
            return 0
        self.m.load_state_dict(state["method"])
        self.stream.load_state_dict(state["stream"])
        torch.set_rng_state(state["torch_rng"])
        if self.device.type == "cuda" and state.get("cuda_rng") is not None:
            torch.cuda.set_rng_state(state["cuda_rng"], self.device)
        self.history, self.scores = state["history"], state["scores"]
        self.log(f"{self.key}: resuming from checkpoint at epoch {int(state['epoch'])}")
        return int(state["epoch"])

    def _matching_checkpoint(self) -> dict[str, Any] | None:
        last = self.work_dir / "last.pt"
        if not last.exists():
            return None
        state = _load(last)
        if state.get("fingerprint") == self.fingerprint and int(state["epoch"]) <= self.epochs:
            return state
        self.log(f"{self.key}: checkpoint in {self.work_dir} is from other data or settings; "
                 "starting afresh")
        shutil.rmtree(self.work_dir)
        self.work_dir.mkdir(parents=True)
        return None

    def train_epoch(self, epoch: int) -> None:
        """One epoch of generator iterations; its mean losses join the history."""
        t0 = time.perf_counter()
        for _ in range(self.iters):
            self.iteration()
        sums, counts = self.iteration.take()
        # one host sync per epoch, not per step
        row: dict[str, float] = {"epoch": epoch, "iterations": epoch * self.iters,
                                 "passes": _passes(epoch, self.unit)}
        row.update({k: float(v) / counts[k] for k, v in sums.items()})
        row.update(self.m.end_epoch(self.xt, self.yt))
        row["seconds"] = time.perf_counter() - t0
        check_divergence(row, epoch, float(self.cfg["divergence_threshold"]), self.key)
        self.history.append(row)
        self.log(f"{self.key} epoch {epoch}/{self.epochs}: "
                 + " ".join(f"{k}={v:.4g}" for k, v in row.items() if k not in ("epoch",)))

    def due(self, epoch: int, every: str) -> bool:
        return epoch % int(self.cfg[every]) == 0 or epoch == self.epochs

    def sample_grid(self, epoch: int) -> None:
        gen = torch.Generator().manual_seed(self.seed + 1)
        imgs = self.space.grid_images(self.m, self.grid_labels, gen)
        _grid_png(to_uint8(imgs), self.grid_rows,
                  self.work_dir / "samples" / f"epoch{epoch:04d}.png")

    def score(self, epoch: int) -> None:
        """This checkpoint's score per class (the same noise at every epoch)."""
        if self.scorer is None:
            return
        n = int(self.cfg["selection_samples"])
        gen = torch.Generator().manual_seed(self.seed + 2)
        fake = {c: generate_images(self.m, torch.full((n,), c), gen) for c in self.scorer.real}
        by_class = {self.space.class_of(c): {"score": s.value, "loo_real": s.loo_real,
                                             "loo_fake": s.loo_fake}
                    for c, s in self.scorer.score(fake).items()}
        if by_class:
            self.scores[epoch] = by_class
            mean = np.mean([v["score"] for v in by_class.values()])
            self.log(f"{self.key} epoch {epoch}: {score_name(self.cfg['selection'])} to "
                     f"held-out real {mean:.5g}")

    def checkpoint(self, epoch: int) -> None:
        """This epoch's generator, the resumable state, and the losses so far."""
        _save({"format": FORMAT_VERSION, **_payload(self.m, self.method, self.cfg, epoch)},
              self.work_dir / f"generator_epoch{epoch:04d}.pt")
        cuda = self.device.type == "cuda"
        _save({"method": self.m.state_dict(), "stream": self.stream.state_dict(),
               "torch_rng": torch.get_rng_state(),
               "cuda_rng": torch.cuda.get_rng_state(self.device) if cuda else None,
               "history": self.history, "scores": self.scores, "epoch": epoch,
               "fingerprint": self.fingerprint}, self.work_dir / "last.pt")
        write_text(self.work_dir / "losses.csv",
                   _losses_csv([{"model": self.key, **r} for r in self.history]))

    def choose(self) -> ModelResult:
        """The epoch whose generator is kept, and why."""
        selection = _select(self.scores, self.epochs, len(self.train_idx), len(self.hold_idx),
                            self.space, float(self.cfg["selection_tolerance"]),
                            self.feature_space, self.cfg["selection"])
        chosen = selection["chosen_epoch"]
        selection["epoch_unit"] = self.unit
        selection.update(self.space.record())
        selection["chosen_iterations"] = chosen * self.iters
        selection["chosen_passes"] = _passes(chosen, self.unit)
        payload = _load(self.work_dir / f"generator_epoch{chosen:04d}.pt")
        return ModelResult(self.key, payload, selection, self.history)


def _payload(m: GanMethod, method: str, cfg: dict[str, Any], epoch: int) -> dict[str, Any]:
    return {"method": method, "cfg": dict(cfg), "shape": list(m.shape),
            "n_classes": m.n_classes, "epoch": epoch,
            "G": {k: v.detach().cpu().clone() for k, v in m.G.state_dict().items()},
            "extra": m.extra_state()}


def _select(scores: dict[int, dict[str, dict[str, Any]]], epochs: int, n_train: int,
            n_hold: int, labels: PerClass, tolerance: float, space: str = FEATURE_SPACE,
            metric: str = "kid") -> dict[str, Any]:
    base = {"n_train": n_train, "n_holdout": n_hold}
    if not scores:
        return {**base, "chosen_epoch": epochs, "metric": None,
                "reason": f"selection 'last', or too few held-out images for {metric}: the "
                          "final epoch"}
    pick = choose_epoch(scores, tolerance)
    best, lowest, mean = pick["chosen_epoch"], pick["lowest_epoch"], pick["mean"]
    name = score_name(metric)
    what = labels.what(name)
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
    cfg = load_config(method, overrides)
    if x.ndim != 4 or x.dtype != np.uint8 or y.shape != (len(x),):
        raise DataError(f"expected uint8 NHWC images and matching labels; got {x.dtype} "
                        f"{x.shape}, labels {y.shape}")
    y = y.astype(np.int64)
    device = resolve_device(cfg["device"])
    models = unit_models(method, unit, y, sampling_strategy)
    log(f"training {method} unit {unit} on {device}: models {[k for k, _ in models]}")
    selection_space = _selection_space(method, cfg, reference)
    translates = getattr(GENERATORS[method].load(), "translates", False)
    results = []
    for key, classes in models:
        own = (slice(None) if key == "conditional" else y == classes[0])
        source = (source_images(x, y, classes[0], cfg, _seed_for(seed, key))
                  if translates else None)
        space = label_space(key == "conditional", classes, len(class_counts(y)), source)
        results.append(Trainer(
            x[own], y[own], method=method, cfg=cfg, key=key, space=space,
            work_dir=files.checkpoints / key, seed=_seed_for(seed, key), log=log,
            device=device, on_epoch_end=on_epoch_end, selection_space=selection_space).run())
    # outputs only now: a job that fails above leaves no generator behind
    return _write_outputs(results, files, method=method, unit=unit, cfg=cfg, seed=seed,
                          provenance_config=provenance_config, record=record)


def unit_models(method: str, unit: str, y: np.ndarray, sampling_strategy: Any
                ) -> list[tuple[str, list[int]]]:
    """The models a unit trains: (key, the classes whose images score its epochs).
    ``sampling_strategy`` may be a list: exactly the classes that receive images (a shared
    generator's, the same whatever each augmenter sharing it draws)."""
    counts = class_counts(y)
    if isinstance(sampling_strategy, list):
        todo = [int(c) for c in sampling_strategy if counts.get(int(c), 0) > 0]
    else:
        todo = [c for c, n in resolve_sampling_strategy(sampling_strategy, counts,
                                                        "over").items() if n > 0]
    target = parse_unit(unit)
    kind = GENERATORS[method].kind
    if (kind == "conditional") != (target == "conditional"):
        raise DataError(f"unit {unit!r} does not fit a {kind} method ({method})")
    if isinstance(target, int):
        if counts.get(target, 0) == 0:
            raise DataError(f"unit {unit}: class {target} has no training images")
        return [(f"class{target}", [target])]
    if target == "all":
        return [(f"class{c}", [c]) for c in todo]
    return [("conditional", todo or list(range(len(counts))))]


def _selection_space(method: str, cfg: Mapping[str, Any],
                     reference: str | os.PathLike[str] | None) -> tuple[nn.Module, str] | None:
    """The reference classifier's feature space when the epoch choice asks for it."""
    if cfg["selection"] == "last" or cfg["selection_features"] != "reference":
        return None
    if reference is None:
        raise ConfigError(f"{method}.params.selection_features", "reference",
                          "random, or pass the reference classifier (the workflow does)")
    from ..weights import sha256_of
    from .reference import load_reference

    ref_model, ref = load_reference(reference)
    return (ReferenceFeatures(ref_model),
            f"reference-{ref.get('arch', 'cnn')}: penultimate layer ({ref['feature_dim']}-d) "
            f"of {Path(reference).as_posix()} (sha256 {sha256_of(reference)[:16]})")


def _write_outputs(results: list[ModelResult], files: UnitFiles, *, method: str, unit: str,
                   cfg: dict[str, Any], seed: int, provenance_config: dict[str, Any] | None,
                   record: Mapping[str, Any] | None) -> dict[str, Any]:
    """The unit's declared outputs: sample grids, losses, selection.json, generator.pt."""
    from ..provenance import provenance

    files.samples.mkdir(parents=True, exist_ok=True)
    for r in results:
        for png in sorted((files.checkpoints / r.key / "samples").glob("*.png")):
            shutil.copyfile(png, files.samples / f"{r.key}_{png.name}")
    write_text(files.losses, _losses_csv(
        [{"model": r.key, **row} for r in results for row in r.history]))
    selection = {
        "method": method, "unit": unit, "config": cfg,
        "models": {r.key: r.selection for r in results},
        "provenance": provenance(provenance_config or {"method": method, "params": cfg}, seed),
    }
    write_json_result(files.selection, selection, "selection")
    _save({"format": FORMAT_VERSION, "method": method, "kind": GENERATORS[method].kind,
           "models": {r.key: r.payload for r in results},
           **({"record": dict(record)} if record is not None else {})}, files.generator)
    return selection
