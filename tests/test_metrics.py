"""compute_metrics against values worked out by hand on a 9-image, 3-class example."""

from __future__ import annotations

import json

import numpy as np
import pytest
from sklearn.metrics import balanced_accuracy_score

from imbench.metrics import METRIC_NAMES, compute_metrics

# Supports 4, 3, 2. Recalls 3/4, 2/3, 1/2; precisions 3/4 (pred 0: 3 of 4), 2/3, 1/2.
Y_TRUE = np.array([0, 0, 0, 0, 1, 1, 1, 2, 2])
Y_PRED = np.array([0, 0, 0, 1, 1, 1, 2, 2, 0])

# Probabilities whose argmax is Y_PRED.
PROBS = np.array([
    [0.7, 0.2, 0.1],
    [0.6, 0.3, 0.1],
    [0.5, 0.1, 0.4],
    [0.3, 0.6, 0.1],
    [0.1, 0.8, 0.1],
    [0.2, 0.5, 0.3],
    [0.1, 0.3, 0.6],
    [0.2, 0.1, 0.7],
    [0.45, 0.2, 0.35],
])


def pairwise_auc(positive: np.ndarray, score: np.ndarray) -> float:
    """AUC by its definition: P(score of a positive > score of a negative), ties count 1/2."""
    pos, neg = score[positive], score[~positive]
    diff = pos[:, None] - neg[None, :]
    return float(((diff > 0).sum() + 0.5 * (diff == 0).sum()) / diff.size)


def test_hand_computed_values():
    m = compute_metrics(Y_TRUE, Y_PRED, PROBS, 3, class_names=["a", "b", "c"],
                        score_kind="probability")
    assert m["accuracy"] == pytest.approx(6 / 9)
    recalls = [3 / 4, 2 / 3, 1 / 2]
    # Precision equals recall per class in this example, so F1 does too.
    assert m["precision_macro"] == pytest.approx(np.mean(recalls))
    assert m["recall_macro"] == pytest.approx(np.mean(recalls))
    assert m["f1_macro"] == pytest.approx(np.mean(recalls))
    assert m["balanced_accuracy"] == pytest.approx(np.mean(recalls))
    assert m["balanced_accuracy"] == pytest.approx(balanced_accuracy_score(Y_TRUE, Y_PRED))
    assert m["g_mean"] == pytest.approx((3 / 4 * 2 / 3 * 1 / 2) ** (1 / 3))
    assert m["confusion_matrix"] == [[3, 1, 0], [0, 2, 1], [1, 0, 1]]
    assert [r["support"] for r in m["per_class"]] == [4, 3, 2]
    assert [r["name"] for r in m["per_class"]] == ["a", "b", "c"]
    assert [r["recall"] for r in m["per_class"]] == pytest.approx(recalls)
    assert m["score_kind"] == "probability"
    assert "n-th root" in m["definitions"]["g_mean"]
    assert "roc_auc_score(y_true == c, scores[:, c])" in m["definitions"]["auc_ovr_macro"]
    json.dumps(m)  # must be JSON-serialisable as is


def test_auc_hand_value_and_per_column_definition():
    m = compute_metrics(Y_TRUE, Y_PRED, PROBS, 3)
    # Class 2: positives score 0.7, 0.35; negatives 0.1 0.1 0.4 0.1 0.1 0.3 0.6.
    # 0.7 beats all 7; 0.35 beats 5 (the 0.1s and 0.3) -> 12 / 14.
    assert m["auc_per_class"]["2"] == pytest.approx(12 / 14)
    expected = [pairwise_auc(Y_TRUE == c, PROBS[:, c]) for c in range(3)]
    assert m["auc_ovr_macro"] == pytest.approx(np.mean(expected))
    assert m["auc_skipped_classes"] == []


def test_auc_same_for_decision_values_monotone_per_column():
    # A different strictly increasing map per column keeps each column's ranking.
    decision = np.column_stack([
        np.log(PROBS[:, 0]), 3 * PROBS[:, 1] - 7, np.exp(5 * PROBS[:, 2])
    ])
    a = compute_metrics(Y_TRUE, Y_PRED, PROBS, 3, score_kind="probability")
    b = compute_metrics(Y_TRUE, Y_PRED, decision, 3, score_kind="decision")
    assert b["auc_ovr_macro"] == pytest.approx(a["auc_ovr_macro"])
    assert b["auc_per_class"] == pytest.approx(a["auc_per_class"])


def test_g_mean_is_zero_when_a_recall_is_zero():
    m = compute_metrics([0, 0, 1, 1, 2, 2], [0, 0, 1, 1, 0, 0], None, 3)
    assert m["g_mean"] == 0.0
    assert m["balanced_accuracy"] == pytest.approx(2 / 3)
    assert m["auc_ovr_macro"] is None


def test_g_mean_ignores_classes_only_predicted():
    # Class 2 has no test image: imblearn's default labels would give it recall 0/0 -> 0 and
    # a g-mean of 0; over the classes with test images it is sqrt(1/2 * 1).
    m = compute_metrics([0, 0, 1, 1], [0, 2, 1, 1], None, 3)
    assert m["g_mean"] == pytest.approx(np.sqrt(0.5))
    assert m["recall_macro"] == pytest.approx(0.75)
    assert m["per_class"][2]["support"] == 0


