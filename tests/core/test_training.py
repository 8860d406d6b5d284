"""Epitome training: promotion masks and resets, diversification, gradients, determinism, learning."""

import math

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from algorithms.epitome.training import (  # noqa: E402
    EpitomeMixture,
    TrainParams,
    _fold_torus,
    local_variance,
    mixture_arrays,
    promotion_mask,
    tile_crops,
    train_epitome,
    update_counters,
    worst_quantile,
)


def test_promotion_mask_is_relative_to_the_uniform_share():
    """A window is allowed while its share of the samples since the reset is below c / W."""
    counters = torch.tensor([[0.0, 1.0], [3.0, 4.0]])  # 8 samples counted, W = 4: uniform share 2 samples
    assert promotion_mask(counters, 8, 0.5).tolist() == [[True, False], [False, False]]  # below 1 sample
    assert promotion_mask(counters, 8, 0.9).tolist() == [[True, True], [False, False]]  # below 1.8
    assert promotion_mask(counters, 16, 0.9).tolist() == [[True, True], [True, False]]  # 16 samples: below 3.6
    assert promotion_mask(torch.zeros(2, 2), 0, 0.5).all()  # nothing counted yet: every window
    m = promotion_mask(torch.ones(2, 2), 4, 0.5)
    assert int(m.sum()) == 1  # at least one window always unmasked


def test_counters_accumulate_with_their_samples_and_reset():
    counters, n = torch.zeros(2, 2), 0
    counters, n, reset = update_counters(counters, n, torch.tensor([[1.0, 0.0], [0.0, 0.0]]), 1, c=0.5, delta=0.3)
    assert not reset and n == 1 and counters[0, 0] == 1 and counters.sum() == 1
    # 3 samples, threshold 0.5 * 3 / 4 = 0.375: three of four masked (> (1 - 0.3) * 4 = 2.8) -> reset
    counters, n, reset = update_counters(counters, n, torch.tensor([[0.0, 1.0], [1.0, 0.0]]), 2, c=0.5, delta=0.3)
    assert reset and counters.sum() == 0 and n == 0


def test_promotion_dial_masks_fewer_windows_as_c_grows():
    """The same usage masks more windows for a small c than for a large one (c is a real dial)."""
    counters = torch.arange(100.0).reshape(10, 10)  # 4950 samples over 100 windows: uniform share 49.5
    masked = [int((~promotion_mask(counters, 4950, c)).sum()) for c in (0.1, 0.5, 0.9)]
    assert masked == sorted(masked, reverse=True) and masked[0] > masked[-1]
    assert masked == [95, 75, 55]


def test_worst_quantile_selects_lowest():
    ll = torch.tensor([5.0, -3.0, 2.0, -10.0, 0.0, 1.0, 7.0, -1.0])
    assert sorted(worst_quantile(ll, 0.25).tolist()) == [1, 3]
    assert worst_quantile(ll, 0).tolist() == list(range(8))


def test_fold_torus():
    a = torch.arange(16.0).reshape(1, 4, 4)
    f = _fold_torus(a, 3)
    want = np.zeros((3, 3))
    for i in range(4):
        for j in range(4):
            want[i % 3, j % 3] += a[0, i, j]
    np.testing.assert_allclose(f[0].numpy(), want)


def stripes_sampler(seed=0):
    """Patches cut from a fixed 2-texture image (stripes | flat), as [B, 2, k, k]."""
    rng = np.random.default_rng(seed)
    img = np.zeros((2, 64, 64), np.float32)
    img[:, :, :32] = (np.arange(64)[:, None] % 4 < 2) * 0.8 + 0.1
    img[:, :, 32:] = 0.5
    img += rng.normal(0, 0.02, img.shape).astype(np.float32)
    t = torch.from_numpy(img)

    def sample(b, k, gen):
        ys = torch.randint(0, 64 - k + 1, (b,), generator=gen)
        xs = torch.randint(0, 64 - k + 1, (b,), generator=gen)
        return torch.stack([t[:, y:y + k, x:x + k] for y, x in zip(ys.tolist(), xs.tolist())])
    return sample


def test_gradients_finite_and_loss_decreases():
    p = TrainParams(size=16, count=1, patch_min=3, patch_max=5, steps=60, batch_size=32, learning_rate=0.05,
                    promotion=0.5, diversify=0.25)
    models, states, hist = train_epitome(stripes_sampler(), p, torch.device("cpu"))
    assert all(math.isfinite(v) for v in hist["loss"])
    early, late = np.mean(hist["loss"][:5]), np.mean(hist["loss"][-5:])
    assert late < early - 0.5  # nats per value: the epitome learned the two textures
    mu, var, lp = mixture_arrays(models)
    assert var.min() >= 0.01 - 1e-6 and var.max() <= 1.0 + 1e-6
    np.testing.assert_allclose(np.exp(lp).sum(), 1.0, rtol=1e-5)
    m = models[0]
    x = stripes_sampler()(8, 5, torch.Generator().manual_seed(9))
    loss = -torch.logsumexp((m.loglik(x, "fft") + m.log_prior()[None]).reshape(8, -1), 1).mean()
    loss.backward()
    for t in m.parameters():
        assert torch.isfinite(t.grad).all()


def test_training_is_deterministic_with_a_seed():
    p = TrainParams(size=12, patch_min=3, patch_max=3, steps=8, batch_size=16, seed=4)
    a, _, _ = train_epitome(stripes_sampler(), p, torch.device("cpu"))
    b, _, _ = train_epitome(stripes_sampler(), p, torch.device("cpu"))
    assert torch.equal(a[0].mu, b[0].mu) and torch.equal(a[0].prior_logits, b[0].prior_logits)


