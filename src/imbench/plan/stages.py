"""Which workflow rules do a registry entry's work, and which of them want a GPU.

A classifier declares its ``stage`` (``imbench.classify.base.Classifier.stage``); a generative
augmenter declares the kind of generator it samples. This table maps those declarations onto
the rules of ``rules/*.smk``; the cluster profile's GPU rule list is read from it.
"""

from __future__ import annotations

from dataclasses import dataclass

from . import layout


@dataclass(frozen=True)
class Stage:
    """The rules that turn a rebalanced training set into ``predictions.npz``, and the file
    holding the per-epoch training history (None: the stage has no epochs)."""

    rules: tuple[str, ...]
    gpu_rules: tuple[str, ...] = ()
    history: str | None = None


#: classifier stage -> its rules. "cpu": scikit-learn on the CPU; "neural": one Keras job that
#: fits and predicts; "two_stage": cnn_svm's CNN on a GPU, then its SVM on a CPU.
CLASSIFIER_STAGES: dict[str, Stage] = {
    "cpu": Stage(("train_classifier",)),
    "neural": Stage(("train_neural",), gpu_rules=("train_neural",),
                    history=layout.TRAIN_REPORT),
    "two_stage": Stage(("train_cnn", "fit_svm"), gpu_rules=("train_cnn",),
                       history=layout.CNN_REPORT),
}

#: the rules of generative augmenters that train networks (the generators and the
#: per-dataset reference classifier of generator quality)
GENERATOR_GPU_RULES: tuple[str, ...] = ("train_generator", "train_reference")

#: every rule that asks for a GPU on a cluster (profiles/gpu/config.yaml reads this)
GPU_RULES: tuple[str, ...] = tuple(sorted(
    {r for s in CLASSIFIER_STAGES.values() for r in s.gpu_rules} | set(GENERATOR_GPU_RULES)))
