"""The augmenter contract (shared by every classic augmenter) plus method-specific checks."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from imbench.augment import AUGMENTERS, Augmenter
from imbench.errors import ConfigError, DataError
from imbench.sampling import resolve_sampling_strategy

CLASSIC = [n for n in AUGMENTERS if AUGMENTERS[n].generator is None]
#: augmenters whose output does not depend on random_state at all
DETERMINISTIC = {"none"}
COUNTS = [12, 5, 3]


def _dataset(shape: tuple[int, int, int], seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """A tiny imbalanced set, classes interleaved, every image unique: pixel (0, 0, 0) holds
    the image's index so outputs can be traced back to their source."""
    rng = np.random.default_rng(seed)
    y = rng.permutation(np.repeat(np.arange(len(COUNTS)), COUNTS)).astype(np.int64)
    x = rng.integers(0, 256, size=(len(y), *shape), dtype=np.uint8)
    x[:, 0, 0, 0] = np.arange(len(y))
    return x, y


def _make(name: str, **kw: object) -> Augmenter:
    return AUGMENTERS[name](**kw)


def test_classic_augmenters_listed() -> None:
    assert {"none", "ros", "rus", "smote", "transforms"} <= set(CLASSIC)


@pytest.mark.parametrize("shape", [(8, 8, 1), (8, 8, 3)], ids=["gray", "rgb"])
@pytest.mark.parametrize("name", CLASSIC)
def test_contract(name: str, shape: tuple[int, int, int]) -> None:
    x, y = _dataset(shape)
    x0, y0 = x.copy(), y.copy()
    aug = _make(name, random_state=0)
    xr, yr = aug.fit_resample(x, y)

    assert np.array_equal(x, x0) and np.array_equal(y, y0), "inputs must not be mutated"
    assert xr.dtype == np.uint8 and xr.ndim == 4 and xr.shape[1:] == shape
    assert yr.dtype == np.int64 and yr.shape == (len(xr),)
    n = aug.n_original_
    assert aug.synthetic_mask_.dtype == bool
    assert np.array_equal(aug.synthetic_mask_, np.arange(len(yr)) >= n)
    before = np.bincount(y, minlength=3)
    after = np.bincount(yr, minlength=3)

    if type(aug).kind == "over":
        assert n == len(y)
        assert np.array_equal(xr[:n], x) and np.array_equal(yr[:n], y), "originals first"
        expected = [before[c] + aug.sampling_strategy_.get(c, 0) for c in range(3)]
        assert after.tolist() == expected
        new_labels = np.bincount(yr[n:], minlength=3)
        assert new_labels.tolist() == [aug.sampling_strategy_.get(c, 0) for c in range(3)]
        if name == "none":
            assert aug.sampling_strategy_ == {} and len(yr) == len(y)
        else:
            assert after.tolist() == [max(COUNTS)] * 3, "auto: every class up to the majority"
    else:
        assert n == len(yr) and not aug.synthetic_mask_.any()
        src = xr[:, 0, 0, 0].astype(np.int64)  # each output traced to its source index
        assert np.all(np.diff(src) > 0), "a subset of the originals in their original order"
        assert np.array_equal(xr, x[src]) and np.array_equal(yr, y[src])
        expected = [aug.sampling_strategy_.get(c, before[c]) for c in range(3)]
        assert after.tolist() == expected == [min(COUNTS)] * 3, "auto: down to the minority"

    xs, ys = _make(name, random_state=0).fit_resample(x, y)
    assert np.array_equal(xs, xr) and np.array_equal(ys, yr), "same random_state, same output"
    xd, yd = _make(name, random_state=1).fit_resample(x, y)
    if name in DETERMINISTIC:
        assert np.array_equal(xd, xr)
    else:
        assert not np.array_equal(xd, xr), "a different random_state must change the output"


@pytest.mark.parametrize("name", CLASSIC)
def test_unknown_param(name: str) -> None:
    cls = AUGMENTERS[name]
    with pytest.raises(ConfigError) as exc:
        cls.check_params({"bogus_key": 1}, key=f"augmenters.{name}.params")
    assert exc.value.key == f"augmenters.{name}.params.bogus_key"
    for k in cls.default_params:
        assert k in str(exc.value)
    # imblearn style: __init__ only stores, fit_resample validates
    aug = cls(random_state=0, bogus_key=1)
    x, y = _dataset((4, 4, 1))
    with pytest.raises(ConfigError, match="bogus_key"):
        aug.fit_resample(x, y)
    cls.check_params({})  # the defaults themselves are valid