def test_auc_skips_and_lists_absent_classes():
    scores = np.column_stack([PROBS, np.zeros(len(Y_TRUE))])
    m = compute_metrics(Y_TRUE, Y_PRED, scores, 4)
    assert m["auc_skipped_classes"] == [3]
    assert set(m["auc_per_class"]) == {"0", "1", "2"}


def test_minority_recall():
    m = compute_metrics(Y_TRUE, Y_PRED, PROBS, 3, minority_classes=[2, 1])
    assert m["minority_recall"] == pytest.approx((2 / 3 + 1 / 2) / 2)
    assert m["minority_recall_per_class"] == pytest.approx({"1": 2 / 3, "2": 1 / 2})
    assert m["minority_classes"] == [1, 2]
    none = compute_metrics(Y_TRUE, Y_PRED, PROBS, 3)
    assert none["minority_recall"] is None and none["minority_recall_per_class"] is None
    assert none["minority_precision"] is None and none["minority_auc"] is None


def test_minority_precision_f1_auc_are_the_positive_class_ones_of_a_binary_task():
    # seed 002 reports the trouser class's P/R/F1/AUC: with one minority class they are its
    from sklearn.metrics import f1_score, precision_score, roc_auc_score

    y = np.array([0, 0, 0, 0, 1, 1, 1, 0])
    pred = np.array([0, 1, 0, 0, 1, 0, 1, 0])
    p1 = np.array([0.1, 0.6, 0.2, 0.3, 0.9, 0.4, 0.8, 0.45])
    m = compute_metrics(y, pred, np.column_stack([1 - p1, p1]), 2, minority_classes=[1])
    assert m["minority_precision"] == pytest.approx(precision_score(y, pred))
    assert m["minority_f1"] == pytest.approx(f1_score(y, pred))
    assert m["minority_recall"] == pytest.approx(2 / 3)
    assert m["minority_auc"] == pytest.approx(roc_auc_score(y, p1))
    # over several minority classes: the mean of their per-class values
    several = compute_metrics(Y_TRUE, Y_PRED, PROBS, 3, minority_classes=[1, 2])
    rows = {r["class"]: r for r in several["per_class"]}
    assert several["minority_precision"] == pytest.approx(
        (rows[1]["precision"] + rows[2]["precision"]) / 2)
    assert several["minority_auc"] == pytest.approx(
        (several["auc_per_class"]["1"] + several["auc_per_class"]["2"]) / 2)


def test_metric_names_are_scalars_in_result():
    m = compute_metrics(Y_TRUE, Y_PRED, PROBS, 3, minority_classes=[2],
                        score_kind="probability", train_counts=[100, 10, 3])
    for name in METRIC_NAMES:
        assert isinstance(m[name], float), name


@pytest.mark.parametrize(
    "kwargs",
    [
        {"y_pred": [0, 0, 3]},  # label out of range
        {"scores": np.zeros((3, 2))},  # wrong score shape
        {"minority_classes": [5]},
    ],
)
def test_bad_input_raises(kwargs):
    args = {"y_true": [0, 1, 2], "y_pred": [0, 1, 2], "scores": None, "n_classes": 3}
    args.update(kwargs)
    with pytest.raises(ValueError):
        compute_metrics(args.pop("y_true"), args.pop("y_pred"), args.pop("scores"),
                        args.pop("n_classes"), **args)


def test_long_tail_metrics_by_hand():
    from imbench.metrics import compute_metrics, expected_calibration_error, shot_groups

    # 3 classes with 500 / 60 / 10 training images: many (> 100), medium, few (< 20)
    assert shot_groups([500, 60, 10]) == {"many": [0], "medium": [1], "few": [2]}
    assert shot_groups([500, 60, 10], {"many": 0.1, "few": 0.01}) == {
        "many": [0, 1], "medium": [2], "few": []}
    y = np.array([0, 0, 1, 1, 2, 2])
    pred = np.array([0, 0, 1, 0, 2, 0])
    scores = np.array([[.9, .05, .05], [.6, .3, .1], [.2, .7, .1],
                       [.5, .4, .1], [.1, .1, .8], [.4, .3, .3]])
    m = compute_metrics(y, pred, scores, 3, score_kind="probability", train_counts=[500, 60, 10])
    assert (m["many_shot_accuracy"], m["medium_shot_accuracy"], m["few_shot_accuracy"]) == (
        1.0, 0.5, 0.5)
    assert m["shot_groups"] == {"many": [0], "medium": [1], "few": [2]}
    # ECE: confidences .9 .6 .7 .5 .8 .4, each alone in its 1/15-wide bin, correct for the
    # first, second, third and fifth: (|1-.9| + |1-.6| + |1-.7| + |0-.5| + |1-.8| + |0-.4|) / 6
    assert m["ece"] == pytest.approx((.1 + .4 + .3 + .5 + .2 + .4) / 6)
    assert expected_calibration_error(np.array([0, 0]), np.array([[1.0, 0.0], [1.0, 0.0]])) == 0
    from sklearn.metrics import average_precision_score, matthews_corrcoef

    assert m["mcc"] == pytest.approx(matthews_corrcoef(y, pred))
    assert m["pr_auc_macro"] == pytest.approx(np.mean(
        [average_precision_score(y == c, scores[:, c]) for c in range(3)]))
    # decision values have no calibration; no training counts, no shot groups
    d = compute_metrics(y, pred, scores, 3, score_kind="decision")
    assert d["ece"] is None and d["few_shot_accuracy"] is None and d["shot_groups"] is None
