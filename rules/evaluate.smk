rule evaluate:
    input:
        predictions=layout.PREDICTIONS,
        imbalanced=layout.IMBALANCED_COUNTS,
        raw=layout.RAW,
    output:
        metrics=layout.METRICS,
        confusion=report(
            layout.CONFUSION,
            caption="../report/confusion_matrix.rst",
            category="Confusion matrices",
            subcategory="{dataset}",
            labels={
                "dataset": "{dataset}",
                "imbalance": "{imbalance}",
                "augmenter": "{augmenter}",
                "classifier": "{classifier}",
                "seed": "{seed}{fold}",
            },
        ),
    log:
        layout.log("evaluate", layout.CELL),
    benchmark:
        layout.benchmark("evaluate", layout.CELL)
    conda:
        "../envs/imbench.yaml"
    threads: 1
    params:
        cell=job_config("predictions"),
        cell_id=lambda wc: cell_of(wc).ident(),
        shot_thresholds=config.get("shot_thresholds", {}),
        seed=lambda wc: int(wc.seed),
    script:
        "../scripts/evaluate.py"


# One job over every cell: on a cluster it runs on the submit host, as the cross-cell report
# rules do (a submission would queue for a job of seconds).
rule aggregate:
    input:
        # a function: the list over the grid is built only when the DAG needs it
        metrics=lambda wildcards: GRID.metrics_targets(),
    output:
        summary=layout.SUMMARY,
        other_code=layout.OTHER_CODE,
    log:
        layout.log("aggregate", "aggregate"),
    benchmark:
        layout.benchmark("aggregate", "aggregate")
    localrule: True
    conda:
        "../envs/imbench.yaml"
    threads: 1
    script:
        "../scripts/aggregate.py"
