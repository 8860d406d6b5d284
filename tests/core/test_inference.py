"""Trained-epitome inference against naive reference loops: masked likelihood, label embedding (Eq. 6),
class embedding (Eq. 11), prediction (Eq. 2, exact and top-k) and epitomic LSR on a tiny case."""

import math

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from algorithms.epitome.inference import (  # noqa: E402
    CentrePredictor,
    EpitomeTensors,
    centre_targets,
    class_positions,
    embed_patches,
    normalise_embedding,
    novelty,
    predict_top_k,
    window_log_likelihoods,
    window_posteriors,
)
from algorithms.epitome.likelihood import BACKENDS, masked_patch_log_likelihood  # noqa: E402
from algorithms.lsr.em import lsr_em  # noqa: E402


def naive_masked_loglik(x, m, mu, var):
    """Eq. 5 over the valid pixels only, by loops: x [C, K, K], m [K, K] -> [N, N]."""
    C, K, _ = x.shape
    N = mu.shape[-1]
    out = np.zeros((N, N))
    for s1 in range(N):
        for s2 in range(N):
            t = 0.0
            for c in range(C):
                for i in range(K):
                    for j in range(K):
                        if m[i, j]:
                            mm, v = mu[c, (s1 + i) % N, (s2 + j) % N], var[c, (s1 + i) % N, (s2 + j) % N]
                            t += (x[c, i, j] - mm) ** 2 / v + math.log(v) + math.log(2 * math.pi)
            out[s1, s2] = -0.5 * t
    return out


def naive_embed(post, y):
    """Eq. 6 by loops: post [B, E, N, N], y [B, L, K, K] -> z [E, L, N, N]."""
    B, E, N, _ = post.shape
    L, K = y.shape[1], y.shape[-1]
    z = np.zeros((E, L, N, N))
    for b in range(B):
        for e in range(E):
            for s1 in range(N):
                for s2 in range(N):
                    for i in range(K):
                        for j in range(K):
                            z[e, :, (s1 + i) % N, (s2 + j) % N] += post[b, e, s1, s2] * y[b, :, i, j]
    return z


def naive_predict(post, probs, o, q):
    """Eq. 2 by loops: p(y_ij | x_b) = sum_{e,s} p(e, s | x_b) p(l | e, s + o + (i, j)): [B, L, Q, Q]."""
    B, E, N, _ = post.shape
    L = probs.shape[1]
    out = np.zeros((B, L, q, q))
    for b in range(B):
        for e in range(E):
            for s1 in range(N):
                for s2 in range(N):
                    for i in range(q):
                        for j in range(q):
                            out[b, :, i, j] += post[b, e, s1, s2] * probs[e, :, (s1 + o + i) % N, (s2 + o + j) % N]
    return out


@pytest.fixture
def rng():
    return np.random.default_rng(0)


@pytest.mark.parametrize("backend", BACKENDS)
def test_masked_likelihood_matches_naive_loop(rng, backend):
    C, N, K, B = 2, 6, 3, 3
    mu, var = rng.random((C, N, N)), 0.01 + 0.2 * rng.random((C, N, N))
    x = rng.random((B, C, K, K))
    m = rng.random((B, K, K)) > 0.4
    m[0] = True  # one full patch: equals the unmasked likelihood
    got = masked_patch_log_likelihood(torch.from_numpy(x), torch.from_numpy(m), torch.from_numpy(mu),
                                      torch.from_numpy(var), backend).numpy()
    for b in range(B):
        np.testing.assert_allclose(got[b], naive_masked_loglik(x[b], m[b], mu, var), rtol=1e-10, atol=1e-8)


def test_masked_path_used_only_with_missing_pixels(rng):
    ep = EpitomeTensors(torch.from_numpy(rng.random((2, 3, 8, 8))), torch.from_numpy(0.05 + rng.random((2, 3, 8, 8))),
                        torch.log_softmax(torch.from_numpy(rng.random(128)), 0).reshape(2, 8, 8))
    x = torch.from_numpy(rng.random((4, 3, 5, 5)))
    full = window_log_likelihoods(ep, x, torch.ones(4, 5, 5, dtype=torch.bool))
    mask = torch.ones(4, 5, 5, dtype=torch.bool)
    mask[1, 0, 0] = False
    part = window_log_likelihoods(ep, x, mask)
    assert full.shape == (4, 2, 8, 8)
    np.testing.assert_allclose(part[0].numpy(), full[0].numpy(), rtol=1e-10)
    assert (part[1] > full[1]).all()  # one value fewer in the (negative) sum of each window


def test_posteriors_joint_over_epitomes_and_novelty(rng):
    """p(e, s | x) normalised jointly over the epitomes of a mixture and their windows (tempered)."""
    ll = torch.from_numpy(rng.normal(size=(3, 2, 4, 4)) * 4)
    lp = torch.log_softmax(torch.from_numpy(rng.normal(size=32)), 0).reshape(2, 4, 4)
    post = window_posteriors(ll, lp, 2.0)
    np.testing.assert_allclose(post.sum((1, 2, 3)).numpy(), 1.0, atol=1e-12)
    z = ll.numpy() / 2.0 + lp.numpy()[None]
    want = np.exp(z - z.max((1, 2, 3), keepdims=True))
    np.testing.assert_allclose(post.numpy(), want / want.sum((1, 2, 3), keepdims=True), rtol=1e-10)
    nov = novelty(ll, lp, torch.full((3,), 10.0)).numpy()
    z1 = ll.numpy() + lp.numpy()[None]
    np.testing.assert_allclose(nov, -np.log(np.exp(z1).reshape(3, -1).sum(1)) / 10.0, rtol=1e-10)


