rule augment:
    input:
        unpack(augment_inputs),
    output:
        train=layout.TRAIN,
        counts=layout.TRAIN_COUNTS,
    log:
        layout.log("augment", layout.VARIANT),
    benchmark:
        layout.benchmark("augment", layout.VARIANT)
    conda:
        "../envs/imbench.yaml"
    threads: 1
    params:
        augmenter=lambda wc: GRID.augmenter_cfg(wc.augmenter),
        cell=job_config("train"),
        sampling_strategy=sampling_strategy,
        flip_safe=flip_safe,
        seed=lambda wc: int(wc.seed),
        generators=generator_files,
    script:
        "../scripts/augment.py"
