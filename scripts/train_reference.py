"""Snakemake script: train the per-dataset reference classifier of generator quality."""

from imbench.runtime import start, torch_threads

start(snakemake)

from imbench import records  # noqa: E402
from imbench.generators.reference import save_reference, train_reference  # noqa: E402

torch_threads(snakemake.threads)
# the whole file is read to check its record; only the training arrays are used
raw = records.load(snakemake.input.raw, "raw", snakemake.params.cell)
payload = train_reference(
    raw["x_train"],
    raw["y_train"],
    seed=snakemake.params.seed,
    params=dict(snakemake.params.overrides),
    log=lambda line: print(line, flush=True),
)
save_reference(payload, snakemake.output.classifier)
