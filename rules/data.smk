# Downloads run on the submit host: compute nodes often have no internet.
localrules:
    fetch_dataset,


rule fetch_dataset:
    output:
        raw="data/raw/{dataset}.npz",
    log:
        "logs/fetch_dataset/{dataset}.log",
    benchmark:
        "benchmarks/fetch_dataset/{dataset}.tsv"
    conda:
        "../envs/imbench.yaml"
    threads: 1
    params:
        dataset=lambda wc: dataset_cfg(wc.dataset),
        cache_dir=config.get("cache_dir", ".cache/imbench"),
        offline=config.get("offline", False),
    script:
        "../scripts/fetch_dataset.py"
