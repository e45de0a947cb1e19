rule plot_class_counts:
    input:
        counts="data/{dataset}/{imbalance}/seed{seed}/counts.json",
    output:
        plot=report(
            "reports/class_counts/{dataset}/{imbalance}/seed{seed}.png",
            caption="../report/class_counts.rst",
            category="Class counts",
            subcategory="{dataset}",
            labels={"dataset": "{dataset}", "imbalance": "{imbalance}", "seed": "{seed}"},
        ),
    log:
        "logs/plot_class_counts/{dataset}/{imbalance}/seed{seed}.log",
    benchmark:
        "benchmarks/plot_class_counts/{dataset}/{imbalance}/seed{seed}.tsv"
    conda:
        "../envs/imbench.yaml"
    threads: 1
    script:
        "../scripts/plot_class_counts.py"


rule metric_tables:
    input:
        summary="results/summary.csv",
    output:
        table=report(
            "reports/tables/{dataset}.md",
            caption="../report/metric_table.rst",
            category="Tables",
            labels={"dataset": "{dataset}"},
        ),
    log:
        "logs/metric_tables/{dataset}.log",
    benchmark:
        "benchmarks/metric_tables/{dataset}.tsv"
    conda:
        "../envs/imbench.yaml"
    threads: 1
    script:
        "../scripts/metric_tables.py"
