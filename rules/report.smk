# Report figures, tables and statistics: every one computed from results/, data/ and models/
# by a rule (see docs/reports.md). Which files exist for a grid, and each rule's inputs, come
# from REPORTS (imbench.reports.targets.ReportPlan, built in common.smk).
# Snakemake report layout: category = kind of figure, subcategory = dataset, labels = the
# imbalance protocol, augmenter, classifier and seed where they apply.


rule plot_class_counts:
    input:
        counts="data/{dataset}/{imbalance}/seed{seed}/counts.json",
    output:
        plot=report(
            "reports/class_counts/{dataset}/{imbalance}/seed{seed}.png",
            caption="../report/class_counts.rst",
            category="Class counts",
            subcategory="{dataset}",
            labels={
                "imbalance": "{imbalance}",
                "augmenter": "(before rebalancing)",
                "seed": "{seed}",
            },
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


rule plot_rebalanced_counts:
    input:
        imbalanced="data/{dataset}/{imbalance}/seed{seed}/counts.json",
        rebalanced="data/{dataset}/{imbalance}/{augmenter}/seed{seed}/counts.json",
    output:
        plot=report(
            "reports/rebalanced_counts/{dataset}/{imbalance}/{augmenter}/seed{seed}.png",
            caption="../report/rebalanced_counts.rst",
            category="Class counts",
            subcategory="{dataset}",
            labels={
                "imbalance": "{imbalance}",
                "augmenter": "{augmenter}",
                "seed": "{seed}",
            },
        ),
    log:
        "logs/plot_rebalanced_counts/{dataset}/{imbalance}/{augmenter}/seed{seed}.log",
    benchmark:
        "benchmarks/plot_rebalanced_counts/{dataset}/{imbalance}/{augmenter}/seed{seed}.tsv"
    conda:
        "../envs/imbench.yaml"
    threads: 1
    script:
        "../scripts/report_rebalanced_counts.py"


rule metric_tables:
    input:
        summary="results/summary.csv",
        counts=lambda wc: list(REPORTS.counts_inputs(wc.dataset).values()),
    output:
        table=report(
            "reports/tables/{dataset}.md",
            caption="../report/metric_table.rst",
            category="Tables",
            subcategory="{dataset}",
            labels={"dataset": "{dataset}", "table": "variants × metrics"},
        ),
        csv="reports/tables/{dataset}.csv",
        by_ratio=report(
            "reports/tables/{dataset}.by_ratio.md",
            caption="../report/ratio_table.rst",
            category="Tables",
            subcategory="{dataset}",
            labels={"dataset": "{dataset}", "table": "augmenters × imbalance ratios"},
        ),
        by_ratio_csv="reports/tables/{dataset}.by_ratio.csv",
    log:
        "logs/metric_tables/{dataset}.log",
    benchmark:
        "benchmarks/metric_tables/{dataset}.tsv"
    conda:
        "../envs/imbench.yaml"
    threads: 1
    params:
        imbalances=lambda wc: list(REPORTS.counts_inputs(wc.dataset)),
        augmenter_methods=REPORTS.augmenter_methods(),
        imbalance_protocols=REPORTS.imbalance_protocols(),
        order=REPORTS.order(),
        metrics=REPORTS.settings["metrics"],
    script:
        "../scripts/metric_tables.py"


rule confusion_grid:
    input:
        metrics=lambda wc: REPORTS.confusion_inputs(wc.dataset, wc.classifier),
        counts=lambda wc: list(REPORTS.counts_inputs(wc.dataset).values()),
    output:
        plot=report(
            "reports/confusion/{dataset}/{classifier}.png",
            caption="../report/confusion_grid.rst",
            category="Confusion matrices (grids)",
            subcategory="{dataset}",
            labels={"dataset": "{dataset}", "classifier": "{classifier}"},
        ),
    log:
        "logs/confusion_grid/{dataset}/{classifier}.log",
    benchmark:
        "benchmarks/confusion_grid/{dataset}/{classifier}.tsv"
    conda:
        "../envs/imbench.yaml"
    threads: 1
    params:
        imbalances=lambda wc: list(REPORTS.counts_inputs(wc.dataset)),
        imbalance_protocols=REPORTS.imbalance_protocols(),
        order=REPORTS.order(),
    script:
        "../scripts/report_confusion_grid.py"


rule plot_samples:
    input:
        train="data/{dataset}/{imbalance}/{augmenter}/seed{seed}/train.npz",
        counts="data/{dataset}/{imbalance}/seed{seed}/counts.json",
    output:
        plot=report(
            "reports/samples/{dataset}/{imbalance}/{augmenter}/seed{seed}.png",
            caption="../report/samples.rst",
            category="Real vs added images",
            subcategory="{dataset}",
            labels={
                "imbalance": "{imbalance}",
                "augmenter": "{augmenter}",
                "seed": "{seed}",
            },
        ),
    log:
        "logs/plot_samples/{dataset}/{imbalance}/{augmenter}/seed{seed}.log",
    benchmark:
        "benchmarks/plot_samples/{dataset}/{imbalance}/{augmenter}/seed{seed}.tsv"
    conda:
        "../envs/imbench.yaml"
    threads: 1
    params:
        method=lambda wc: augmenter_cfg(wc.augmenter)["method"],
    script:
        "../scripts/report_samples.py"


rule plot_transforms:
    input:
        imbalanced="data/{dataset}/{imbalance}/seed{seed}/imbalanced.npz",
        counts="data/{dataset}/{imbalance}/seed{seed}/counts.json",
        rebalanced="data/{dataset}/{imbalance}/{augmenter}/seed{seed}/counts.json",
    output:
        plot=report(
            "reports/transforms/{dataset}/{imbalance}/{augmenter}/seed{seed}.png",
            caption="../report/transforms.rst",
            category="Transform examples",
            subcategory="{dataset}",
            labels={
                "imbalance": "{imbalance}",
                "augmenter": "{augmenter}",
                "seed": "{seed}",
            },
        ),
    log:
        "logs/plot_transforms/{dataset}/{imbalance}/{augmenter}/seed{seed}.log",
    benchmark:
        "benchmarks/plot_transforms/{dataset}/{imbalance}/{augmenter}/seed{seed}.tsv"
    conda:
        "../envs/imbench.yaml"
    threads: 1
    params:
        params=lambda wc: augmenter_cfg(wc.augmenter)["params"],
        flip_safe=flip_safe,
    script:
        "../scripts/report_transforms.py"


rule plot_generator_progress:
    input:
        unpack(generator_unit_files),
        counts="data/{dataset}/{imbalance}/seed{seed}/counts.json",
    output:
        plot=report(
            "reports/generators/{dataset}/{imbalance}/{augmenter}/seed{seed}/{model}.png",
            caption="../report/generator_progress.rst",
            category="Generator progress",
            subcategory="{dataset}",
            labels={
                "imbalance": "{imbalance}",
                "augmenter": "{augmenter}",
                "model": "{model}",
                "seed": "{seed}",
            },
        ),
    log:
        "logs/plot_generator_progress/{dataset}/{imbalance}/{augmenter}/seed{seed}/{model}.log",
    benchmark:
        "benchmarks/plot_generator_progress/{dataset}/{imbalance}/{augmenter}/seed{seed}/{model}.tsv"
    wildcard_constraints:
        augmenter=GENERATIVE_AUGMENTERS,
        model=r"class\d+|conditional|all",
    conda:
        "../envs/imbench.yaml"
    threads: 1
    params:
        method=lambda wc: augmenter_cfg(wc.augmenter)["method"],
    script:
        "../scripts/report_generator_progress.py"


rule plot_gan_losses:
    input:
        unpack(
            lambda wc: REPORTS.loss_inputs(
                wc.dataset, wc.imbalance, wc.augmenter, wc.seed
            )
        ),
    output:
        plot=report(
            "reports/generators/{dataset}/{imbalance}/{augmenter}/seed{seed}/losses.png",
            caption="../report/gan_losses.rst",
            category="GAN loss curves",
            subcategory="{dataset}",
            labels={
                "imbalance": "{imbalance}",
                "augmenter": "{augmenter}",
                "seed": "{seed}",
            },
        ),
    log:
        "logs/plot_gan_losses/{dataset}/{imbalance}/{augmenter}/seed{seed}.log",
    benchmark:
        "benchmarks/plot_gan_losses/{dataset}/{imbalance}/{augmenter}/seed{seed}.tsv"
    wildcard_constraints:
        augmenter=GENERATIVE_AUGMENTERS,
    conda:
        "../envs/imbench.yaml"
    threads: 1
    params:
        method=lambda wc: augmenter_cfg(wc.augmenter)["method"],
    script:
        "../scripts/report_gan_losses.py"


rule plot_metric_vs_ratio:
    input:
        summary="results/summary.csv",
        counts=lambda wc: list(REPORTS.counts_inputs(wc.dataset).values()),
    output:
        plot=report(
            "reports/ratios/{dataset}/{classifier}.png",
            caption="../report/metric_vs_ratio.rst",
            category="Metric vs imbalance ratio",
            subcategory="{dataset}",
            labels={"dataset": "{dataset}", "classifier": "{classifier}"},
        ),
    log:
        "logs/plot_metric_vs_ratio/{dataset}/{classifier}.log",
    benchmark:
        "benchmarks/plot_metric_vs_ratio/{dataset}/{classifier}.tsv"
    conda:
        "../envs/imbench.yaml"
    threads: 1
    params:
        imbalances=lambda wc: list(REPORTS.counts_inputs(wc.dataset)),
        metrics=REPORTS.settings["metrics"],
        augmenter_methods=REPORTS.augmenter_methods(),
        imbalance_protocols=REPORTS.imbalance_protocols(),
    script:
        "../scripts/report_metric_vs_ratio.py"


rule plot_quality_vs_gain:
    input:
        summary="results/summary.csv",
        quality=lambda wc: list(REPORTS.quality_files(wc.dataset).values()),
    output:
        plot=report(
            "reports/quality/{dataset}/{classifier}.png",
            caption="../report/quality_vs_gain.rst",
            category="Generator quality vs classifier gain",
            subcategory="{dataset}",
            labels={"dataset": "{dataset}", "classifier": "{classifier}"},
        ),
        csv="reports/quality/{dataset}/{classifier}.csv",
    log:
        "logs/plot_quality_vs_gain/{dataset}/{classifier}.log",
    benchmark:
        "benchmarks/plot_quality_vs_gain/{dataset}/{classifier}.tsv"
    conda:
        "../envs/imbench.yaml"
    threads: 1
    params:
        cells=lambda wc: [list(k) for k in REPORTS.quality_files(wc.dataset)],
        metric=REPORTS.settings["quality_metric"],
        augmenter_methods=REPORTS.augmenter_methods(),
    script:
        "../scripts/report_quality_vs_gain.py"


rule augmenter_statistics:
    input:
        summary="results/summary.csv",
    output:
        plot=report(
            "reports/statistics/{metric}.png",
            caption="../report/statistics.rst",
            category="Significance tests",
            subcategory="all datasets",
            labels={"metric": "{metric}"},
        ),
        markdown=report(
            "reports/statistics/{metric}.md",
            caption="../report/statistics.rst",
            category="Significance tests",
            subcategory="all datasets (tables)",
            labels={"metric": "{metric}"},
        ),
        json="reports/statistics/{metric}.json",
    log:
        "logs/augmenter_statistics/{metric}.log",
    benchmark:
        "benchmarks/augmenter_statistics/{metric}.tsv"
    wildcard_constraints:
        metric="|".join(REPORTS.settings["metrics"]),
    conda:
        "../envs/imbench.yaml"
    threads: 1
    params:
        alpha=REPORTS.settings["alpha"],
        imbalance_protocols=REPORTS.imbalance_protocols(),
        augmenters=GRID.names("augmenters"),
    script:
        "../scripts/report_statistics.py"


rule report_index:
    input:
        REPORTS.index_inputs(),
    output:
        index="reports/index.html",
    log:
        "logs/report_index/index.log",
    benchmark:
        "benchmarks/report_index/index.tsv"
    conda:
        "../envs/imbench.yaml"
    threads: 1
    params:
        entries=REPORTS.index_entries(),
    script:
        "../scripts/report_index.py"


rule plot_changes:
    input:
        summary="results/summary.csv",
        counts=lambda wc: list(REPORTS.counts_inputs(wc.dataset).values()),
    output:
        plot=report(
            "reports/changes/{dataset}/{classifier}.png",
            caption="../report/changes.rst",
            category="Change against the imbalanced baseline",
            subcategory="{dataset}",
            labels={"dataset": "{dataset}", "classifier": "{classifier}"},
        ),
    log:
        "logs/plot_changes/{dataset}/{classifier}.log",
    benchmark:
        "benchmarks/plot_changes/{dataset}/{classifier}.tsv"
    conda:
        "../envs/imbench.yaml"
    threads: 1
    params:
        imbalances=lambda wc: list(REPORTS.counts_inputs(wc.dataset)),
        metrics=REPORTS.settings["metrics"],
        augmenter_methods=REPORTS.augmenter_methods(),
        imbalance_protocols=REPORTS.imbalance_protocols(),
        order=REPORTS.order(),
    script:
        "../scripts/report_changes.py"


rule generator_tables:
    input:
        files=lambda wc: REPORTS.generator_table_inputs(wc.dataset),
        counts=lambda wc: list(REPORTS.counts_inputs(wc.dataset).values()),
    output:
        table=report(
            "reports/tables/{dataset}.generators.md",
            caption="../report/generator_tables.rst",
            category="Tables",
            subcategory="{dataset}",
            labels={"dataset": "{dataset}", "table": "generator quality and time"},
        ),
        quality="reports/tables/{dataset}.generators.quality.csv",
        times="reports/tables/{dataset}.generators.times.csv",
    log:
        "logs/generator_tables/{dataset}.log",
    benchmark:
        "benchmarks/generator_tables/{dataset}.tsv"
    conda:
        "../envs/imbench.yaml"
    threads: 1
    params:
        imbalances=lambda wc: list(REPORTS.counts_inputs(wc.dataset)),
        quality=lambda wc: [
            [*k, p] for k, p in REPORTS.quality_files(wc.dataset).items()
        ],
        generators=lambda wc: [
            [*k, f["losses"], f["selection"]]
            for k, f in REPORTS.generator_cells(wc.dataset).items()
        ],
        order=REPORTS.order(),
    script:
        "../scripts/report_generator_tables.py"
