"""The tile as its own epitome: windows, patch posteriors (attention) and the class embedding
(docs/METHOD.md, "Putting labels into the epitome", Eqs. 10-11, and "Self-epitomic LSR").

Shapes: C bands, K patch side, D = C*K*K, S windows (top-left corners, no wrap), T query patches,
Cc coarse classes.
"""

from __future__ import annotations

from typing import Optional

try:
    import torch
    import torch.nn.functional as F
except Exception:  # ImportError or a broken install (OSError): the plugin must load without torch
    torch = F = None

import numpy as np

from ..errors import check_cancel

# Work per uninterrupted step, so that cancel takes effect within a second or so at any setting (docs/RELIABILITY.md):
BLOCK_FLOPS = 1 << 31  # multiply-adds x 2 of one block of attention logits (about 0.1-1 s on a CPU)
GATHER_ELEMENTS = 1 << 24  # patch values gathered at once (bounds the int64 index of gather_windows)
EXACT_PCA_DIMS = 1024  # patch dimensions up to which the PCA basis is an exact eigendecomposition (above: randomised)


def key_positions(n: int, k: int, stride: int) -> torch.Tensor:
    """Top-left offsets of the key windows along an axis of n pixels: 0, stride, 2 stride, ... and always the
    last window n - k, so the keys reach the far edge. [m] long."""
    pos = list(range(0, n - k + 1, stride))
    if pos[-1] != n - k:
        pos.append(n - k)
    return torch.tensor(pos, dtype=torch.long)


def window_matrix(x: torch.Tensor, k: int) -> torch.Tensor:
    """All K x K windows of x [C, h, w] (no wrap) as rows: [S, C*K*K], S = (h-K+1)(w-K+1)."""
    cols = F.unfold(x[None], kernel_size=k)  # [1, D, S]
    return cols[0].t().contiguous()


