rule make_imbalanced:
    input:
        raw="data/raw/{dataset}.npz",
    output:
        train="data/{dataset}/{imbalance}/seed{seed}/imbalanced.npz",
        counts="data/{dataset}/{imbalance}/seed{seed}/counts.json",
    log:
        "logs/make_imbalanced/{dataset}/{imbalance}/seed{seed}.log",
    benchmark:
        "benchmarks/make_imbalanced/{dataset}/{imbalance}/seed{seed}.tsv"
    conda:
        "../envs/imbench.yaml"
    threads: 1
    params:
        protocol=lambda wc: imbalance_cfg(wc.imbalance),
        cell=lambda wc: {
            "dataset": {"name": wc.dataset, **dataset_cfg(wc.dataset)},
            "imbalance": {"name": wc.imbalance, **imbalance_cfg(wc.imbalance)},
        },
        seed=lambda wc: int(wc.seed),
    script:
        "../scripts/make_imbalanced.py"
