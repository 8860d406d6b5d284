"""Appearance refinement: a noisy-label mixture EM over the self-epitome, in which a query's label
may depart from its coarse class's composition where its appearance is decisive (beyond the paper)."""

from __future__ import annotations

from typing import Optional

try:
    import torch
    import torch.nn.functional as F
except Exception:  # ImportError or a broken install (OSError): the plugin must load without torch
    torch = F = None

from ..errors import check_cancel


def excluded_window_index(qy: torch.Tensor, qx: torch.Tensor, win_h: int, win_w: int, radius: int,
                          stride: int = 1) -> torch.Tensor:
    """Flat indices [T, (2r'+1)^2] into the win_h x win_w grid of key windows (top-left corners `stride` pixels
    apart, key_positions) of the windows near each query (top-left corner (qy[t], qx[t]) in pixels): those
    within r' = ceil(radius / stride) grid steps (Chebyshev) of the grid point nearest the query. Offsets
    falling outside the grid are clamped onto it, i.e. onto windows that are still near."""
    r = -(-radius // stride)
    cy = torch.div(qy + stride // 2, stride, rounding_mode="floor").clamp(0, win_h - 1)
    cx = torch.div(qx + stride // 2, stride, rounding_mode="floor").clamp(0, win_w - 1)
    d = torch.arange(-r, r + 1, device=qy.device)
    sy = (cy[:, None] + d[None]).clamp(0, win_h - 1)  # [T, 2r+1]
    sx = (cx[:, None] + d[None]).clamp(0, win_w - 1)
    return (sy[:, :, None] * win_w + sx[:, None, :]).reshape(qy.shape[0], -1)


def window_label_init(p_label_w: torch.Tensor, key_valid: torch.Tensor, k: int, ys=None, xs=None) -> torch.Tensor:
    """Initial p(s | l) from a per-pixel label map p_label_w [L, h, w]: the window label is the box mean
    of p(l | m, n) over the window's K x K pixels (the key windows on the grid ys x xs; default every window),
    p(s | l) is that column normalised over valid s."""
    L = p_label_w.shape[0]
    box = F.avg_pool2d(p_label_w[None], k, stride=1)[0]  # [L, win_h, win_w]
    if ys is not None:
        box = box[:, ys[:, None], xs[None, :]]
    G = box.reshape(L, -1).t() * key_valid[:, None]
    return G / G.sum(0, keepdim=True).clamp_min(1e-30)


def appearance_mixture(A: torch.Tensor, query_class: torch.Tensor, p_window_given_label: torch.Tensor,
                       p_label_given_class: torch.Tensor, iterations: int = 5, power: float = 3.0,
                       table_prior: Optional[float] = 0.1, cancel=None):
    """Noisy-label mixture EM in which appearance can override the class table.

    Generative model of query t (centre class c_t):  l_t ~ pi_{c_t}(l),  s_t ~ p(s | l_t),
    x_t ~ N(mu_s, variance * temperature). With A[t, s] = p(s | x_t) under the uniform window prior
    (leave-one-out, see attention.embed_classes), the label likelihood is, up to a per-query constant,
        lik[t, l] = p(x_t | l) ~ sum_s A[t, s] p(s | l)            (a kernel density of label l's windows)
    E:  r[t, l]  ∝ pi_{c_t}(l) * lik[t, l]^beta                      (beta = power; beta = 1 is plain EM,
                                                                       beta > 1 sharpens the tempered kernel)
        q_t(l, s) = r[t, l] * A[t, s] p(s | l) / lik[t, l]
    M:  p(s | l) ∝ sum_t q_t(l, s) = p(s | l) * sum_t A[t, s] r[t, l] / lik[t, l]
        pi_c(l)   = (kappa n_c p(l | c) + sum_{t: c_t = c} r[t, l]) / ((1 + kappa) n_c)
                    (MAP under a Dirichlet prior centred on the table with strength kappa n_c;
                     kappa = table_prior, None keeps pi = the table)
    A [T, S]; query_class [T] long; p_window_given_label [S, L] (columns sum to 1);
    p_label_given_class [Cc, L]. Returns (p(s | l) [S, L], pi [Cc, L], rho [L]) with
    rho(l) = mean_t r[t, l] the label proportions of the queries (for p(l | s) ∝ p(s | l) rho(l)).
    Cost per iteration: two [T, S] x [S or T, L] products.
    """
    P = p_window_given_label.clone()
    Cc, L = p_label_given_class.shape
    onehot = F.one_hot(query_class, Cc).to(A.dtype)  # [T, Cc]
    n_c = onehot.sum(0)[:, None]
    table = p_label_given_class.clone()
    tiny = 1e-30
    r = None
    for _ in range(max(1, iterations)):
        check_cancel(cancel)
        lik = A @ P  # [T, L]
        log_r = torch.log(table[query_class].clamp_min(tiny)) + power * torch.log(lik.clamp_min(tiny))
        r = torch.softmax(log_r, dim=1)
        P = P * ((r / lik.clamp_min(tiny)).t() @ A).t()  # = A^T (r / lik), the faster way round
        P = P / P.sum(0, keepdim=True).clamp_min(tiny)
        if table_prior is not None:
            sums = onehot.t() @ r  # [Cc, L]
            kn = table_prior * n_c
            table = torch.where(n_c > 0, (kn * p_label_given_class + sums) / (kn + n_c).clamp_min(tiny),
                                p_label_given_class)
    rho = r.mean(0)
    return P, table, rho
