"""Snakemake script: quality.json and the Real-or-Fake sheets of one rebalanced set."""

from imbench.runtime import start, torch_threads

start(snakemake)

from imbench import records  # noqa: E402
from imbench.provenance import provenance  # noqa: E402
from imbench.quality import generator_quality, real_or_fake_sheets  # noqa: E402

torch_threads(snakemake.threads)
cell = snakemake.params.cell
train = records.load(snakemake.input.train, "train", cell)
imbalanced = records.load(snakemake.input.imbalanced, "imbalanced", cell)
records.check_made_from(train.record, "imbalanced", imbalanced.record, snakemake.input.train)
raw = records.load(snakemake.input.raw, "raw", cell)
records.check_made_from(imbalanced.record, "raw", raw.record, snakemake.input.imbalanced)
seed = snakemake.params.seed
settings = snakemake.params.settings
inception = None
if settings.get("inception_weights"):
    from imbench.inception import InceptionFeatures

    inception = InceptionFeatures(settings["inception_weights"], settings.get("inception_sha256"))
result = generator_quality(train, imbalanced, snakemake.input.reference, seed=seed,
                           test=(raw["x_test"], raw["y_test"]), inception=inception)
result["provenance"] = provenance({"wildcards": dict(snakemake.wildcards)}, seed)
records.write_json_result(snakemake.output.quality, result, "quality",
                          made_from={"train": train.record, "raw": raw.record})
real_or_fake_sheets(train, imbalanced, snakemake.output.sheets, seed=seed)
