# Generative augmenters: generator training (one job per unit: class{c} or conditional),
# the per-dataset reference classifier, and generator quality.
# Checkpoints live in {unit}/checkpoints/, deliberately NOT an output: Snakemake deletes the
# outputs of a failed or incomplete job, and the rerun must find the checkpoints to resume.


rule train_generator:
    input:
        imbalanced="data/{dataset}/{imbalance}/seed{seed}/imbalanced.npz",
        counts="data/{dataset}/{imbalance}/seed{seed}/counts.json",
    output:
        generator="models/{dataset}/{imbalance}/{augmenter}/seed{seed}/{unit}/generator.pt",
        losses="models/{dataset}/{imbalance}/{augmenter}/seed{seed}/{unit}/losses.csv",
        selection="models/{dataset}/{imbalance}/{augmenter}/seed{seed}/{unit}/selection.json",
        samples=directory(
            "models/{dataset}/{imbalance}/{augmenter}/seed{seed}/{unit}/samples"
        ),
    log:
        "logs/train_generator/{dataset}/{imbalance}/{augmenter}/seed{seed}/{unit}.log",
    benchmark:
        "benchmarks/train_generator/{dataset}/{imbalance}/{augmenter}/seed{seed}/{unit}.tsv"
    conda:
        "../envs/gan.yaml"
    threads: 1
    params:
        method=lambda wc: augmenter_cfg(wc.augmenter)["method"],
        overrides=lambda wc: augmenter_cfg(wc.augmenter).get("params", {}),
        sampling_strategy=sampling_strategy,
        seed=lambda wc: int(wc.seed),
    script:
        "../scripts/train_generator.py"


rule train_reference:
    input:
        raw="data/raw/{dataset}.npz",
    output:
        classifier="models/{dataset}/reference/classifier.pt",
    log:
        "logs/train_reference/{dataset}.log",
    benchmark:
        "benchmarks/train_reference/{dataset}.tsv"
    conda:
        "../envs/gan.yaml"
    threads: 1
    params:
        overrides=config.get("reference_classifier", {}),
        seed=0,
    script:
        "../scripts/train_reference.py"


rule generator_quality:
    input:
        train="data/{dataset}/{imbalance}/{augmenter}/seed{seed}/train.npz",
        imbalanced="data/{dataset}/{imbalance}/seed{seed}/imbalanced.npz",
        reference="models/{dataset}/reference/classifier.pt",
    output:
        quality="results/{dataset}/{imbalance}/{augmenter}/seed{seed}/quality.json",
        sheets=directory(
            "reports/real_or_fake/{dataset}/{imbalance}/{augmenter}/seed{seed}"
        ),
    log:
        "logs/generator_quality/{dataset}/{imbalance}/{augmenter}/seed{seed}.log",
    benchmark:
        "benchmarks/generator_quality/{dataset}/{imbalance}/{augmenter}/seed{seed}.tsv"
    conda:
        "../envs/gan.yaml"
    threads: 1
    params:
        seed=lambda wc: int(wc.seed),
    script:
        "../scripts/generator_quality.py"