@pytest.mark.parametrize(
    "name, params, key",
    [
        ("smote", {"k_neighbors": 0}, "params.k_neighbors"),
        ("smote", {"k_neighbors": 2.5}, "params.k_neighbors"),
        ("transforms", {"blur_sigma": (1.0, 0.5)}, "params.blur_sigma"),
        ("transforms", {"fill_mode": "mirror"}, "params.fill_mode"),
        ("transforms", {"zoom_range": 1.5}, "params.zoom_range"),
        ("transforms", {"blur_probability": 2}, "params.blur_probability"),
        ("transforms", {"horizontal_flip": True, "flip_safe": False}, "params.horizontal_flip"),
    ],
)
def test_bad_param_values(name: str, params: dict, key: str) -> None:
    with pytest.raises(ConfigError) as exc:
        AUGMENTERS[name].check_params(params)
    assert exc.value.key == key


def test_flip_checked_only_when_dataset_known() -> None:
    cls = AUGMENTERS["transforms"]
    cls.check_params({"horizontal_flip": True, "flip_safe": True})
    # config validation runs before the workflow adds flip_safe: no verdict yet ...
    cls.check_params({"horizontal_flip": True})
    # ... but fitting without flip_safe treats the dataset as not flip-invariant
    x, y = _asymmetric_set()
    with pytest.raises(ConfigError, match="flip_safe=False"):
        cls(horizontal_flip=True, random_state=0).fit_resample(x, y)


COUNTS_MAP = {0: 10, 1: 4, 2: 2}


@pytest.mark.parametrize(
    "strategy, kind, expected",
    [
        ("auto", "over", {1: 6, 2: 8}),
        ("not majority", "over", {1: 6, 2: 8}),
        ("minority", "over", {2: 8}),
        ("all", "over", {1: 6, 2: 8}),
        ("not minority", "over", {1: 6}),
        ({1: 7}, "over", {1: 3}),
        ({"2": 3}, "over", {2: 1}),
        (0.5, "over", {1: 1, 2: 3}),
        (1.0, "over", {1: 6, 2: 8}),
        ("auto", "under", {0: 2, 1: 2}),
        ("not minority", "under", {0: 2, 1: 2}),
        (0.5, "under", {0: 4, 1: 4, 2: 2}),
        ({0: 5}, "under", {0: 5}),
    ],
)
def test_resolve_sampling_strategy(strategy: object, kind: str, expected: dict) -> None:
    assert resolve_sampling_strategy(strategy, COUNTS_MAP, kind=kind) == expected


@pytest.mark.parametrize(
    "strategy", ["majority-ish", "", 0, 0.0, 1.5, -0.5, {5: 3}, {1: -1}, {1: "7"}, None, True]
)
def test_resolve_sampling_strategy_errors(strategy: object) -> None:
    with pytest.raises(ConfigError) as exc:
        resolve_sampling_strategy(strategy, COUNTS_MAP)
    assert exc.value.key.startswith("sampling_strategy")


def _on_segment(new: np.ndarray, a: np.ndarray, b: np.ndarray) -> bool:
    """True when some t in [0, 1] gives |new - (a + t (b - a))| <= 0.5 in every pixel, i.e.
    ``new`` is a point of the segment a-b up to rounding to integers."""
    lo, hi = 0.0, 1.0
    tol = 0.5 + 1e-6
    for n_, a_, d in zip(new, a, b - a, strict=True):
        if d == 0:
            if abs(n_ - a_) > tol:
                return False
            continue
        t1, t2 = sorted(((n_ - tol - a_) / d, (n_ + tol - a_) / d))
        lo, hi = max(lo, t1), min(hi, t2)
    return lo <= hi


def test_smote_interpolates_between_nearest_neighbours() -> None:
    rng = np.random.default_rng(1)
    x = rng.integers(0, 256, size=(8, 4, 4, 1), dtype=np.uint8)
    y = np.array([0, 0, 0, 0, 0, 0, 1, 1], dtype=np.int64)
    aug = _make("smote", random_state=0, k_neighbors=1)
    xr, yr = aug.fit_resample(x, y)
    pts = x[y == 1].reshape(2, -1).astype(float)
    assert aug.sampling_strategy_ == {1: 4}
    # with two class-1 images and k=1, every new image lies on the segment between them
    a, b = pts
    for new in xr[8:].reshape(4, -1).astype(float):
        assert _on_segment(new, a, b)
        assert not (np.array_equal(new, a) or np.array_equal(new, b)), "a new image"


