# Downloads run on the submit host: compute nodes often have no internet.
localrules:
    fetch_dataset,


rule fetch_dataset:
    output:
        raw=layout.RAW,
    log:
        layout.log("fetch_dataset", layout.DATASET),
    benchmark:
        layout.benchmark("fetch_dataset", layout.DATASET)
    conda:
        "../envs/imbench.yaml"
    threads: 1
    params:
        dataset=lambda wc: GRID.dataset_cfg(wc.dataset),
        cell=job_config("raw"),
        cache_dir=config.get("cache_dir", ".cache/imbench"),
        offline=config.get("offline", False),
    script:
        "../scripts/fetch_dataset.py"
