# CPU classifiers (SVM). Neural classifiers have their own rules in neural.smk.
rule train_classifier:
    input:
        train="data/{dataset}/{imbalance}/{augmenter}/seed{seed}/train.npz",
        raw="data/raw/{dataset}.npz",
    output:
        predictions="results/{dataset}/{imbalance}/{augmenter}/{classifier}/seed{seed}/predictions.npz",
    log:
        "logs/train_classifier/{dataset}/{imbalance}/{augmenter}/{classifier}/seed{seed}.log",
    benchmark:
        "benchmarks/train_classifier/{dataset}/{imbalance}/{augmenter}/{classifier}/seed{seed}.tsv"
    wildcard_constraints:
        classifier=CPU_CLASSIFIERS,
    conda:
        "../envs/imbench.yaml"
    threads: 1
    params:
        classifier=lambda wc: classifier_cfg(wc.classifier),
        seed=lambda wc: int(wc.seed),
    script:
        "../scripts/train_classifier.py"