def test_smote_uses_k_nearest_neighbours() -> None:
    rng = np.random.default_rng(2)
    x = rng.integers(0, 256, size=(14, 4, 4, 1), dtype=np.uint8)
    y = np.array([0] * 10 + [1] * 4, dtype=np.int64)
    xr, _ = _make("smote", random_state=3, k_neighbors=1).fit_resample(x, y)
    pts = x[y == 1].reshape(4, -1).astype(float)
    dist = np.linalg.norm(pts[:, None] - pts[None], axis=-1) + np.diag([np.inf] * 4)
    nearest = {(i, int(np.argmin(dist[i]))) for i in range(4)}
    for new in xr[14:].reshape(6, -1).astype(float):
        fits = [
            (i, j) for i, j in itertools.permutations(range(4), 2)
            if _on_segment(new, pts[i], pts[j])
        ]
        assert fits, "every SMOTE image lies on a segment between two real images"
        assert set(fits) & nearest, "... whose second end is the first's nearest neighbour"


def test_smote_clips_k_and_rejects_single_image_class() -> None:
    x, y = _dataset((4, 4, 1))  # smallest class has 3 images < default k=5 + 1
    xr, _ = _make("smote", random_state=0).fit_resample(x, y)
    assert len(xr) == 3 * max(COUNTS)
    y1 = np.array([0, 0, 0, 1], dtype=np.int64)
    with pytest.raises(DataError, match="class 1 has 1 image"):
        _make("smote", random_state=0).fit_resample(x[:4], y1)


STILL = {
    "rotation_range": 0, "width_shift_range": 0, "height_shift_range": 0,
    "shear_range": 0, "zoom_range": 0, "blur_probability": 0,
}


def _asymmetric_set() -> tuple[np.ndarray, np.ndarray]:
    img = np.zeros((6, 6, 3), dtype=np.uint8)
    img[:, :2] = 255  # bright left band: a flip moves it to the right
    img[1, 4] = 90
    x = np.stack([np.full((6, 6, 3), 40, np.uint8)] * 5 + [img])
    return x, np.array([0] * 5 + [1], dtype=np.int64)


def test_transforms_never_flip_when_unsafe() -> None:
    x, y = _asymmetric_set()
    xr, _ = _make("transforms", random_state=0, **STILL).fit_resample(x, y)
    assert len(xr) == 10
    for new in xr[6:]:
        assert np.array_equal(new, x[5]), "no transform and no flip: an exact copy"


def test_transforms_flip_when_safe() -> None:
    x, y = _asymmetric_set()
    xr, _ = _make("transforms", random_state=0, flip_safe=True, **STILL).fit_resample(x, y)
    flipped = [np.array_equal(new, x[5, :, ::-1]) for new in xr[6:]]
    same = [np.array_equal(new, x[5]) for new in xr[6:]]
    assert all(f or s for f, s in zip(flipped, same, strict=True))
    assert any(flipped) and any(same)
    with pytest.raises(ConfigError, match="horizontal_flip"):
        _make("transforms", horizontal_flip=True, **STILL).fit_resample(x, y)


def test_transforms_default_changes_images() -> None:
    x, y = _dataset((8, 8, 1))
    aug = _make("transforms", random_state=0)
    xr, yr = aug.fit_resample(x, y)
    originals = {img.tobytes() for img in x}
    assert sum(img.tobytes() not in originals for img in xr[len(x):]) > 0.8 * (len(xr) - len(x))


def test_transforms_zca() -> None:
    rng = np.random.default_rng(4)
    base = np.linspace(30, 220, 64).reshape(8, 8)
    x = np.clip(base[None, :, :, None] + rng.normal(0, 20, (9, 8, 8, 1)), 0, 255)
    x = x.astype(np.uint8)
    y = np.array([0] * 6 + [1] * 3, dtype=np.int64)
    xr, _ = _make("transforms", random_state=0, zca_whitening=True, **STILL).fit_resample(x, y)
    new = xr[9:]
    assert new.dtype == np.uint8 and new.shape == (3, 8, 8, 1)
    for img in new:
        # without other transforms each new image is a whitened copy of a class-1 image
        assert not any(np.array_equal(img, src) for src in x[6:])
        # ... whose intensity mean is restored (up to clipping at 0 / 255)
        assert min(abs(float(img.mean()) - float(s.mean())) for s in x[6:]) < 12
