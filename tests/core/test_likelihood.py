"""Toroidal epitome likelihood backends against a naive loop (wrap-around included)."""

import math

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from algorithms.epitome.likelihood import BACKENDS, patch_log_likelihood, window_constant  # noqa: E402


def naive_loglik(x, mu, var):
    """Eq. 5 by explicit loops: x [C, K, K], mu/var [C, N, N] -> [N, N]."""
    C, K, _ = x.shape
    N = mu.shape[-1]
    out = np.zeros((N, N))
    for s1 in range(N):
        for s2 in range(N):
            t = 0.0
            for k in range(C):
                for i in range(K):
                    for j in range(K):
                        m, v = mu[k, (s1 + i) % N, (s2 + j) % N], var[k, (s1 + i) % N, (s2 + j) % N]
                        t += (x[k, i, j] - m) ** 2 / v + math.log(v) + math.log(2 * math.pi)
            out[s1, s2] = -0.5 * t
    return out


@pytest.fixture
def tiny():
    rng = np.random.default_rng(0)
    C, N, K, B = 2, 6, 3, 3
    mu = rng.random((C, N, N))
    var = 0.01 + rng.random((C, N, N)) * 0.2
    x = rng.random((B, C, K, K))
    return x, mu, var


@pytest.mark.parametrize("backend", BACKENDS)
def test_backends_match_naive_loop_with_wraparound(tiny, backend):
    x, mu, var = tiny
    got = patch_log_likelihood(torch.from_numpy(x), torch.from_numpy(mu), torch.from_numpy(var), backend).numpy()
    for b in range(x.shape[0]):
        np.testing.assert_allclose(got[b], naive_loglik(x[b], mu, var), rtol=1e-10, atol=1e-8)


def test_backends_agree_in_fp32_on_larger_sizes():
    g = torch.Generator().manual_seed(1)
    mu = torch.rand(4, 40, 40, generator=g)
    var = 0.01 + 0.05 * torch.rand(4, 40, 40, generator=g)
    x = torch.rand(5, 4, 11, 11, generator=g)
    ref = patch_log_likelihood(x.double(), mu.double(), var.double(), "conv")  # values ~1e3
    runs = [patch_log_likelihood(x, mu, var, b) for b in BACKENDS]
    runs.append(patch_log_likelihood(x, mu, var, "unfold", chunk_elements=37))  # many small chunks
    for got in runs:
        assert got.dtype == torch.float32
        # fp32 against fp64: the cancelling sums lose hundredths of a nat at most, never whole nats
        assert (got.double() - ref).abs().max() < 0.02


def test_fft_backend_odd_size_chunked_and_gradients_match_conv():
    """The fft backend splits the N/2+1 frequencies into chunks when told to, works for odd N and
    gives the same gradients as the direct convolution (fp64)."""
    rng = np.random.default_rng(3)
    C, N, K, B = 3, 9, 5, 4
    mu = torch.from_numpy(rng.random((C, N, N)))
    lv = torch.from_numpy(np.log(0.02 + 0.3 * rng.random((C, N, N))))
    x = torch.from_numpy(rng.random((B, C, K, K)))
    grads = []
    for backend, chunk in (("conv", 1 << 24), ("fft", 1 << 24), ("fft", 1)):  # chunk 1: one frequency at a time
        m, v = mu.clone().requires_grad_(True), lv.clone().requires_grad_(True)
        ll = patch_log_likelihood(x, m, torch.exp(v), backend, chunk_elements=chunk)
        if backend == "conv":
            np.testing.assert_allclose(ll.detach().numpy()[1], naive_loglik(x[1].numpy(), mu.numpy(),
                                                                             np.exp(lv.numpy())), rtol=1e-10)
        torch.logsumexp(ll.reshape(B, -1), 1).sum().backward()
        grads.append((ll.detach(), m.grad, v.grad))
    for ll, gm, gv in grads[1:]:
        # (torch.testing imports sympy, too old in Debian's QGIS stack: compare with numpy)
        np.testing.assert_allclose(ll.numpy(), grads[0][0].numpy(), rtol=1e-10, atol=1e-9)
        np.testing.assert_allclose(gm.numpy(), grads[0][1].numpy(), rtol=1e-9, atol=1e-10)
        np.testing.assert_allclose(gv.numpy(), grads[0][2].numpy(), rtol=1e-9, atol=1e-10)


def test_window_constant_is_circular_box_sum():
    rng = np.random.default_rng(2)
    mu, var = rng.random((2, 5, 5)), 0.1 + rng.random((2, 5, 5))
    got = window_constant(torch.from_numpy(mu), torch.from_numpy(var), 3).numpy()
    per = (mu ** 2 / var + np.log(var)).sum(0)
    want = np.array([[sum(per[(a + i) % 5, (b + j) % 5] for i in range(3) for j in range(3)) for b in range(5)]
                     for a in range(5)])
    np.testing.assert_allclose(got, want, rtol=1e-12)


def test_patch_cut_from_epitome_is_most_likely_at_its_origin():
    g = torch.Generator().manual_seed(3)
    mu = torch.rand(3, 16, 16, generator=g, dtype=torch.float64)
    var = torch.full_like(mu, 0.01)
    rolled = torch.roll(mu, shifts=(-14, -15), dims=(1, 2))  # window at (14, 15) wraps both borders
    x = rolled[:, :5, :5][None]
    for backend in BACKENDS:
        ll = patch_log_likelihood(x, mu, var, backend)[0]
        assert divmod(int(ll.argmax()), 16) == (14, 15)


def test_bad_shapes_rejected():
    with pytest.raises(ValueError):
        patch_log_likelihood(torch.rand(1, 2, 3, 3), torch.rand(3, 5, 5), torch.rand(3, 5, 5) + 0.1)
    with pytest.raises(ValueError):
        patch_log_likelihood(torch.rand(1, 2, 7, 7), torch.rand(2, 5, 5), torch.rand(2, 5, 5) + 0.1)
    with pytest.raises(ValueError):
        patch_log_likelihood(torch.rand(1, 2, 3, 3), torch.rand(2, 5, 5), torch.rand(2, 5, 5) + 0.1, "nope")
