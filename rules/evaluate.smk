rule evaluate:
    input:
        predictions="results/{dataset}/{imbalance}/{augmenter}/{classifier}/seed{seed}/predictions.npz",
        imbalanced="data/{dataset}/{imbalance}/seed{seed}/counts.json",
        raw="data/raw/{dataset}.npz",
    output:
        metrics="results/{dataset}/{imbalance}/{augmenter}/{classifier}/seed{seed}/metrics.json",
        confusion=report(
            "results/{dataset}/{imbalance}/{augmenter}/{classifier}/seed{seed}/confusion_matrix.png",
            caption="../report/confusion_matrix.rst",
            category="Confusion matrices",
            subcategory="{dataset}",
            labels={
                "dataset": "{dataset}",
                "imbalance": "{imbalance}",
                "augmenter": "{augmenter}",
                "classifier": "{classifier}",
                "seed": "{seed}",
            },
        ),
    log:
        "logs/evaluate/{dataset}/{imbalance}/{augmenter}/{classifier}/seed{seed}.log",
    benchmark:
        "benchmarks/evaluate/{dataset}/{imbalance}/{augmenter}/{classifier}/seed{seed}.tsv"
    conda:
        "../envs/imbench.yaml"
    threads: 1
    params:
        cell=cell_config,
        cell_id=lambda wc: cell_of(wc).as_dict(),
        seed=lambda wc: int(wc.seed),
    script:
        "../scripts/evaluate.py"


rule aggregate:
    input:
        metrics=GRID.metrics_targets(),
    output:
        summary="results/summary.csv",
    log:
        "logs/aggregate/aggregate.log",
    benchmark:
        "benchmarks/aggregate/aggregate.tsv"
    conda:
        "../envs/imbench.yaml"
    threads: 1
    script:
        "../scripts/aggregate.py"
