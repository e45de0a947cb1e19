"""The diffusion generator methods (imbench.generators.diffusion): guidance, the EMA, the
padding. Their contract with the training loop (every method, resume after a kill, same
seed -> same weights and samples) is in test_generators.py."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("diffusers")
torch.set_num_threads(1)

from test_generators import _overrides  # noqa: E402

from imbench.errors import ConfigError  # noqa: E402
from imbench.generators import load_config  # noqa: E402
from imbench.generators.diffusion import Ddpm, Sampler, crop, pad, unet_size  # noqa: E402


def _cfg(**kw: object) -> dict:
    return load_config("ddpm", _overrides("ddpm", **kw))


@pytest.mark.parametrize("guidance", [0.0, 1.0, 2.5])
def test_guidance_mixes_the_conditional_and_the_unconditional_prediction(guidance):
    torch.manual_seed(0)
    sampler = Sampler(_cfg(guidance=guidance, dropout=0.0), (8, 8, 1), n_labels=10).eval()
    x, t = torch.randn(4, 1, 8, 8), torch.tensor(7)
    y = torch.tensor([0, 3, 3, 9])
    with torch.no_grad():
        cond = sampler.unet(x, t, class_labels=y).sample
        uncond = sampler.unet(x, t, class_labels=torch.full_like(y, 10)).sample
        got = sampler.eps(x, t, y)
    torch.testing.assert_close(got, uncond + guidance * (cond - uncond), rtol=1e-5, atol=1e-5)
    if guidance == 0:
        assert torch.equal(got, uncond)  # guidance 0 is the unconditional model, exactly


def test_the_ema_warms_up_then_follows_the_decay():
    m = Ddpm(_cfg(ema_decay=0.5), (8, 8, 1), 10, torch.device("cpu"))
    with torch.no_grad():
        for p in m.D.parameters():
            p.fill_(1.0)
        for p in m.G.unet.parameters():
            p.fill_(0.0)
    m.update_ema()  # k = 0: decay min(0.5, 1 / 10) = 0.1
    first = next(iter(m.G.unet.parameters()))
    assert torch.allclose(first, torch.full_like(first, 0.9))
    m.ema_updates = 100  # warm-up over: decay 0.5
    m.update_ema()
    assert torch.allclose(first, torch.full_like(first, 0.95))


def test_sizes_that_do_not_halve_are_padded_with_background_and_cropped_back():
    cfg = _cfg(channel_mult=[1, 2, 2])  # two halvings: sides a multiple of 4
    assert unet_size(cfg, (28, 28, 1)) == 28 and unet_size(cfg, (30, 30, 1)) == 32
    x = torch.rand(2, 1, 30, 30)
    padded = pad(x, 32)
    assert padded.shape[-2:] == (32, 32) and (padded[..., 0, :] == -1).all()
    assert torch.equal(crop(padded, (30, 30)), x)
    sampler = Sampler(cfg, (30, 30, 1), n_labels=0).eval()
    with torch.no_grad():
        out = sampler(torch.randn(2, 1, 32, 32))
    assert out.shape == (2, 1, 30, 30) and out.min() >= -1 and out.max() <= 1


def test_sampling_steps_beyond_the_schedule_are_refused():
    with pytest.raises(ConfigError, match=r"sampling_steps': got 60; allowed: an integer "
                                          r"from 1 to timesteps \(50\)"):
        _cfg(sampling_steps=60)
    with pytest.raises(ConfigError, match="latent_dim"):  # a GAN's key means nothing here
        load_config("ddpm", {"latent_dim": 16})

