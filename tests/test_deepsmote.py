"""DeepSMOTE: its step lowers the reconstruction error, and its samples are SMOTE points
between a class's codes (on the segment from a code to one of its nearest neighbours)."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from imbench.generators import load_config  # noqa: E402
from imbench.generators.methods import DeepSmote, to_float  # noqa: E402


def _method(k: int = 2) -> DeepSmote:
    cfg = load_config("deepsmote", {"latent_dim": 4, "width": 8, "k_neighbors": k})
    torch.manual_seed(0)
    return DeepSmote(cfg, (8, 8, 1), 3, torch.device("cpu"))


def test_training_steps_lower_the_reconstruction_error():
    m = _method()
    g = torch.Generator().manual_seed(0)
    x = torch.randint(0, 255, (30, 1, 8, 8), generator=g, dtype=torch.uint8)
    y = torch.arange(30) % 3
    first = [m.d_step(to_float(x), y) for _ in range(3)]
    for _ in range(60):
        last = m.d_step(to_float(x), y)
    assert float(last["reconstruction"]) < float(first[0]["reconstruction"])
    assert set(last) == {"d_loss", "reconstruction", "penalty"} and m.g_step(y) == {}


def test_samples_lie_between_a_code_and_its_nearest_neighbour():
    m = _method(k=1)
    codes = torch.tensor([[0.0, 0, 0, 0], [1, 0, 0, 0], [0, 2, 0, 0], [10, 10, 0, 0],
                          [10, 11, 0, 0], [5, 5, 5, 5]])
    m.load_extra_state({"codes": codes, "code_labels": torch.tensor([0, 0, 0, 0, 0, 1])})
    gen = torch.Generator().manual_seed(3)
    z = m.sample_latent(300, torch.zeros(300, dtype=torch.int64), gen)
    # nearest neighbours: (0,0)<->(1,0), (0,2)->(0,0), (10,10)<->(10,11); so every sample is
    # on one of three short segments, never between the two clusters
    a, b = z[:, 0], z[:, 1]
    on_x = (b == 0) & (a >= 0) & (a <= 1)
    on_y = (a == 0) & (b >= 0) & (b <= 2)
    far = (a == 10) & (b >= 10) & (b <= 11)
    assert torch.all(on_x | on_y | far) and torch.all(z[:, 2:] == 0)
    assert on_x.any() and on_y.any() and far.any()
    # the same generator seed gives the same codes; a single-image class gives its own code
    again = m.sample_latent(300, torch.zeros(300, dtype=torch.int64),
                            torch.Generator().manual_seed(3))
    assert torch.equal(z, again)
    one = m.sample_latent(3, torch.ones(3, dtype=torch.int64), gen)
    assert torch.equal(one, codes[5].repeat(3, 1))


def test_end_epoch_stores_the_codes_of_every_training_image():
    m = _method()
    x = torch.randint(0, 255, (12, 1, 8, 8), dtype=torch.uint8)
    y = torch.arange(12) % 3
    m.end_epoch(x, y)
    state = m.extra_state()
    assert state["codes"].shape == (12, 4) and torch.equal(state["code_labels"], y)
    np.testing.assert_array_equal(np.isfinite(state["codes"].numpy()), True)
