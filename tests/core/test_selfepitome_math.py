"""Core numerics of self-epitomic LSR against naive reference implementations written here."""

import math

import numpy as np
import pytest

torch = pytest.importorskip("torch", reason="PyTorch is required for the core numerics (make torch-deps)")

from algorithms.lsr.attention import (
    embed_classes,
    posterior_logits,
    spread_over_windows,
    window_matrix,
    window_validity,
)
from algorithms.lsr.em import lsr_em
from algorithms.lsr.params import LsrParams
from algorithms.lsr.resolution import downsample_mean
from algorithms.lsr.tile import self_epitomic_lsr_tile


def lsr_objective(p_label_given_pos, p_pos_given_class, p_class, p_label_given_class) -> float:
    """sum_c p(c) sum_l p(l|c) log sum_mn p(l|mn) p(mn|c) (the quantity the EM increases)."""
    N = p_pos_given_class @ p_label_given_pos
    return float((p_class[:, None] * p_label_given_class * torch.log(N.clamp_min(1e-30))).sum())


def naive_windows(x, k):
    C, h, w = x.shape
    out = []
    for y in range(h - k + 1):
        for xx in range(w - k + 1):
            out.append(x[:, y:y + k, xx:xx + k].reshape(-1))
    return np.array(out)


def naive_posterior(x_t, mus, var, temp):
    """Full Gaussian log-likelihood (Eq. 5) with every constant, tempered, softmax over windows."""
    ll = []
    for mu in mus:
        ll.append(-0.5 * np.sum((x_t - mu) ** 2 / var + np.log(var) + np.log(2 * np.pi)))
    ll = np.array(ll) / temp
    ll -= ll.max()
    p = np.exp(ll)
    return p / p.sum()


def test_window_matrix_matches_loop():
    rng = np.random.default_rng(0)
    x = rng.random((3, 7, 9)).astype(np.float32)
    got = window_matrix(torch.from_numpy(x), 3).numpy()
    # unfold orders channels, then rows, then columns within a window: the same as reshape(-1)
    np.testing.assert_allclose(got, naive_windows(x, 3), rtol=0, atol=0)


def test_posterior_matches_naive_loop():
    rng = np.random.default_rng(1)
    x = rng.random((2, 6, 6)).astype(np.float64)
    k, var, temp = 3, 0.05, 9.0
    keys = naive_windows(x, k)
    q = keys[[0, 5, 13]] + rng.normal(0, 0.05, (3, keys.shape[1]))
    kt, qt = torch.from_numpy(keys), torch.from_numpy(q)
    logits = posterior_logits(qt, kt, 0.5 * (kt * kt).sum(1), var, temp)
    got = torch.softmax(logits, 1).numpy()
    for i in range(3):
        np.testing.assert_allclose(got[i], naive_posterior(q[i], keys, var, temp), rtol=1e-9, atol=1e-12)


