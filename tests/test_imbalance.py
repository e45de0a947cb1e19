"""Imbalance protocols: the reference study's exact configurations, determinism and every
ConfigError path."""

from __future__ import annotations

import math

import numpy as np
import pytest

from imbench.errors import ConfigError
from imbench.imbalance import (
    PROTOCOLS,
    check_protocol,
    imbalance_ratio,
    make_imbalanced,
    select_indices,
    target_counts,
)

FM_DROP = {"protocol": "drop", "drop": {3: 5300, 4: 5500, 5: 5000, 7: 5450}}
# MNIST's real per-class train sizes (classes are not equal, unlike Fashion-MNIST/CIFAR-10)
MNIST_COUNTS = [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]


def _labels(counts: list[int], seed: int = 0) -> np.ndarray:
    """Shuffled labels with the given class counts, as real datasets interleave classes."""
    y = np.repeat(np.arange(len(counts)), counts)
    return np.random.default_rng(seed).permutation(y).astype(np.int64)


def test_fashion_mnist_seed000_protocol_target_counts() -> None:
    counts = target_counts(FM_DROP, [6000] * 10)
    assert counts == [6000, 6000, 6000, 700, 500, 1000, 6000, 550, 6000, 6000]
    assert imbalance_ratio(counts) == 12.0


def test_fashion_mnist_seed000_protocol_make_imbalanced() -> None:
    y = _labels([6000] * 10)
    # 1x1 images whose value is the label let us check images travel with their labels
    x = y.astype(np.uint8).reshape(-1, 1, 1, 1)
    x_out, y_out, info = make_imbalanced(x, y, FM_DROP, seed=0)
    assert np.bincount(y_out).tolist() == [6000, 6000, 6000, 700, 500, 1000, 6000, 550, 6000, 6000]
    assert info["counts"] == np.bincount(y_out).tolist()
    assert info["original_counts"] == [6000] * 10
    assert info["rho"] == 12.0 and isinstance(info["rho"], float)
    assert info["minority_classes"] == [3, 4, 5, 7]
    assert info["protocol"] == FM_DROP
    assert x_out.shape == (len(y_out), 1, 1, 1) and y_out.dtype == np.int64
    assert np.array_equal(x_out[:, 0, 0, 0], y_out)


def test_cifar10_drop_protocol_rho_10() -> None:
    cfg = {"protocol": "drop", "drop": {1: 2500, 2: 3500, 3: 4000, 7: 4500}}
    counts = target_counts(cfg, [5000] * 10)
    assert [counts[c] for c in (1, 2, 3, 7)] == [2500, 1500, 1000, 500]
    assert imbalance_ratio(counts) == 10.0


@pytest.mark.parametrize("rho, expected", [(20, 337), (40, 168), (190, 35)])
def test_mnist_seed001_step_on_class_0(rho: int, expected: int) -> None:
    cfg = {"protocol": "step", "mu": 0.1, "rho": rho, "classes": [0]}
    counts = target_counts(cfg, MNIST_COUNTS)
    # minority size is floor(n_max / rho) with n_max the largest class (class 1: 6742)
    assert counts[0] == expected == math.floor(6742 / rho)
    assert counts[1:] == MNIST_COUNTS[1:]
    _, y_out, info = make_imbalanced(
        np.zeros((sum(MNIST_COUNTS), 1, 1, 1), np.uint8), _labels(MNIST_COUNTS), cfg, seed=1
    )
    assert np.bincount(y_out)[0] == expected
    assert info["minority_classes"][0] == 0
    assert info["rho"] == pytest.approx(6742 / expected)


