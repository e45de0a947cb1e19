"""Snakemake script: train one generator unit (see imbench.generators.train)."""

from imbench.runtime import start

start(snakemake)

from pathlib import Path  # noqa: E402

import torch  # noqa: E402

from imbench.generators.train import train_generator  # noqa: E402
from imbench.io import load_npz, read_json  # noqa: E402
from imbench.workflow import protocol_strategy  # noqa: E402

torch.set_num_threads(snakemake.threads)
data = load_npz(snakemake.input.imbalanced)
strategy = snakemake.params.sampling_strategy
if strategy == "protocol":  # counts were unknown when the DAG was built (folder datasets)
    counts = read_json(snakemake.input.counts)
    strategy = protocol_strategy(counts["original_counts"], counts["counts"])
train_generator(
    data["x"],
    data["y"],
    method=snakemake.params.method,
    unit=snakemake.wildcards.unit,
    out_dir=Path(snakemake.output.generator).parent,
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
