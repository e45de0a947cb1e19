"""CycleGAN's cost per epoch on this machine: one class of CIFAR-10 translated from another,
through the real ``train_generator`` (checkpoint, sample grid and KID scoring included).

    python bench/cyclegan_epoch.py --data ../shared/data/cifar10.npz --width 32 --threads 1

An epoch is one pass over the class's training images (after the 15 % hold-out) at the
configured batch; the script prints the seconds of each epoch and the total.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

from imbench.generators.train import UnitFiles, train_generator
from imbench.plan.layout import unit_files_in


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", required=True, help=".npz with x_train, y_train (CIFAR-10)")
    ap.add_argument("--target", type=int, default=7, help="class filled (CIFAR-10 horse)")
    ap.add_argument("--source", type=int, default=0, help="class translated from")
    ap.add_argument("--n-target", type=int, default=300)
    ap.add_argument("--n-source", type=int, default=1000)
    ap.add_argument("--width", type=int, default=32)
    ap.add_argument("--epochs", type=int, default=1)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--keep", help="folder to keep the outputs in (sample grids: each source "
                                   "image beside its translation)")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    d = np.load(args.data)
    x, y = d["x_train"], d["y_train"].astype(np.int64)
    idx = np.concatenate([np.flatnonzero(y == args.source)[:args.n_source],
                          np.flatnonzero(y == args.target)[:args.n_target]])
    lines: list[str] = []
    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        train_generator(x[idx], y[idx], method="cyclegan", unit=f"class{args.target}",
                        files=UnitFiles(**unit_files_in(Path(args.keep or tmp))), seed=0,
                        overrides={"epochs": args.epochs, "width": args.width,
                                   "source_class": args.source, "checkpoint_every": 1,
                                   "sample_every": 1, "selection_samples": 64},
                        sampling_strategy={args.target: args.n_source}, log=lines.append)
    for line in lines:
        if f"/{args.epochs}:" in line:
            print(line)
    print(f"total {time.perf_counter() - t0:.1f} s (width {args.width}, "
          f"{args.threads} thread(s))")


if __name__ == "__main__":
    main()