@pytest.mark.parametrize("rho, expected", [(20, 250), (40, 125), (190, 26)])
def test_mnist_seed001_step_with_the_papers_cap_of_5000(rho: int, expected: int) -> None:
    # §3.1: every class subsampled to no more than 5,000 examples, then class 0 cut by rho
    cfg = {"protocol": "step", "mu": 0.1, "rho": rho, "classes": [0], "cap": 5000}
    counts = target_counts(cfg, MNIST_COUNTS)
    assert counts == [expected] + [min(n, 5000) for n in MNIST_COUNTS[1:]]
    y = _labels(MNIST_COUNTS)
    _, y_out, info = make_imbalanced(np.zeros((len(y), 1, 1, 1), np.uint8), y, cfg, seed=1)
    assert np.bincount(y_out).tolist() == counts
    assert info["rho"] == pytest.approx(5000 / expected)
    # the capped majority images are a seeded uniform draw: another seed keeps others
    kept = {s: select_indices(y, cfg, seed=s) for s in (1, 2)}
    assert not np.array_equal(kept[1], kept[2])
    with pytest.raises(ConfigError, match="cap"):
        check_protocol("x", {**cfg, "cap": 0}, MNIST_COUNTS, 10)


def test_step_defaults_to_last_classes() -> None:
    step = {"protocol": "step", "mu": 0.3, "rho": 4}
    assert target_counts(step, [100] * 10) == [100] * 7 + [25] * 3
    # round half up: mu * C = 2.5 -> 3 minority classes (Python's round() would give 2)
    assert target_counts({"protocol": "step", "mu": 0.5, "rho": 2}, [10] * 5) == [10, 10, 5, 5, 5]


def test_exponential_cifar10_lt() -> None:
    counts = target_counts({"protocol": "exponential", "rho": 100}, [5000] * 10)
    # CIFAR-10-LT (Cui et al. 2019) imbalance factor 100
    assert counts == [5000, 2997, 1796, 1077, 645, 387, 232, 139, 83, 50]


def test_linear_and_order() -> None:
    counts = target_counts({"protocol": "linear", "rho": 10}, [5000] * 10)
    assert counts == [5000, 4500, 4000, 3500, 3000, 2500, 2000, 1500, 1000, 500]
    rev = target_counts({"protocol": "exponential", "rho": 4, "order": [2, 1, 0]}, [100] * 3)
    assert rev == [25, 50, 100]


def test_keep_ratio_counts_none() -> None:
    keep = {"protocol": "keep_ratio", "keep": {0: 0.29, 2: 1}}
    assert target_counts(keep, [100] * 3) == [29, 100, 100]  # 0.29 * 100 floors to 29, not 28
    assert target_counts({"protocol": "counts", "counts": {"1": 7}}, [10, 10]) == [10, 7]
    assert target_counts({"protocol": "none"}, [3, 5]) == [3, 5]
    assert set(PROTOCOLS) == {
        "none", "drop", "keep_ratio", "step", "linear", "exponential", "counts",
    }


def test_targets_capped_at_class_size() -> None:
    # class 0 (smaller than n_max) cannot receive more images than it has
    assert target_counts({"protocol": "linear", "rho": 2}, [50, 100, 100]) == [50, 75, 50]


def test_determinism_and_order() -> None:
    y = _labels([200, 200, 200])
    cfg = {"protocol": "counts", "counts": {0: 20, 2: 50}}
    a, b = select_indices(y, cfg, seed=0), select_indices(y, cfg, seed=0)
    c = select_indices(y, cfg, seed=1)
    assert np.array_equal(a, b)
    assert not np.array_equal(a, c)
    assert np.all(np.diff(a) > 0), "kept images keep their original relative order"
    assert np.bincount(y[a]).tolist() == [20, 200, 50]


def test_harsher_protocol_keeps_subset() -> None:
    y = _labels([300, 300])
    mild = select_indices(y, {"protocol": "counts", "counts": {0: 100}}, seed=3)
    harsh = select_indices(y, {"protocol": "counts", "counts": {0: 10}}, seed=3)
    assert set(harsh) < set(mild) and len(harsh) == 310


def test_imbalance_ratio() -> None:
    assert imbalance_ratio([10, 5, 20]) == 4.0
    assert imbalance_ratio([3, 0]) == math.inf
    with pytest.raises(ValueError):
        imbalance_ratio([])


