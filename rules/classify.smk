# Classifiers, one set of rules per stage (a classifier class declares its stage; see
# imbench.plan.stages). The rules write the same path pattern, so each is tied by a wildcard
# constraint to the classifier names of its stage.


# "cpu" (SVM): fit, then predict the test set once.
rule train_classifier:
    input:
        train=layout.TRAIN,
        raw=layout.RAW,
    output:
        predictions=layout.PREDICTIONS,
    log:
        layout.log("train_classifier", layout.CELL),
    benchmark:
        layout.benchmark("train_classifier", layout.CELL)
    wildcard_constraints:
        classifier=CPU_CLASSIFIERS,
    conda:
        "../envs/imbench.yaml"
    threads: 1
    params:
        classifier=lambda wc: GRID.classifier_cfg(wc.classifier),
        seed=lambda wc: int(wc.seed),
        cell=job_config("predictions"),
    script:
        "../scripts/train_classifier.py"


# "neural" (cnn, resnet18, small_cnn, egan; a GPU rule): fit, then predict once.
rule train_neural:
    input:
        train=layout.TRAIN,
        raw=layout.RAW,
    output:
        predictions=layout.PREDICTIONS,
        report=layout.TRAIN_REPORT,
    log:
        layout.log("train_neural", layout.CELL),
    benchmark:
        layout.benchmark("train_neural", layout.CELL)
    wildcard_constraints:
        classifier=NEURAL_CLASSIFIERS,
    conda:
        "../envs/nn.yaml"
    # one thread: the small CNNs fit faster on one than on two (a 4,796-image cifar10_lt
    # quick cell: 54 s vs 67 s on 2 cores), two cells then run side by side, and the
    # numbers do not change with --cores (--set-threads or profiles/gpu raise it)
    threads: 1
    params:
        classifier=lambda wc: GRID.classifier_cfg(wc.classifier),
        seed=lambda wc: int(wc.seed),
        cell=job_config("predictions"),
    script:
        "../scripts/train_classifier.py"


# "two_stage" (cnn_svm), first half (the GPU job): train the CNN, write it and its features.
rule train_cnn:
    input:
        train=layout.TRAIN,
        raw=layout.RAW,
    output:
        model=layout.CNN_MODEL,
        features=layout.CNN_FEATURES,
        report=layout.CNN_REPORT,
    log:
        layout.log("train_cnn", layout.CELL),
    benchmark:
        layout.benchmark("train_cnn", layout.CELL)
    wildcard_constraints:
        classifier=TWO_STAGE_CLASSIFIERS,
    conda:
        "../envs/nn.yaml"
    threads: 1  # as train_neural
    params:
        classifier=lambda wc: GRID.classifier_cfg(wc.classifier),
        seed=lambda wc: int(wc.seed),
        cell=job_config("predictions"),
    script:
        "../scripts/train_cnn.py"


# "two_stage", second half (CPU): RBF SVM on a §4.4 subsample of the training features.
rule fit_svm:
    input:
        features=layout.CNN_FEATURES,
    output:
        predictions=layout.PREDICTIONS,
        report=layout.SVM_REPORT,
    log:
        layout.log("fit_svm", layout.CELL),
    benchmark:
        layout.benchmark("fit_svm", layout.CELL)
    wildcard_constraints:
        classifier=TWO_STAGE_CLASSIFIERS,
    conda:
        "../envs/nn.yaml"
    threads: 1
    params:
        classifier=lambda wc: GRID.classifier_cfg(wc.classifier),
        seed=lambda wc: int(wc.seed),
        cell=job_config("predictions"),
    script:
        "../scripts/fit_svm.py"
