"""One generator iteration (``n_critic`` discriminator steps, then one generator step),
eager or replayed from a CUDA graph.

These GANs are small: on a GPU a step is a few hundred tiny kernels, and the time goes to
launching them, not to running them. A CUDA graph records one whole iteration (forward,
double backward of the gradient penalty, optimiser updates, loss sums) once and replays it
with a single launch. Batches are copied into fixed input buffers before each replay; the
random draws inside (latents, interpolation weights, fake labels) come from the CUDA
generator, which graphs advance at every replay, so each replay draws fresh numbers.

Only used on CUDA (``cuda_graph: true``, the default); on the CPU the same iteration runs
eagerly.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch

from .methods import GanMethod, to_float

Sums = dict[str, torch.Tensor]
Log = Callable[[str], None]


def _add(sums: Sums, counts: dict[str, int], losses: dict[str, torch.Tensor]) -> None:
    for k, v in losses.items():
        if k in sums:
            sums[k].add_(v.detach())
        else:
            sums[k] = v.detach().clone()
        counts[k] = counts.get(k, 0) + 1


class EagerIteration:
    """The reference: each step launched from Python; loss sums stay on the device (one
    host sync per epoch, in ``take``'s caller)."""

    def __init__(self, method: GanMethod, stream: Any, n_critic: int) -> None:
        self.m, self.stream, self.n_critic = method, stream, n_critic
        self.sums: Sums = {}
        self.counts: dict[str, int] = {}

    def __call__(self) -> None:
        for _ in range(self.n_critic):
            xb, yb = self.stream()
            _add(self.sums, self.counts, self.m.d_step(xb, yb))
        _add(self.sums, self.counts, self.m.g_step(yb))

    def take(self) -> tuple[Sums, dict[str, int]]:
        """Loss sums and step counts since the last call (one epoch)."""
        out = self.sums, self.counts
        self.sums, self.counts = {}, {}
        return out


def make_capturable(opt: torch.optim.Optimizer, device: torch.device) -> None:
    """Adam keeps its step count on the host unless ``capturable``; a graph needs it on the
    device. Also after ``load_state_dict`` (a resumed checkpoint restores host steps)."""
    for group in opt.param_groups:
        group["capturable"] = True
    for state in opt.state.values():
        if "step" in state:
            state["step"] = state["step"].to(device=device, dtype=torch.float32)


class GraphedIteration(EagerIteration):
    """The same iteration, captured into a CUDA graph after ``warmup`` eager iterations
    (on a side stream, as capture requires; they train like any other iteration)."""

    def __init__(self, method: GanMethod, stream: Any, n_critic: int, warmup: int = 3) -> None:
        super().__init__(method, stream, n_critic)
        self.warmup = max(1, warmup)
        self.warmed = 0
        self.graph: torch.cuda.CUDAGraph | None = None
        self.side = torch.cuda.Stream(method.device)
        b = stream.batch
        self.xs = torch.empty((n_critic, b, *stream.x.shape[1:]), dtype=stream.x.dtype,
                              device=stream.x.device)
        self.ys = torch.empty((n_critic, b), dtype=stream.y.dtype, device=stream.y.device)
        self.acc: Sums = {}                   # what each replay adds its losses into
        self.acc_counts: dict[str, int] = {}  # steps per replay, per loss
        self.replays = 0
        method.amp_cache = False  # autocast's weight cache and graph replay don't mix
        for opt in (method.opt_d, method.opt_g):
            make_capturable(opt, method.device)

    def _fill(self) -> None:
        for k in range(self.n_critic):
            self.stream.fill(self.xs[k], self.ys[k])

    def _body(self, sums: Sums, counts: dict[str, int]) -> None:
        for k in range(self.n_critic):
            _add(sums, counts, self.m.d_step(to_float(self.xs[k]), self.ys[k]))
        _add(sums, counts, self.m.g_step(self.ys[-1]))

    def _capture(self) -> None:
        graph = torch.cuda.CUDAGraph()
        staged: Sums = {}
        with torch.cuda.graph(graph):
            self._body(staged, self.acc_counts)
            for k, v in staged.items():
                self.acc[k].add_(v)
        self.graph = graph

    def __call__(self) -> None:
        if self.warmed < self.warmup:
            current = torch.cuda.current_stream(self.m.device)
            self.side.wait_stream(current)
            with torch.cuda.stream(self.side):
                self._fill()
                self._body(self.sums, self.counts)
            current.wait_stream(self.side)
            if not self.acc:  # allocated outside the graph's memory pool
                self.acc = {k: torch.zeros_like(v) for k, v in self.sums.items()}
            self.warmed += 1
            return
        if self.graph is None:
            self._capture()  # records without running: this call's iteration is the replay
        self._fill()
        self.graph.replay()
        self.replays += 1

    def take(self) -> tuple[Sums, dict[str, int]]:
        sums, counts = super().take()
        for k, v in self.acc.items():
            n = self.acc_counts.get(k, 0) * self.replays
            if n:
                sums[k] = sums[k] + v if k in sums else v.clone()
                counts[k] = counts.get(k, 0) + n
            v.zero_()
        self.replays = 0
        return sums, counts


def make_iteration(method: GanMethod, stream: Any, n_critic: int, use_graph: bool,
                   log: Log) -> EagerIteration:
    """A graphed iteration on CUDA when asked for, else the eager one."""
    if use_graph and method.device.type == "cuda":
        log(f"{method.name}: each generator iteration is one CUDA graph replay")
        return GraphedIteration(method, stream, n_critic)
    return EagerIteration(method, stream, n_critic)
