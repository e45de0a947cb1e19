rule make_imbalanced:
    input:
        raw=layout.RAW,
    output:
        train=layout.IMBALANCED,
        counts=layout.IMBALANCED_COUNTS,
    log:
        layout.log("make_imbalanced", layout.IMBALANCED_SET),
    benchmark:
        layout.benchmark("make_imbalanced", layout.IMBALANCED_SET)
    conda:
        "../envs/imbench.yaml"
    threads: 1
    params:
        protocol=lambda wc: GRID.imbalance_cfg(wc.imbalance),
        cell=job_config("imbalanced"),
        original_counts=lambda wc: GRID.original_counts(wc.dataset),
        seed=lambda wc: int(wc.seed),
    script:
        "../scripts/make_imbalanced.py"