def gather_windows(x: torch.Tensor, ys: torch.Tensor, xs: torch.Tensor, k: int, cancel=None) -> torch.Tensor:
    """The K x K windows of x [C, h, w] with top-left corners (ys[t], xs[t]) as rows [T, C*K*K], in
    window_matrix's order (band, then row, then column), without building every window. Gathered in chunks of
    GATHER_ELEMENTS values (the index is int64: twice the result's size if built at once)."""
    C, h, w = x.shape
    D = C * k * k
    out = torch.empty(len(ys), D, dtype=x.dtype, device=x.device)
    d = torch.arange(k, device=x.device)
    band = torch.arange(C, device=x.device)[None, :, None] * (h * w)
    flat = x.reshape(-1)
    step = max(1, GATHER_ELEMENTS // max(D, 1))
    for a in range(0, len(ys), step):
        check_cancel(cancel)
        y, xx = ys[a:a + step], xs[a:a + step]
        pix = (y[:, None, None] + d[None, :, None]) * w + (xx[:, None, None] + d[None, None, :])  # [t, K, K]
        idx = band + pix.reshape(len(y), 1, k * k)
        out[a:a + len(y)] = flat[idx.reshape(len(y), -1)]
    return out


def window_validity(valid: torch.Tensor, k: int) -> torch.Tensor:
    """valid [h, w] bool -> [S] bool: True where the whole window is valid."""
    m = F.avg_pool2d(valid.to(torch.float32)[None, None], k, stride=1)[0, 0]
    return (m > 1 - 1e-6).reshape(-1)


def box_sum_full(a: torch.Tensor, k: int) -> torch.Tensor:
    """The 'full' K x K box sum of a [n, h', w'] -> [n, h' + K - 1, w' + K - 1] (what a transposed convolution with
    a K x K kernel of ones computes) by running sums along each axis: O(pixels), whatever K."""
    p = F.pad(a, (k, k - 1, k, k - 1))  # a leading zero row/column for the differences
    c = p.cumsum(-1)
    c = c[..., k:] - c[..., :-k]
    c = c.cumsum(-2)
    return c[..., k:, :] - c[..., :-k, :]


def spread_over_keys(Z: torch.Tensor, ys: torch.Tensor, xs: torch.Tensor, k: int, size) -> torch.Tensor:
    """Key-window masses onto pixels for keys on the grid ys x xs (key_positions): Z [len(ys) * len(xs), Cc] ->
    [Cc, h, w]. Each pixel gets the masses of the key windows covering it divided by how many cover it, times
    K^2 / stride^2 (the count of a regular grid), so uniform masses spread uniformly; with every window as a
    key (stride 1) this is exactly spread_over_windows."""
    h, w = size
    Cc = Z.shape[1]
    win_h, win_w = h - k + 1, w - k + 1
    if len(ys) == win_h and len(xs) == win_w:
        return spread_over_windows(Z, win_h, win_w, k)
    grid = torch.zeros(Cc, win_h, win_w, dtype=Z.dtype, device=Z.device)
    grid[:, ys[:, None], xs[None, :]] = Z.t().reshape(Cc, len(ys), len(xs))
    mask = torch.zeros(1, 1, win_h, win_w, dtype=Z.dtype, device=Z.device)
    mask[0, 0, ys[:, None], xs[None, :]] = 1.0
    out = box_sum_full(grid, k)
    cover = box_sum_full(mask[0], k)
    stride = max(1.0, (win_h - 1) / max(1, len(ys) - 1))
    return out / cover.clamp_min(1) * (k * k / stride ** 2)


def reduce_dimensions(keys: torch.Tensor, queries: torch.Tensor, dims: int, sample: int = 16384, seed: int = 0,
                      cancel=None):
    """Patch vectors in a reduced basis (PCA of the tile's windows): keys [S, D], queries [T, D] ->
    (keys [S, d], queries [T, d], key_half_sqnorm [S]) with d = dims, centred on the windows' mean.

    Logits need x_t . mu_s - |mu_s|^2 / 2 up to a per-query constant; in the centred basis the second term is
    kept exact (the full norm) and only the first is approximated by the top-d principal components, so
    the logits lose just the cross term of the discarded components. The basis comes from at most `sample`
    windows (seeded): an exact eigendecomposition of their covariance up to EXACT_PCA_DIMS patch dimensions,
    a seeded randomised subspace iteration above (the covariance would cost sample x D^2, minutes for 31 x 31
    patches of 4 bands). Centring and projection run by row chunks (no centred copy of the keys), with cancel
    checks between them."""

    S, D = keys.shape
    mean = keys.mean(0, keepdim=True)
    if S > sample:
        g = torch.Generator(device="cpu").manual_seed(int(seed))
        sub = keys[torch.randperm(S, generator=g)[:sample].to(keys.device)] - mean
    else:
        sub = keys - mean
    if D <= EXACT_PCA_DIMS:
        cov = (sub.t() @ sub).double().cpu().numpy() / max(1, sub.shape[0] - 1)
        _, vecs = np.linalg.eigh(cov)  # ascending eigenvalues (LAPACK: a few ms for D ~ 200)
        basis = torch.from_numpy(vecs[:, -dims:].copy()).to(device=keys.device, dtype=keys.dtype)  # [D, d]
    else:
        basis = randomised_basis(sub, dims, seed, cancel)
    del sub
    step = max(1, BLOCK_FLOPS // (2 * D * max(dims, 1)))
    kr = torch.empty(S, basis.shape[1], dtype=keys.dtype, device=keys.device)
    half = torch.empty(S, dtype=keys.dtype, device=keys.device)
    for a in range(0, S, step):
        check_cancel(cancel)
        kc = keys[a:a + step] - mean
        kr[a:a + step] = kc @ basis
        half[a:a + step] = 0.5 * (kc * kc).sum(1)
    qr = torch.empty(queries.shape[0], basis.shape[1], dtype=queries.dtype, device=queries.device)
    for a in range(0, queries.shape[0], step):
        check_cancel(cancel)
        qr[a:a + step] = (queries[a:a + step] - mean) @ basis
    return kr, qr, half


def randomised_basis(sub: torch.Tensor, dims: int, seed: int, cancel=None, oversample: int = 10, power: int = 3):
    """The top-`dims` principal directions [D, dims] of the centred rows sub [n, D] by a seeded randomised subspace
    iteration (Halko, Martinsson, Tropp 2011): a few products with sub, never its D x D covariance."""
    D = sub.shape[1]
    r = min(D, dims + oversample)
    g = torch.Generator(device="cpu").manual_seed(int(seed) + 1)
    x = sub.double()
    q = torch.randn(D, r, generator=g, dtype=torch.float64).to(x.device)
    for _ in range(power):
        check_cancel(cancel)
        q, _ = torch.linalg.qr(x.t() @ (x @ q))  # [D, r]: the range of sub^T sub, sharpened
    check_cancel(cancel)
    _, _, vh = torch.linalg.svd(x @ q, full_matrices=False)  # [n, r] = U S Vh: sub's top directions are q Vh^T
    return (q @ vh.t())[:, :dims].to(sub.dtype)


def posterior_logits(queries: torch.Tensor, keys: torch.Tensor, key_half_sqnorm: torch.Tensor,
                     variance: float, temperature: float) -> torch.Tensor:
    """Tempered log p(x_t | s) up to a per-query constant: [T, S].

    (x_t . mu_s - |mu_s|^2 / 2) / (variance * temperature), which equals
    -|x_t - mu_s|^2 / (2 variance temperature) + |x_t|^2 / (2 variance temperature).
    One fused GEMM (addmm with the window term as bias); +inf in key_half_sqnorm masks a window.
    """
    scale = 1.0 / (variance * temperature)
    return torch.addmm((-scale) * key_half_sqnorm[None, :], queries * scale, keys.t())


def spread_over_windows(Z: torch.Tensor, win_h: int, win_w: int, k: int) -> torch.Tensor:
    """Box-filter window masses onto pixels: Z [S, Cc] (S = win_h*win_w) -> [Cc, h, w].

    Pixel (m, n) receives the sum of Z[s] over every window s that covers it (Eq. 11).
    """
    Cc = Z.shape[1]
    grid = Z.t().reshape(1, Cc, win_h, win_w)
    ones = torch.ones(Cc, 1, k, k, dtype=Z.dtype, device=Z.device)
    return F.conv_transpose2d(grid, ones, groups=Cc)[0]


def leave_out(post: torch.Tensor, logits: torch.Tensor, exclude: Optional[torch.Tensor], out: torch.Tensor):
    """out [B, S] = the posteriors post [B, S] renormalised without the windows exclude [B, E]: a softmax over the
    remaining windows is the full softmax divided by the mass left, 1 - sum of the excluded entries. Rows whose
    excluded windows held almost all the mass (cancellation) are recomputed from their logits; rows with every
    window excluded are 0."""
    out.copy_(post)
    if exclude is None:
        return
    out.scatter_(1, exclude, 0.0)
    left = out.sum(1)  # the mass left (indices listed twice are zeroed once)
    exact_rows = torch.nonzero(left < 1e-3).flatten()
    out.mul_(1.0 / left.clamp_min(1e-3)[:, None])
    if exact_rows.numel():
        lg = logits[exact_rows].scatter(1, exclude[exact_rows], float("-inf"))
        lse = torch.logsumexp(lg, dim=1, keepdim=True).clamp_min(-1e30)  # all excluded: 0, not NaN
        out[exact_rows] = torch.exp(lg - lse)


def embed_classes(queries: torch.Tensor, query_class: torch.Tensor, keys: torch.Tensor, key_valid: torch.Tensor,
                  n_classes: int, variance: float, temperature: float, n_keep: int = 0,
                  exclude_index: Optional[torch.Tensor] = None, block_elements: int = 1 << 24, cancel=None,
                  progress=None, key_half_sqnorm: Optional[torch.Tensor] = None):
    """The class embedding (Eq. 10) and, for the appearance refinement, leave-one-out posteriors, in one pass
    over blocks of queries that share the logits (the expensive GEMM; the T x S matrix is never held).

    queries [T, D], query_class [T] long in [0, n_classes), keys [S, D], key_valid [S] bool.
    Returns
      Z [S, n_classes]: Z[s, c] = sum_t [c_t = c] p(s | x_t), the posterior mass of class-c queries at
        window s (tempered softmax over the valid windows; invalid windows get none);
      A [n_keep, S]: p(s | x_t) of the first n_keep queries with the windows listed in exclude_index[t]
        [n_keep, E] removed - a leave-one-out kernel density, so that a query is explained by the rest of
        the tile and not by itself and its overlapping neighbours (rows with every window excluded are 0).
    At most `block_elements` logits are held at once. key_half_sqnorm [S]: |mu_s|^2 / 2 when the keys are
    given in a reduced basis (reduce_dimensions); default: from the keys."""
    S = keys.shape[0]
    T = queries.shape[0]
    half = 0.5 * (keys * keys).sum(1) if key_half_sqnorm is None else key_half_sqnorm
    half = torch.where(key_valid, half, torch.full_like(half, float("inf")))
    Zt = torch.zeros(n_classes, S, dtype=keys.dtype, device=keys.device)
    A = torch.empty(n_keep, S, dtype=keys.dtype, device=keys.device)
    # a block holds at most block_elements logits (memory) and costs at most BLOCK_FLOPS (a cancel check each)
    block = max(1, min(T, block_elements // max(S, 1), BLOCK_FLOPS // max(2 * S * keys.shape[1], 1)))
    for start in range(0, T, block):
        check_cancel(cancel)
        stop = min(T, start + block)
        logits = posterior_logits(queries[start:stop], keys, half, variance, temperature)
        post = torch.softmax(logits, dim=1)  # log-sum-exp stabilised; invalid windows get 0
        onehot = F.one_hot(query_class[start:stop], n_classes).to(keys.dtype)
        Zt += onehot.t() @ post  # [Cc, S]: contiguous rows, faster than post.t() @ onehot
        if start < n_keep:
            kept = min(stop, n_keep) - start
            leave_out(post[:kept], logits[:kept], None if exclude_index is None else
                      exclude_index[start:start + kept], A[start:start + kept])
        if progress is not None:
            progress(min(1.0, stop / T))
    return Zt.t(), A
