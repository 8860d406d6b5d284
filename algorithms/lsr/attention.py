"""The tile as its own epitome: windows, patch posteriors (attention) and the class embedding
(method.md sections 3 and 5, Eqs. 10-11).

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

from ..errors import check_cancel


def window_grid(h: int, w: int, k: int, stride: int = 1):
    """(rows, cols) of the grid of K x K windows of an h x w image whose top-left corners are `stride` apart."""
    return (h - k) // stride + 1, (w - k) // stride + 1


def window_matrix(x: torch.Tensor, k: int, stride: int = 1) -> torch.Tensor:
    """The K x K windows of x [C, h, w] (no wrap), top-left corners `stride` apart, as rows: [S, C*K*K],
    S = rows x cols of window_grid."""
    cols = F.unfold(x[None], kernel_size=k, stride=stride)  # [1, D, S]
    return cols[0].t().contiguous()


def gather_windows(x: torch.Tensor, ys: torch.Tensor, xs: torch.Tensor, k: int) -> torch.Tensor:
    """The K x K windows of x [C, h, w] with top-left corners (ys[t], xs[t]) as rows [T, C*K*K], in
    window_matrix's order (band, then row, then column), without building every window."""
    C, h, w = x.shape
    d = torch.arange(k, device=x.device)
    pix = (ys[:, None, None] + d[None, :, None]) * w + (xs[:, None, None] + d[None, None, :])  # [T, K, K]
    idx = torch.arange(C, device=x.device)[None, :, None] * (h * w) + pix.reshape(len(ys), 1, k * k)
    return x.reshape(-1)[idx.reshape(len(ys), -1)]


def window_validity(valid: torch.Tensor, k: int, stride: int = 1) -> torch.Tensor:
    """valid [h, w] bool -> [S] bool for the windows `stride` apart: True where the whole window is valid."""
    m = F.avg_pool2d(valid.to(torch.float32)[None, None], k, stride=stride)[0, 0]
    return (m > 1 - 1e-6).reshape(-1)


def reduce_dimensions(keys: torch.Tensor, queries: torch.Tensor, dims: int, sample: int = 16384, seed: int = 0):
    """Patch vectors in a reduced basis (PCA of the tile's windows): keys [S, D], queries [T, D] ->
    (keys [S, d], queries [T, d], key_half_sqnorm [S]) with d = dims, centred on the windows' mean.

    Logits need x_t . mu_s - |mu_s|^2 / 2 up to a per-query constant; in the centred basis the second term is
    kept exact (the full norm) and only the first is approximated by the top-d principal components, so
    the logits lose just the cross term of the discarded components. The basis comes from at most `sample`
    windows (seeded)."""
    S, D = keys.shape
    mean = keys.mean(0, keepdim=True)
    kc = keys - mean
    if S > sample:
        g = torch.Generator(device="cpu").manual_seed(int(seed))
        sub = kc[torch.randperm(S, generator=g)[:sample].to(keys.device)]
    else:
        sub = kc
    cov = (sub.t() @ sub).double().cpu().numpy() / max(1, sub.shape[0] - 1)
    import numpy as np

    _, vecs = np.linalg.eigh(cov)  # ascending eigenvalues (LAPACK: a few ms for D ~ 200)
    basis = torch.from_numpy(vecs[:, -dims:].copy()).to(device=keys.device, dtype=keys.dtype)  # [D, d]
    return kc @ basis, (queries - mean) @ basis, 0.5 * (kc * kc).sum(1)


def posterior_logits(queries: torch.Tensor, keys: torch.Tensor, key_half_sqnorm: torch.Tensor,
                     variance: float, temperature: float) -> torch.Tensor:
    """Tempered log p(x_t | s) up to a per-query constant: [T, S].

    (x_t . mu_s - |mu_s|^2 / 2) / (variance * temperature), which equals
    -|x_t - mu_s|^2 / (2 variance temperature) + |x_t|^2 / (2 variance temperature).
    One fused GEMM (addmm with the window term as bias); +inf in key_half_sqnorm masks a window.
    """
    scale = 1.0 / (variance * temperature)
    return torch.addmm((-scale) * key_half_sqnorm[None, :], queries * scale, keys.t())


def spread_over_windows(Z: torch.Tensor, win_h: int, win_w: int, k: int, stride: int = 1,
                        size=None) -> torch.Tensor:
    """Box-filter window masses onto pixels: Z [S, Cc] (S = win_h*win_w windows `stride` apart) -> [Cc, h, w].

    Pixel (m, n) receives the sum of Z[s] over every window s that covers it (Eq. 11). With stride > 1,
    pixels are covered by different numbers of windows; the sum is divided by that number (times the
    stride-1 count K^2 / stride^2 of a uniform field), so a uniform Z spreads uniformly. size = (h, w) pads
    the result to the image (windows `stride` apart may stop short of its last rows and columns).
    """
    Cc = Z.shape[1]
    grid = Z.t().reshape(1, Cc, win_h, win_w)
    ones = torch.ones(Cc, 1, k, k, dtype=Z.dtype, device=Z.device)
    out = F.conv_transpose2d(grid, ones, groups=Cc, stride=stride)[0]
    if stride > 1:
        cover = F.conv_transpose2d(torch.ones(1, 1, win_h, win_w, dtype=Z.dtype, device=Z.device),
                                   ones[:1], stride=stride)[0]
        out = out / cover.clamp_min(1) * (k * k / stride ** 2)
    if size is not None and tuple(out.shape[-2:]) != tuple(size):
        out = F.pad(out, (0, size[1] - out.shape[-1], 0, size[0] - out.shape[-2]))
    return out


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
    block = max(1, min(T, block_elements // max(S, 1)))
    for start in range(0, T, block):
        check_cancel(cancel)
        stop = min(T, start + block)
        logits = posterior_logits(queries[start:stop], keys, half, variance, temperature)
        post = torch.softmax(logits, dim=1)  # log-sum-exp stabilised; invalid windows get 0
        onehot = F.one_hot(query_class[start:stop], n_classes).to(keys.dtype)
        Zt += onehot.t() @ post  # [Cc, S]: contiguous rows, faster than post.t() @ onehot
        if start < n_keep:
            kept = min(stop, n_keep) - start
            lg = logits[:kept]
            if exclude_index is not None:
                lg.scatter_(1, exclude_index[start:start + kept], float("-inf"))
            # softmax that gives 0 (not NaN) on rows whose every window is excluded
            lse = torch.logsumexp(lg, dim=1, keepdim=True).clamp_min(-1e30)
            torch.exp(lg - lse, out=A[start:start + kept])
        if progress is not None:
            progress(min(1.0, stop / T))
    return Zt.t(), A
