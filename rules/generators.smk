# Generative augmenters: generator training (one job per unit: class{c}, all or
# conditional), the per-dataset reference classifier, and generator quality.
# Checkpoints live in layout.GENERATOR_CHECKPOINTS, deliberately NOT an output: Snakemake
# deletes the outputs of a failed or incomplete job, and the rerun must find them to resume.


rule train_generator:
    input:
        imbalanced=layout.IMBALANCED,
        counts=layout.IMBALANCED_COUNTS,
        reference=selection_reference,
    output:
        generator=layout.GENERATOR,
        losses=layout.GENERATOR_LOSSES,
        selection=layout.GENERATOR_SELECTION,
        samples=directory(layout.GENERATOR_SAMPLES),
    log:
        layout.log("train_generator", layout.UNIT),
    benchmark:
        layout.benchmark("train_generator", layout.UNIT)
    conda:
        "../envs/gan.yaml"
    threads: 1
    params:
        method=lambda wc: GRID.augmenter_cfg(generator_owner(wc))["method"],
        overrides=lambda wc: GRID.augmenter_cfg(generator_owner(wc)).get("params", {}),
        sampling_strategy=generator_strategy,
        seed=lambda wc: int(wc.seed),
        checkpoints=lambda wc: layout.path(layout.GENERATOR_CHECKPOINTS, wc),
        cell=generator_job_config,
    script:
        "../scripts/train_generator.py"


rule train_reference:
    input:
        raw=layout.RAW,
    output:
        classifier=layout.REFERENCE,
    log:
        layout.log("train_reference", layout.SPLIT),
    benchmark:
        layout.benchmark("train_reference", layout.SPLIT)
    conda:
        "../envs/gan.yaml"
    threads: 1
    params:
        overrides=config.get("reference_classifier", {}),
        seed=0,
        cell=job_config("raw"),
    script:
        "../scripts/train_reference.py"


rule generator_quality:
    input:
        train=layout.TRAIN,
        imbalanced=layout.IMBALANCED,
        reference=layout.REFERENCE,
        # GAN-train scores a classifier on the real test set (never chooses anything)
        raw=layout.RAW,
    output:
        quality=layout.QUALITY,
        sheets=directory(layout.REAL_OR_FAKE),
    log:
        layout.log("generator_quality", layout.VARIANT),
    benchmark:
        layout.benchmark("generator_quality", layout.VARIANT)
    conda:
        "../envs/gan.yaml"
    threads: 1
    params:
        seed=lambda wc: int(wc.seed),
        cell=job_config("train"),
        settings=config.get("generator_quality") or {},
    script:
        "../scripts/generator_quality.py"
