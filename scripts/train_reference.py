"""Snakemake script: train the per-dataset reference classifier of generator quality."""

from imbench.runtime import start

start(snakemake)

import numpy as np  # noqa: E402
import torch  # noqa: E402

from imbench.generators.reference import save_reference, train_reference  # noqa: E402

torch.set_num_threads(snakemake.threads)
# only the training arrays are read: np.load is lazy, x_test/y_test stay on disk
with np.load(snakemake.input.raw, allow_pickle=False) as raw:
    x, y = raw["x_train"], raw["y_train"]
payload = train_reference(
    x,
    y,
    seed=snakemake.params.seed,
    params=dict(snakemake.params.overrides),
    log=lambda line: print(line, flush=True),
)
save_reference(payload, snakemake.output.classifier)
