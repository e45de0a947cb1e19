"""``selection: cao2019``: the exponential protocol keeps exactly the images of
kaidic/LDAM-DRW's IMBALANCECIFAR10 (checked against a line-by-line transcription of their
loop on a shuffled label order), and the choice is recorded in counts.json."""

from __future__ import annotations

import numpy as np
import pytest

from imbench.errors import ConfigError
from imbench.imbalance import make_imbalanced, select_indices, target_counts


def _their_subset(targets: np.ndarray, imb_factor: float, rand_number: int = 0) -> list[int]:
    """IMBALANCECIFAR10.__init__ / get_img_num_per_cls / gen_imbalanced_data, as positions."""
    np.random.seed(rand_number)  # noqa: NPY002 (their global legacy generator, verbatim)
    cls_num = 10
    img_max = len(targets) / cls_num
    img_num_per_cls = [int(img_max * (imb_factor ** (i / (cls_num - 1.0))))
                       for i in range(cls_num)]
    chosen: list[int] = []
    for the_class, the_img_num in zip(np.unique(targets), img_num_per_cls, strict=True):
        idx = np.where(targets == the_class)[0]
        np.random.shuffle(idx)  # noqa: NPY002
        chosen.extend(idx[:the_img_num].tolist())
    return sorted(chosen)


@pytest.fixture
def labels() -> np.ndarray:
    # 500 per class in a shuffled order, as in the official batches (not sorted by class)
    return np.random.default_rng(7).permutation(np.repeat(np.arange(10), 500))


@pytest.mark.parametrize("rho", [10, 100])
def test_cao2019_keeps_their_images(labels: np.ndarray, rho: int) -> None:
    cfg = {"protocol": "exponential", "rho": rho, "selection": "cao2019"}
    ours = select_indices(labels, cfg, seed=3)
    assert ours.tolist() == _their_subset(labels, 1 / rho)
    # the cell's seed does not enter: their subset is the same for every seed
    assert select_indices(labels, cfg, seed=4).tolist() == ours.tolist()
    # and it is not what imbench's own seeded draw keeps
    assert select_indices(labels, {**cfg, "selection": "imbench"}, seed=3).tolist() != \
        ours.tolist()


def test_real_scale_counts_are_theirs() -> None:
    # CIFAR-10-LT at rho = 100 from 5000 per class: their 12,406 images
    counts = target_counts({"protocol": "exponential", "rho": 100}, [5000] * 10)
    assert counts == [5000, 2997, 1796, 1077, 645, 387, 232, 139, 83, 50]
    assert sum(counts) == 12406


def test_indices_digest_recorded(labels: np.ndarray) -> None:
    x = np.zeros((len(labels), 2, 2, 1), np.uint8)
    cfg = {"protocol": "exponential", "rho": 10, "selection": "cao2019"}
    _, _, a = make_imbalanced(x, labels, cfg, seed=0)
    _, _, b = make_imbalanced(x, labels, cfg, seed=1)
    _, _, c = make_imbalanced(x, labels, {"protocol": "exponential", "rho": 10}, seed=0)
    assert a["indices_sha256"] == b["indices_sha256"] != c["indices_sha256"]
    assert len(a["indices_sha256"]) == 64


@pytest.mark.parametrize("bad, key", [
    ({"selection": "cao"}, "imbalance.selection"),
    ({"selection": "cao2019", "order": list(range(10))}, "imbalance.order"),
    ({"cao_seed": -1}, "imbalance.cao_seed"),
])
def test_bad_selection_named(labels: np.ndarray, bad: dict, key: str) -> None:
    with pytest.raises(ConfigError, match=key.replace(".", r"\.")):
        select_indices(labels, {"protocol": "exponential", "rho": 10, **bad}, seed=0)
