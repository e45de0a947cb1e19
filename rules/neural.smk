# Keras classifiers (imbench.classify.neural / egan). Each rule is tied by a wildcard
# constraint to the classifier names that common.smk routes to it (CLASSIFIER_STAGES), because
# train_neural, fit_svm and train_classifier write the same path pattern.


# Single-stage networks (cnn, resnet18, small_cnn, egan): fit, then predict the test set once.
rule train_neural:
    input:
        train="data/{dataset}/{imbalance}/{augmenter}/seed{seed}/train.npz",
        raw="data/raw/{dataset}.npz",
    output:
        predictions="results/{dataset}/{imbalance}/{augmenter}/{classifier}/seed{seed}/predictions.npz",
        report="results/{dataset}/{imbalance}/{augmenter}/{classifier}/seed{seed}/train_report.json",
    log:
        "logs/train_neural/{dataset}/{imbalance}/{augmenter}/{classifier}/seed{seed}.log",
    benchmark:
        "benchmarks/train_neural/{dataset}/{imbalance}/{augmenter}/{classifier}/seed{seed}.tsv"
    wildcard_constraints:
        classifier=NEURAL_CLASSIFIERS,
    conda:
        "../envs/nn.yaml"
    threads: 2
    params:
        classifier=lambda wc: classifier_cfg(wc.classifier),
        seed=lambda wc: int(wc.seed),
        cell=cell_config,
    script:
        "../scripts/train_neural.py"


# cnn_svm, first half (the GPU job): train the CNN, write it and its 1024-d features.
rule train_cnn:
    input:
        train="data/{dataset}/{imbalance}/{augmenter}/seed{seed}/train.npz",
        raw="data/raw/{dataset}.npz",
    output:
        model="models/{dataset}/{imbalance}/{augmenter}/{classifier}/seed{seed}/cnn.keras",
        features="models/{dataset}/{imbalance}/{augmenter}/{classifier}/seed{seed}/features.npz",
        report="models/{dataset}/{imbalance}/{augmenter}/{classifier}/seed{seed}/train_report.json",
    log:
        "logs/train_cnn/{dataset}/{imbalance}/{augmenter}/{classifier}/seed{seed}.log",
    benchmark:
        "benchmarks/train_cnn/{dataset}/{imbalance}/{augmenter}/{classifier}/seed{seed}.tsv"
    wildcard_constraints:
        classifier=CNN_SVM_CLASSIFIERS,
    conda:
        "../envs/nn.yaml"
    threads: 2
    params:
        classifier=lambda wc: classifier_cfg(wc.classifier),
        seed=lambda wc: int(wc.seed),
        cell=cell_config,
    script:
        "../scripts/train_cnn.py"


# cnn_svm, second half (CPU): RBF SVM on a §4.4 subsample of the training features.
rule fit_svm:
    input:
        features="models/{dataset}/{imbalance}/{augmenter}/{classifier}/seed{seed}/features.npz",
    output:
        predictions="results/{dataset}/{imbalance}/{augmenter}/{classifier}/seed{seed}/predictions.npz",
        report="results/{dataset}/{imbalance}/{augmenter}/{classifier}/seed{seed}/svm_report.json",
    log:
        "logs/fit_svm/{dataset}/{imbalance}/{augmenter}/{classifier}/seed{seed}.log",
    benchmark:
        "benchmarks/fit_svm/{dataset}/{imbalance}/{augmenter}/{classifier}/seed{seed}.tsv"
    wildcard_constraints:
        classifier=CNN_SVM_CLASSIFIERS,
    conda:
        "../envs/nn.yaml"
    threads: 1
    params:
        classifier=lambda wc: classifier_cfg(wc.classifier),
        seed=lambda wc: int(wc.seed),
        cell=cell_config,
    script:
        "../scripts/fit_svm.py"