@pytest.mark.parametrize(
    "cfg, counts, n_classes, key, value, allowed",
    [
        ({"protocol": "zipf"}, None, None, "imbalances.p.protocol", "zipf", "'exponential'"),
        ({"protocol": "step", "mu": 0.1, "rho": 0.5}, None, 10, "imbalances.p.rho", 0.5, ">= 1"),
        ({"protocol": "exponential", "rho": 0}, None, None, "imbalances.p.rho", 0, ">= 1"),
        ({"protocol": "step", "mu": 1.0, "rho": 2}, None, 10, "imbalances.p.mu", 1.0, "(0, 1)"),
        ({"protocol": "step", "mu": 0, "rho": 2}, None, None, "imbalances.p.mu", 0, "(0, 1)"),
        (FM_DROP, None, 6, "imbalances.p.drop.7", 7, "0..5"),
        ({"protocol": "step", "rho": 2, "classes": [12]}, None, 10,
         "imbalances.p.classes.0", 12, "0..9"),
        ({"protocol": "drop", "drop": {3: 6001}}, [6000] * 10, None,
         "imbalances.p.drop.3", 6001, "class size 6000"),
        ({"protocol": "counts", "counts": {1: 80}}, [50, 60], None,
         "imbalances.p.counts.1", 80, "class size 60"),
        ({"protocol": "keep_ratio", "keep": {0: 0}}, None, None,
         "imbalances.p.keep.0", 0, "(0, 1]"),
        ({"protocol": "keep_ratio", "keep": {0: 1.5}}, None, None,
         "imbalances.p.keep.0", 1.5, "(0, 1]"),
        ({"protocol": "drop", "drop": {0: 1}, "rho": 3}, None, None,
         "imbalances.p.rho", 3, "['drop']"),
        ({"protocol": "step", "mu": 0.1, "rho": 2, "dorp": 1}, None, None,
         "imbalances.p.dorp", 1, "['cap', 'classes', 'mu', 'rho']"),
        ({"protocol": "drop", "drop": {0: 100}}, [100, 100], None,
         "imbalances.p", None, "class 0 (size 100) would keep 0"),
        ({"protocol": "exponential", "rho": 1000}, [500, 500, 500], None,
         "imbalances.p", None, "class 2 (size 500) would keep 0"),
        ({"protocol": "keep_ratio", "keep": {1: 0.01}}, [100, 10], None,
         "imbalances.p", None, "class 1 (size 10) would keep 0"),
        ({"protocol": "step", "mu": 0.2, "rho": 2, "classes": [0]}, None, 10,
         "imbalances.p.classes", [0], "2 classes"),
        ({"protocol": "step", "mu": 0.01, "rho": 2}, None, 10, "imbalances.p.mu", 0.01, "1..9"),
        ({"protocol": "linear", "rho": 2, "order": [0, 1]}, None, 3,
         "imbalances.p.order", [0, 1], "permutation"),
        ({"protocol": "drop"}, None, None, "imbalances.p.drop", None, "required"),
    ],
)
def test_config_errors(
    cfg: dict, counts: list[int] | None, n_classes: int | None, key: str, value: object,
    allowed: str,
) -> None:
    with pytest.raises(ConfigError) as exc:
        check_protocol("p", cfg, counts, n_classes)
    err = exc.value
    assert err.key == key
    if value is not None:
        assert err.value == value
        assert repr(value) in str(err)
    assert allowed in err.allowed
    assert key in str(err) and allowed in str(err)


def test_valid_configs_pass_with_and_without_counts() -> None:
    for counts, n in ((None, None), (None, 10), ([6000] * 10, None), ([6000] * 10, 10)):
        check_protocol("fm", FM_DROP, counts, n)  # must not raise
    with pytest.raises(ConfigError, match="n_classes"):
        check_protocol("fm", FM_DROP, [6000] * 10, 9)


def test_target_counts_validates() -> None:
    with pytest.raises(ConfigError, match="class size 6000"):
        target_counts({"protocol": "drop", "drop": {0: 7000}}, [6000] * 2)
