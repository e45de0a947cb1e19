"""Snakemake script: train one generator unit (see imbench.generators.train)."""

from imbench.runtime import start

start(snakemake)

import torch  # noqa: E402

from imbench.generators.train import UnitFiles, train_generator  # noqa: E402
from imbench.io import load_npz, read_json  # noqa: E402
from imbench.sampling import concrete_strategy  # noqa: E402

torch.set_num_threads(snakemake.threads)
data = load_npz(snakemake.input.imbalanced)
counts = read_json(snakemake.input.counts)
# `protocol` left for the job when the counts were unknown as the DAG was built (folders)
strategy = concrete_strategy(
    snakemake.params.sampling_strategy, "over", counts["original_counts"], counts["counts"]
)
out = snakemake.output
train_generator(
    data["x"],
    data["y"],
    method=snakemake.params.method,
    unit=snakemake.wildcards.unit,
    files=UnitFiles(
        out.generator, out.losses, out.selection, out.samples, snakemake.params.checkpoints
    ),
    seed=snakemake.params.seed,
    overrides=dict(snakemake.params.overrides),
    sampling_strategy=strategy,
    log=lambda line: print(line, flush=True),
    provenance_config={
        "wildcards": dict(snakemake.wildcards),
        "method": snakemake.params.method,
        "overrides": dict(snakemake.params.overrides),
        "sampling_strategy": strategy,
    },
)