def test_cascade_keeps_two_models_as_uniform_mixture():
    p = TrainParams(size=12, count=2, patch_min=3, patch_max=3, steps=4, batch_size=16, cascade=2)
    models, _, hist = train_epitome(stripes_sampler(), p, torch.device("cpu"))
    assert len(models) == 2 and len(hist["loss"]) == 12  # E0, E1, E2 trained; E1 and E2 kept
    mu, var, lp = mixture_arrays(models)
    assert mu.shape == (4, 2, 12, 12)
    np.testing.assert_allclose(np.exp(lp[:2]).sum(), 0.5, rtol=1e-5)


def test_promotion_raises_usage():
    """With location promotion, more epitome windows end up as some sample's best window."""
    common = dict(size=16, patch_min=3, patch_max=3, steps=80, batch_size=32, learning_rate=0.05, diversify=0)
    used = {}
    for c in (0.0, 0.5):
        models, state, hist = train_epitome(stripes_sampler(1), TrainParams(promotion=c, **common),
                                            torch.device("cpu"))
        used[c] = float((state[0].usage_counts > 0).float().mean())
    assert used[0.5] > used[0.0]


def test_adam_matches_reference_formula():
    from algorithms.epitome.training import Adam

    x = torch.tensor([1.0, -2.0, 3.0], dtype=torch.float64, requires_grad=True)
    opt = Adam([x], lr=0.1)
    ref, m, v = np.array([1.0, -2.0, 3.0]), np.zeros(3), np.zeros(3)
    for t in range(1, 6):
        opt.zero_grad()
        (x ** 2).sum().backward()  # gradient 2x
        opt.step()
        g = 2 * ref
        m = 0.9 * m + 0.1 * g
        v = 0.999 * v + 0.001 * g * g
        ref = ref - 0.1 * (m / (1 - 0.9 ** t)) / (np.sqrt(v / (1 - 0.999 ** t)) + 1e-8)
    np.testing.assert_allclose(x.detach().numpy(), ref, rtol=1e-12)


def test_data_driven_start_tiles_crops_with_local_variance():
    g = torch.Generator().manual_seed(0)
    crops = torch.rand(8, 2, 4, 4, generator=g)
    m = EpitomeMixture.from_crops(crops, 6, 2, var_min=0.01, var_max=1.0, device="cpu")
    mu = m.mu.detach()
    assert mu.shape == (2, 2, 6, 6)
    assert torch.equal(mu[0, :, :4, :4], crops[0]) and torch.equal(mu[0, :, :4, 4:], crops[1, :, :, :2])
    assert torch.equal(mu[1, :, 4:, :4], crops[6, :, :2])  # crops laid out row by row, cut to N
    want = local_variance(crops[:1], 1)[0] + 0.01
    np.testing.assert_allclose(m.var().detach()[0, :, :4, :4].numpy(), want.numpy(), rtol=1e-5)
    # local variance by a naive loop (edges replicated)
    x = crops[0, 0].numpy()
    p = np.pad(x, 1, mode="edge")
    naive = np.array([[p[i:i + 3, j:j + 3].var() for j in range(4)] for i in range(4)])
    np.testing.assert_allclose(local_variance(crops[:1], 1)[0, 0].numpy(), naive, rtol=1e-4, atol=1e-6)
    assert torch.equal(tile_crops(crops[:4], 1, 2, 8)[0, :, 4:, 4:], crops[3])


def test_trained_start_is_the_data():
    """A new model starts as crops of the imagery: its windows already explain patches (no flat start)."""
    p = TrainParams(size=16, patch_min=3, patch_max=5, steps=1, batch_size=32, learning_rate=1e-6, seed=0)
    models, states, hist = train_epitome(stripes_sampler(), p, torch.device("cpu"))
    mu = models[0].mu.detach()
    assert float(mu.std()) > 0.2  # stripes (0.1 / 0.9) and flat (0.5) textures, not a mean colour
    assert hist["loss"][0] < -0.5  # nats per value: the first batch is already well explained


@pytest.mark.gdal  # train_job writes GeoTIFFs
def test_cascade_usage_maps_per_kept_model():
    p = TrainParams(size=12, count=1, patch_min=3, patch_max=3, steps=6, batch_size=16, cascade=2)
    models, states, _ = train_epitome(stripes_sampler(), p, torch.device("cpu"))
    assert len(states) == 2 and states[0] is not states[1]
    from algorithms.epitome.train_job import usage_share

    u = usage_share(states)
    assert u.shape == (2, 12, 12) and not np.array_equal(u[0], u[1])  # E1's map in E1's slot, E2's in E2's


def test_adam_state_roundtrip():
    from algorithms.epitome.training import Adam

    x = torch.tensor([1.0, -2.0], requires_grad=True)
    opt = Adam([x], lr=0.1)
    for _ in range(3):
        opt.zero_grad()
        (x ** 2).sum().backward()
        opt.step()
    arrays = opt.state_arrays(["x"])
    y = torch.tensor([1.0, -2.0], requires_grad=True)
    other = Adam([y], lr=0.1)
    assert other.load_state_arrays(arrays, ["x"], 3) and other.t == 3
    assert torch.equal(other.m[0], opt.m[0]) and torch.equal(other.v[0], opt.v[0])
    assert not other.load_state_arrays({"m_x": np.zeros(5), "v_x": np.zeros(5)}, ["x"], 3)  # wrong shape: refused


def test_flat_start_kept_for_comparison():
    p = TrainParams(size=16, patch_min=3, patch_max=5, steps=1, batch_size=32, learning_rate=1e-6, start="flat")
    models, _, hist = train_epitome(stripes_sampler(), p, torch.device("cpu"))
    assert float(models[0].mu.detach().std()) < 0.1  # the mean colour plus noise
    with pytest.raises(ValueError, match="start"):
        TrainParams(start="random").validate()
