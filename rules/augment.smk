rule augment:
    input:
        unpack(augment_inputs),
    output:
        train="data/{dataset}/{imbalance}/{augmenter}/seed{seed}/train.npz",
        counts="data/{dataset}/{imbalance}/{augmenter}/seed{seed}/counts.json",
    log:
        "logs/augment/{dataset}/{imbalance}/{augmenter}/seed{seed}.log",
    benchmark:
        "benchmarks/augment/{dataset}/{imbalance}/{augmenter}/seed{seed}.tsv"
    conda:
        "../envs/imbench.yaml"
    threads: 1
    params:
        augmenter=lambda wc: augmenter_cfg(wc.augmenter),
        cell=lambda wc: {
            "dataset": {"name": wc.dataset, **dataset_cfg(wc.dataset)},
            "imbalance": {"name": wc.imbalance, **imbalance_cfg(wc.imbalance)},
            "augmenter": {"name": wc.augmenter, **augmenter_cfg(wc.augmenter)},
        },
        sampling_strategy=sampling_strategy,
        flip_safe=flip_safe,
        seed=lambda wc: int(wc.seed),
        generators=generator_dirs,
    script:
        "../scripts/augment.py"