def test_label_embedding_matches_eq6_loop(rng):
    B, E, N, K, L = 3, 2, 5, 3, 3
    post = rng.random((B, E, N, N))
    post /= post.sum((1, 2, 3), keepdims=True)
    codes = rng.integers(-1, L, (B, K, K))
    y = centre_targets(torch.from_numpy(codes), L, 1).numpy()  # centre pixel only
    assert y.sum() == (codes[:, 1, 1] >= 0).sum() and y[:, :, 0].sum() == 0
    got = embed_patches(torch.from_numpy(post), torch.from_numpy(y)).numpy()
    np.testing.assert_allclose(got, naive_embed(post, y), atol=1e-12)
    yk = centre_targets(torch.from_numpy(codes), L, K).numpy()  # the whole patch
    np.testing.assert_allclose(embed_patches(torch.from_numpy(post), torch.from_numpy(yk)).numpy(),
                               naive_embed(post, yk), atol=1e-12)


def test_normalised_embedding_fills_unreached_pixels_with_label_frequencies():
    z = torch.zeros(1, 2, 3, 3, dtype=torch.float64)
    z[0, 0, 0, 0], z[0, 1, 0, 0], z[0, 1, 1, 1] = 1.0, 3.0, 4.0
    probs, weight = normalise_embedding(z)
    np.testing.assert_allclose(probs[0, :, 0, 0].numpy(), [0.25, 0.75])
    np.testing.assert_allclose(probs[0, :, 1, 1].numpy(), [0.0, 1.0])
    np.testing.assert_allclose(probs[0, :, 2, 2].numpy(), [1 / 8, 7 / 8])  # never reached: overall frequency
    assert weight[0, 2, 2] == 0 and weight[0, 0, 0] == 4


@pytest.mark.parametrize("o, q", [(0, 1), (1, 3), (2, 1), (1, 4)])
def test_prediction_matches_eq2_loop(rng, o, q):
    B, E, N, L = 3, 2, 5, 3
    post = rng.random((B, E, N, N)) ** 4
    post /= post.sum((1, 2, 3), keepdims=True)
    probs = rng.random((E, L, N, N))
    probs /= probs.sum(1, keepdims=True)
    want = naive_predict(post, probs, o, q)
    logits = torch.from_numpy(np.log(post) + 3.0)  # the log posterior up to a constant
    for chunk in (1 << 24, 7):  # all rows at once; one row of windows at a time
        got = CentrePredictor(torch.from_numpy(probs), o, q, chunk_elements=chunk)(logits).numpy()
        np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-12)
    allk = predict_top_k(logits, torch.from_numpy(probs), o, q, E * N * N).numpy()
    np.testing.assert_allclose(allk, want, rtol=1e-10, atol=1e-12)  # top-k with every window is exact
    np.testing.assert_allclose(want.sum(1), 1.0, atol=1e-12)


def test_top_k_is_exact_for_a_posterior_on_k_windows(rng):
    E, N, L = 1, 6, 2
    post = np.zeros((2, E, N, N))
    post[0, 0, 1, 2], post[0, 0, 5, 5], post[1, 0, 0, 0] = 0.7, 0.3, 1.0
    probs = rng.random((E, L, N, N))
    probs /= probs.sum(1, keepdims=True)
    with np.errstate(divide="ignore"):
        logits = torch.from_numpy(np.log(post))  # -inf off the k windows
    got = predict_top_k(logits, torch.from_numpy(probs), 1, 2, 2).numpy()
    np.testing.assert_allclose(got, naive_predict(post, probs, 1, 2), rtol=1e-12)


def test_epitomic_lsr_tiny_case_against_naive_em(rng):
    """Class embedding (Eq. 11 on the centre pixel) then the EM (Eqs. 7-9), against a naive q-materialising EM."""
    B, E, N, K, Cc, L = 6, 1, 4, 3, 2, 2
    post = rng.random((B, E, N, N)) ** 3
    post /= post.sum((1, 2, 3), keepdims=True)
    cls = rng.integers(0, Cc, B)
    codes = np.full((B, K, K), -1)
    codes[:, 1, 1] = cls
    zc = embed_patches(torch.from_numpy(post), centre_targets(torch.from_numpy(codes), Cc, 1).double())
    p_pos, present = class_positions(zc.double())
    # naive Eq. 11: p(m, n | c) ∝ sum_t [c_t = c] p(s = (m, n) - (1, 1) | x_t)
    want = np.zeros((Cc, N, N))
    for b in range(B):
        want[cls[b]] += np.roll(post[b, 0], (1, 1), axis=(0, 1))
    want /= want.sum((1, 2), keepdims=True)
    np.testing.assert_allclose(p_pos.numpy(), want.reshape(Cc, -1), atol=1e-12)
    comp = np.array([[0.9, 0.1], [0.2, 0.8]])
    pc = np.bincount(cls, minlength=Cc) / B
    got = lsr_em(p_pos, torch.from_numpy(pc), torch.from_numpy(comp), iterations=25).numpy()
    P = want.reshape(Cc, -1)
    p = np.full((N * N, L), 1.0 / L)
    for _ in range(25):  # E: q[l, c](s) ∝ p(l|s) p(s|c);  M: p(l|s) ∝ sum_c p(c) p(l|c) q[l, c](s)
        q = p.T[:, None, :] * P[None]  # [L, Cc, S]
        q /= q.sum(2, keepdims=True)
        p = np.einsum("c,cl,lcs->sl", pc, comp, q)
        p /= p.sum(1, keepdims=True)
    np.testing.assert_allclose(got, p, rtol=1e-8, atol=1e-10)
