"""Epitome training: promotion masks and resets, diversification, gradients, determinism, learning."""

import math

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from algorithms.epitome.training import TrainParams, _fold_torus, mixture_arrays, promotion_mask, train_epitome, update_counters, worst_quantile


def test_promotion_mask_threshold_and_never_empty():
    R = torch.tensor([[0.0, 0.1], [0.3, 0.01]])
    c = 0.5  # threshold c / W = 0.125
    assert promotion_mask(R, c).tolist() == [[True, True], [False, True]]
    full = torch.ones(2, 2)
    m = promotion_mask(full, c)
    assert int(m.sum()) == 1  # at least one window always unmasked


def test_counters_accumulate_and_reset():
    R = torch.zeros(2, 2)
    post = torch.tensor([[[1.0, 0.0], [0.0, 0.0]]])  # one sample entirely on window (0, 0)
    R, reset = update_counters(R, post, c=0.5, delta=0.3)
    assert not reset and R[0, 0] == 1 and R.sum() == 1
    # three of four masked (> (1 - 0.3) * 4 = 2.8) -> reset
    post = torch.tensor([[[0.0, 1.0], [1.0, 0.0]]])
    R, reset = update_counters(R, post, c=0.5, delta=0.3)
    assert reset and R.sum() == 0


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
    models, state, hist = train_epitome(stripes_sampler(), p, torch.device("cpu"))
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
        used[c] = float((state.usage_counts > 0).float().mean())
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
