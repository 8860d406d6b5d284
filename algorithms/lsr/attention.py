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


def window_matrix(x: torch.Tensor, k: int) -> torch.Tensor:
    """All K x K windows of x [C, h, w] (no wrap) as rows: [S, C*K*K], S = (h-K+1)(w-K+1)."""
    cols = F.unfold(x[None], kernel_size=k)  # [1, D, S]
    return cols[0].t().contiguous()


def window_validity(valid: torch.Tensor, k: int) -> torch.Tensor:
    """valid [h, w] bool -> [S] bool: True where the whole window is valid."""
    m = F.avg_pool2d(valid.to(torch.float32)[None, None], k, stride=1)[0, 0]
    return (m > 1 - 1e-6).reshape(-1)


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


def embed_classes(queries: torch.Tensor, query_class: torch.Tensor, keys: torch.Tensor, key_valid: torch.Tensor,
                  n_classes: int, variance: float, temperature: float, n_keep: int = 0,
                  exclude_index: Optional[torch.Tensor] = None, block_elements: int = 1 << 24, cancel=None,
                  progress=None):
    """The class embedding (Eq. 10) and, for the appearance refinement, leave-one-out posteriors, in one pass
    over blocks of queries that share the logits (the expensive GEMM; the T x S matrix is never held).

    queries [T, D], query_class [T] long in [0, n_classes), keys [S, D], key_valid [S] bool.
    Returns
      Z [S, n_classes]: Z[s, c] = sum_t [c_t = c] p(s | x_t), the posterior mass of class-c queries at
        window s (tempered softmax over the valid windows; invalid windows get none);
      A [n_keep, S]: p(s | x_t) of the first n_keep queries with the windows listed in exclude_index[t]
        [n_keep, E] removed - a leave-one-out kernel density, so that a query is explained by the rest of
        the tile and not by itself and its overlapping neighbours (rows with every window excluded are 0).
    At most `block_elements` logits are held at once."""
    S = keys.shape[0]
    T = queries.shape[0]
    half = 0.5 * (keys * keys).sum(1)
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
            A[start:start + kept] = torch.nan_to_num(torch.softmax(lg, dim=1), nan=0.0)
        if progress is not None:
            progress(min(1.0, stop / T))
    return Zt.t(), A
