# Downloads run on the submit host: compute nodes often have no internet.
localrules:
    fetch_dataset,


rule fetch_dataset:
    output:
        raw=layout.LOADED,
    log:
        layout.log("fetch_dataset", layout.DATASET),
    benchmark:
        layout.benchmark("fetch_dataset", layout.DATASET)
    conda:
        "../envs/imbench.yaml"
    threads: 1
    # cache_dir and offline are not params: where downloads are cached, and whether the
    # network may be used, never change the raw file (moving the cache reruns nothing)
    params:
        dataset=lambda wc: GRID.dataset_cfg(wc.dataset),
        cell=job_config("raw"),
    script:
        "../scripts/fetch_dataset.py"


# k-fold cross-validation (config `folds: k`): fold f of the loader's training split is the
# test part of its own raw file, the other folds its training part (imbench.datasets.folds).
rule make_fold:
    input:
        raw=layout.LOADED,
    output:
        raw=layout.RAW,
    log:
        layout.log("make_fold", layout.SPLIT),
    benchmark:
        layout.benchmark("make_fold", layout.SPLIT)
    wildcard_constraints:
        fold=GRID.fold_regex(fold_file=True),
    conda:
        "../envs/imbench.yaml"
    threads: 1
    params:
        folds=GRID.folds,
        fold_seed=GRID.fold_seed,
        fold=lambda wc: layout.fold_of(wc.fold),
        source_cell=lambda wc: GRID.job_config({"dataset": wc.dataset}, "raw"),
        cell=job_config("raw"),
    script:
        "../scripts/make_fold.py"