def test_embedding_blocked_equals_naive_sum_and_skips_invalid_windows():
    rng = np.random.default_rng(2)
    x = torch.from_numpy(rng.random((2, 8, 8)).astype(np.float32))
    k = 3
    keys = window_matrix(x, k)
    S = keys.shape[0]
    valid = torch.ones(S, dtype=torch.bool)
    valid[[4, 7, 20]] = False
    q_idx = torch.tensor([0, 3, 10, 11, 30, 35])
    q_class = torch.tensor([0, 1, 1, 2, 0, 2])
    var, temp = 0.02, 9.0
    Z_big = embed_classes(keys[q_idx], q_class, keys, valid, 3, var, temp, block_elements=10 ** 9)[0]
    Z_small = embed_classes(keys[q_idx], q_class, keys, valid, 3, var, temp, block_elements=S)[0]  # 1 query/block
    # naive
    Z = np.zeros((S, 3))
    kn = keys.double().numpy()
    for t, c in zip(q_idx.tolist(), q_class.tolist()):
        p = naive_posterior(kn[t], kn[valid.numpy()], var, temp)
        Z[valid.numpy(), c] += p
    np.testing.assert_allclose(Z_big.numpy(), Z, rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(Z_small.numpy(), Z_big.numpy(), rtol=1e-5, atol=1e-7)
    assert Z_big[[4, 7, 20]].abs().max() == 0
    # every query's posterior sums to one, so class masses equal query counts
    np.testing.assert_allclose(Z_big.sum(0).numpy(), [2, 2, 2], rtol=1e-5)


def test_spread_over_windows_is_box_filter():
    rng = np.random.default_rng(3)
    h, w, k = 7, 6, 3
    wh, ww = h - k + 1, w - k + 1
    Z = rng.random((wh * ww, 2))
    got = spread_over_windows(torch.from_numpy(Z), wh, ww, k).numpy()
    want = np.zeros((2, h, w))
    for s in range(wh * ww):
        y, x = divmod(s, ww)
        want[:, y:y + k, x:x + k] += Z[s][:, None, None]
    np.testing.assert_allclose(got, want, rtol=1e-12)
    # mass is multiplied by k^2 (each window covers k^2 pixels)
    assert got.sum() == pytest.approx(Z.sum() * k * k)


def test_window_validity():
    v = torch.ones(5, 5, dtype=torch.bool)
    v[2, 2] = False
    wv = window_validity(v, 3).reshape(3, 3)
    assert not wv.any()  # every 3x3 window of a 5x5 grid covers the centre pixel
    v = torch.ones(5, 5, dtype=torch.bool)
    v[0, 0] = False
    wv = window_validity(v, 3).reshape(3, 3)
    assert not wv[0, 0] and wv.sum() == 8


def naive_em(p_pos, p_c, comp, iters):
    """The EM of Eqs. 7-9 with q materialised."""
    Cc, P = p_pos.shape
    L = comp.shape[1]
    p = np.full((P, L), 1.0 / L)
    for _ in range(iters):
        new = np.zeros((P, L))
        for l in range(L):
            for c in range(Cc):
                q = p[:, l] * p_pos[c]
                q = q / q.sum()
                new[:, l] += p_c[c] * comp[c, l] * q
        p = new / new.sum(1, keepdims=True)
    return p


def test_em_matches_naive_em_with_materialised_q():
    rng = np.random.default_rng(4)
    Cc, P, L = 3, 20, 4
    p_pos = rng.random((Cc, P)) ** 3
    p_pos /= p_pos.sum(1, keepdims=True)
    p_c = np.array([0.5, 0.3, 0.2])
    comp = rng.random((Cc, L))
    comp /= comp.sum(1, keepdims=True)
    got = lsr_em(torch.from_numpy(p_pos), torch.from_numpy(p_c), torch.from_numpy(comp), iterations=15).numpy()
    np.testing.assert_allclose(got, naive_em(p_pos, p_c, comp, 15), rtol=1e-9, atol=1e-12)


def test_em_fixed_point_when_each_class_owns_its_positions():
    # Class 0 lives on positions 0-1, class 1 on positions 2-3: the optimum gives each class's
    # positions exactly that class's composition, and the class statistics N[c, l] match p(l|c).
    p_pos = torch.tensor([[0.5, 0.5, 0, 0], [0, 0, 0.5, 0.5]], dtype=torch.float64)
    comp = torch.tensor([[0.8, 0.2], [0.1, 0.9]], dtype=torch.float64)
    p = lsr_em(p_pos, torch.tensor([0.5, 0.5], dtype=torch.float64), comp, iterations=50)
    np.testing.assert_allclose(p.numpy(), [[0.8, 0.2], [0.8, 0.2], [0.1, 0.9], [0.1, 0.9]], atol=1e-9)
    np.testing.assert_allclose((p_pos @ p).numpy(), comp.numpy(), atol=1e-9)


def test_em_separates_shared_class_by_appearance():
    # Class A (60% x, 40% y) is spread over positions 0..4; class B (100% y) only over positions 3, 4.
    # The EM must give positions 3, 4 label y and positions 0..2 label x (the hand-solved optimum).
    p_pos = torch.tensor([[0.2, 0.2, 0.2, 0.2, 0.2], [0, 0, 0, 0.5, 0.5]], dtype=torch.float64)
    comp = torch.tensor([[0.6, 0.4], [0.0, 1.0]], dtype=torch.float64)
    p = lsr_em(p_pos, torch.tensor([0.5, 0.5], dtype=torch.float64), comp, iterations=500)
    assert (p[:3, 0] > 0.99).all() and (p[3:, 1] > 0.99).all()


def test_em_objective_never_decreases():
    rng = np.random.default_rng(5)
    p_pos = torch.from_numpy(rng.random((4, 50)))
    p_pos /= p_pos.sum(1, keepdim=True)
    p_c = torch.tensor([0.4, 0.3, 0.2, 0.1], dtype=torch.float64)
    comp = torch.from_numpy(rng.random((4, 3)))
    comp /= comp.sum(1, keepdim=True)
    prev = -math.inf
    p = None
    for it in range(1, 30):
        p = lsr_em(p_pos, p_c, comp, iterations=1, init=p)
        obj = lsr_objective(p, p_pos, p_c, comp)
        assert obj >= prev - 1e-12
        prev = obj


def test_downsample_mean_with_mask():
    img = torch.arange(16, dtype=torch.float32).reshape(1, 4, 4)
    valid = torch.ones(4, 4, dtype=torch.bool)
    valid[0, 0] = False
    x, v = downsample_mean(img, valid, 2)
    assert x[0, 0, 0].item() == pytest.approx((1 + 4 + 5) / 3)
    assert x[0, 1, 1].item() == pytest.approx((10 + 11 + 14 + 15) / 4)
    assert v.all()
    valid[:2, :2] = False
    x, v = downsample_mean(img, valid, 2)
    assert not v[0, 0] and v.sum() == 3


def two_texture_tile(seed=0, size=64):
    """Left half: dark noisy texture; right half: bright smooth. One coarse class per half, both mixed."""
    rng = np.random.default_rng(seed)
    img = np.empty((3, size, size), np.float32)
    img[:, :, :size // 2] = 0.2 + 0.15 * rng.random((3, size, size // 2))
    img[:, :, size // 2:] = 0.7 + 0.02 * rng.random((3, size, size // 2))
    cls = np.zeros((size, size), np.int64)
    cls[:, size // 2:] = 1
    return torch.from_numpy(img), torch.from_numpy(cls)


def test_tile_recovers_two_textures_and_is_deterministic():
    img, cls = two_texture_tile()
    comp = torch.tensor([[0.9, 0.1], [0.2, 0.8]])
    valid = torch.ones(cls.shape, dtype=torch.bool)
    prm = LsrParams(samples=0.2, fusion="none")
    r1 = self_epitomic_lsr_tile(img, valid, cls, comp, prm, seed=3)
    r2 = self_epitomic_lsr_tile(img, valid, cls, comp, prm, seed=3)
    assert torch.equal(r1.probs, r2.probs)
    lab = r1.probs.argmax(0)
    assert (lab[:, 4:28] == 0).float().mean() > 0.95
    assert (lab[:, 36:60] == 1).float().mean() > 0.95
    np.testing.assert_allclose(r1.probs.sum(0).numpy(), 1, atol=1e-5)
    r3 = self_epitomic_lsr_tile(img, valid, cls, comp, prm, seed=4)
    assert r3.queries == r1.queries and not torch.equal(r3.probs, r1.probs)


def test_tile_masks_nodata_and_handles_tiny_tiles():
    img, cls = two_texture_tile(size=32)
    comp = torch.tensor([[0.9, 0.1], [0.2, 0.8]])
    valid = torch.ones(cls.shape, dtype=torch.bool)
    valid[:8, :8] = False
    cls = cls.clone()
    cls[-4:, -4:] = -1
    r = self_epitomic_lsr_tile(img, valid, cls, comp, LsrParams(samples=0.5))
    assert r.probs[:, :8, :8].abs().max() == 0 and r.probs[:, -4:, -4:].abs().max() == 0
    assert not r.valid[:8, :8].any()
    assert not (r.reached & ~r.valid).any()  # evidence only where there is data
    np.testing.assert_allclose(r.probs.sum(0)[r.reached].numpy(), 1, atol=1e-5)
    # smaller than one patch at working resolution: valid, but appearance has no evidence (the fusion then
    # gives the coarse prior, tests/core/test_trust.py)
    tiny = self_epitomic_lsr_tile(img[:, :6, :6], valid[:6, :6] | True, cls[:6, :6], comp, LsrParams())
    assert tiny.valid.all() and not tiny.reached.any() and tiny.probs.abs().max() == 0


def test_block_elements_for_budget():
    from algorithms.lsr.params import block_elements_for_budget

    assert block_elements_for_budget(0) == 1 << 24 and block_elements_for_budget(-5, 7) == 7
    assert block_elements_for_budget(1024) == 1024 * (1 << 20) // 64  # 16 MiB blocks of fp32 for 1 GiB
    assert block_elements_for_budget(1) == 1 << 18 and block_elements_for_budget(10 ** 7) == 1 << 28  # bounds


def test_gathered_windows_equal_unfolded_ones():
    from algorithms.lsr.attention import gather_windows

    x = torch.rand(3, 9, 11)
    full = window_matrix(x, 3)
    idx = torch.tensor([0, 5, 17, 62])
    got = gather_windows(x, idx // 9, idx % 9, 3)
    assert torch.equal(got, full[idx])


def test_strided_keys_reach_the_edge_and_spread_uniformly():
    from algorithms.lsr.attention import key_positions, spread_over_keys

    assert key_positions(12, 3, 2).tolist() == [0, 2, 4, 6, 8, 9]  # the last window (12 - 3) is always a key
    assert key_positions(11, 3, 2).tolist() == [0, 2, 4, 6, 8]
    ys, xs = key_positions(12, 3, 2), key_positions(13, 3, 2)
    out = spread_over_keys(torch.ones(len(ys) * len(xs), 1), ys, xs, 3, (12, 13))
    assert out.shape == (1, 12, 13) and (out > 0).all()  # every pixel reached, the last rows included
    np.testing.assert_allclose(out.numpy(), out[0, 0, 0].item(), rtol=1e-6)  # coverage divided out
    # every window a key: exactly the box filter of Eq. 11
    Z = torch.rand(10 * 11, 2)
    assert torch.equal(spread_over_keys(Z, torch.arange(10), torch.arange(11), 3, (12, 13)),
                       spread_over_windows(Z, 10, 11, 3))


def test_pca_with_every_dimension_is_exact():
    from algorithms.lsr.attention import reduce_dimensions

    g = torch.Generator().manual_seed(0)
    keys, queries = torch.rand(300, 12, generator=g, dtype=torch.float64), torch.rand(7, 12, generator=g,
                                                                                       dtype=torch.float64)
    valid = torch.ones(300, dtype=torch.bool)
    exact = torch.softmax(posterior_logits(queries, keys, 0.5 * (keys * keys).sum(1), 0.05, 9.0), 1)
    kr, qr, half = reduce_dimensions(keys, queries, 12)
    full = torch.softmax(posterior_logits(qr, kr, half, 0.05, 9.0), 1)
    np.testing.assert_allclose(full.numpy(), exact.numpy(), atol=1e-10)
    kr, qr, half = reduce_dimensions(keys, queries, 4)  # an approximation: close, not equal
    approx = torch.softmax(posterior_logits(qr, kr, half, 0.05, 9.0), 1)
    assert 0 < (approx - exact).abs().sum(1).max() < 1.0
    Z, _ = embed_classes(qr, torch.zeros(7, dtype=torch.long), kr, valid, 1, 0.05, 9.0, key_half_sqnorm=half)
    np.testing.assert_allclose(Z[:, 0].numpy(), approx.sum(0).numpy(), rtol=1e-6)


def test_strided_excluded_windows():
    from algorithms.lsr.appearance import excluded_window_index

    # query at pixel (4, 6), keys 2 apart on a 5 x 6 grid, radius 2 px -> 1 grid step around grid point (2, 3)
    ex = excluded_window_index(torch.tensor([4]), torch.tensor([6]), 5, 6, 2, stride=2)
    assert set(ex[0].tolist()) == {y * 6 + x for y in (1, 2, 3) for x in (2, 3, 4)}


def test_fast_settings_keep_the_answer_of_a_two_texture_tile():
    img, cls = two_texture_tile()
    comp = torch.tensor([[0.9, 0.1], [0.2, 0.8]])
    valid = torch.ones(cls.shape, dtype=torch.bool)
    exact = self_epitomic_lsr_tile(img, valid, cls, comp, LsrParams(samples=0.2), seed=3)
    fast = self_epitomic_lsr_tile(img, valid, cls, comp, LsrParams(samples=0.2, key_stride=2, patch_dims=4,
                                                                   em_tolerance=1e-3), seed=3)
    both = exact.reached & fast.reached
    same = fast.probs.argmax(0) == exact.probs.argmax(0)
    sure = exact.probs.max(0).values > 0.6  # two appearance iterations (the default) move the near-ties
    assert same[both & sure].float().mean() > 0.97 and same[both].float().mean() > 0.95
    assert fast.reached.float().mean() > 0.9


def test_box_sum_by_running_sums_equals_the_transposed_convolution():
    from algorithms.lsr.attention import box_sum_full

    a = torch.rand(3, 20, 17, dtype=torch.float64)
    ref = torch.nn.functional.conv_transpose2d(a[None], torch.ones(3, 1, 7, 7, dtype=torch.float64), groups=3)[0]
    np.testing.assert_allclose(box_sum_full(a, 7).numpy(), ref.numpy(), atol=1e-12)
