"""Snakemake script: train one generator unit (see imbench.generators.train)."""

from imbench.runtime import start, torch_threads

start(snakemake)

from imbench import records  # noqa: E402
from imbench.generators.train import UnitFiles, train_generator  # noqa: E402
from imbench.sampling import concrete_strategy  # noqa: E402

torch_threads(snakemake.threads)
cell = snakemake.params.cell
data = records.load(snakemake.input.imbalanced, "imbalanced", cell)
counts = records.read_json_describing(snakemake.input.counts, "imbalanced", cell, data.record)
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
    record=records.file_record(
        "generator", out.generator, cell, made_from={"imbalanced": data.record}
    ),
    reference=snakemake.input.get("reference") or None,
)
