"""DDPM training and DDIM sampling speed: the project's training path against a textbook
diffusion loop of the same network, in the same run; sampling time per 1,000 images.

    python bench/ddpm_speed.py --iters 40 --repeats 2 --json out.json          # CPU
    python bench/ddpm_speed.py --device cuda --iters 400 --sample-images 1000  # a GPU

Both loops train the class-conditional ``ddpm`` (the package's defaults: the U-Net of
imbench.generators.diffusion, batch 64) on sklearn's digits resized to 28 x 28 (or ``--data``)
for the same iterations. The textbook loop is the plain recipe: the U-Net from diffusers,
Adam, a shuffling DataLoader, and per batch a random timestep, ``add_noise``, the label
dropped with ``cond_drop``, the MSE to the noise, a step and the EMA update; nothing else.
The project path is the real ``train_generator`` (hold-out split, device-resident batches,
per-epoch logging, checkpoints, the final files) with ``selection: last`` and a one-row
sample grid drawn in 5 DDIM steps: the epoch choice and the grids sample images, whose cost
is the second measurement here, not the training loop's.
Loops alternate (ABAB...) so machine noise hits both; medians are reported.

Sampling: DDIM of ``--sample-images`` images with guidance (two U-Net passes per step) at
50 and 250 steps, reported as seconds per 1,000 images.
"""

from __future__ import annotations

import argparse
import copy
import json
import statistics
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from gan_speed import load_data, project_method


def textbook(x: np.ndarray, y: np.ndarray, epochs: int, ipe: int, device: torch.device,
             seed: int = 0) -> float:
    """Seconds for ``epochs`` x ``ipe`` iterations of the plain diffusion loop."""
    from diffusers import DDPMScheduler

    from imbench.generators import load_config
    from imbench.generators.diffusion import build_unet, scheduler_config

    t0 = time.perf_counter()
    cfg = load_config("ddpm")
    n_classes = int(y.max()) + 1
    torch.manual_seed(seed)
    unet = build_unet(cfg, tuple(x.shape[1:]), n_classes).to(device)
    ema = copy.deepcopy(unet).requires_grad_(False)
    opt = torch.optim.Adam(unet.parameters(), lr=cfg["lr"], betas=tuple(cfg["betas"]))
    noise_schedule = DDPMScheduler(**scheduler_config(cfg))
    data = torch.from_numpy(x.transpose(0, 3, 1, 2).astype(np.float32) / 127.5 - 1)
    loader = torch.utils.data.DataLoader(
        torch.utils.data.TensorDataset(data, torch.from_numpy(y)), shuffle=True,
        drop_last=True, batch_size=int(cfg["batch_size"]))

    def batches():
        while True:
            yield from loader

    stream = batches()
    for _ in range(epochs * ipe):
        xb, yb = (v.to(device) for v in next(stream))
        noise = torch.randn_like(xb)
        t = torch.randint(0, int(cfg["timesteps"]), (len(xb),), device=device)
        drop = torch.rand(len(yb), device=device) < cfg["cond_drop"]
        labels = torch.where(drop, torch.full_like(yb, n_classes), yb)
        pred = unet(noise_schedule.add_noise(xb, noise, t), t, class_labels=labels).sample
        loss = F.mse_loss(pred, noise)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        with torch.no_grad():
            torch._foreach_lerp_(list(ema.parameters()), list(unet.parameters()),
                                 1 - cfg["ema_decay"])
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    return time.perf_counter() - t0


def sampling_seconds(shape: tuple[int, int, int], n_classes: int, n: int, steps: int,
                     device: torch.device) -> float:
    """Seconds to sample ``n`` images in ``steps`` DDIM steps with guidance."""
    from imbench.generators import load_config
    from imbench.generators.diffusion import Sampler, unet_size

    cfg = load_config("ddpm", {"sampling_steps": steps})
    sampler = Sampler(cfg, shape, n_classes).to(device).eval()
    side = unet_size(cfg, shape)
    z = torch.randn(n, shape[2], side, side, device=device)
    y = torch.arange(n, device=device) % n_classes
    t0 = time.perf_counter()
    with torch.no_grad():
        for i in range(0, n, 256):
            sampler(z[i:i + 256], y[i:i + 256])
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    return time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--iters", type=int, default=40, help="training iterations per loop")
    ap.add_argument("--repeats", type=int, default=2)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--data", help="an .npz of 28 x 28 images (default: digits resized)")
    ap.add_argument("--sample-images", type=int, default=32)
    ap.add_argument("--json", type=Path)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    device = torch.device(args.device)
    x, y = load_data(args.data)
    proj, text = [], []
    for _ in range(args.repeats):
        seconds, unit = project_method("ddpm", x, y, "conditional", args.iters, 1, args.device,
                                       extra={"selection": "last", "grid_size": 1,
                                              "sampling_steps": 5})
        iters = unit["epochs"] * unit["iterations_per_epoch"]
        proj.append(iters / seconds)
        text.append(iters / textbook(x, y, unit["epochs"], unit["iterations_per_epoch"],
                                     device))
    out = {"device": str(device), "threads": args.threads, "iterations": iters,
           "project_it_per_s": statistics.median(proj),
           "textbook_it_per_s": statistics.median(text)}
    out["ratio"] = out["project_it_per_s"] / out["textbook_it_per_s"]
    shape, k = tuple(int(s) for s in x.shape[1:]), int(y.max()) + 1
    for steps in (50, 250):
        s = sampling_seconds(shape, k, args.sample_images, steps, device)
        out[f"sampling_s_per_1000_at_{steps}"] = s * 1000 / args.sample_images
    print(json.dumps(out, indent=2))
    if args.json:
        args.json.write_text(json.dumps(out, indent=2) + "\n")


if __name__ == "__main__":
    main()
