"""Self-epitomic label super-resolution of one tile (method.md sections 3-5).

The tile's own (downsampled) pixels are the epitome: means mu_s = the K x K window at s, a fixed
variance and a uniform prior over window positions s. Windows never wrap across tile borders.

Shapes used throughout (working resolution = full resolution / DOWNSAMPLE):
    C   image bands           K  patch side (odd)         D = C*K*K  patch dimension
    h,w working tile size     S  = (h-K+1)*(w-K+1) window positions (top-left corners)
    T   query patches         Cc coarse classes (rows of the composition)   L labels

Steps: (1) posterior p(s | x_t) of every query patch x_t over all windows s, a tempered softmax of
    log p(x_t | s) = -|x_t - mu_s|^2 / (2 var) + const;
(2) class embedding Z[s, c] = sum_t [c_t = c] p(s | x_t), spread over each window's K x K pixels
    (box filter) and normalised over pixels: p(m, n | c)            (Eqs. 10-11);
(3) EM for p(l | m, n) given p(l | c) and the observed p(c)           (Eqs. 7-9);
(4) appearance refinement (noisy-label mixture EM, `appearance_mixture`): each query's label may
    depart from the class table where its appearance is decisive; 0 iterations = the paper's output;
(5) optional fusion with each pixel's own coarse-class composition p(l | c(pixel)).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Optional


try:
    import torch
    import torch.nn.functional as F
except Exception:  # ImportError or a broken install (OSError). The plugin must load without torch: its UI
    torch = F = None  # uses LsrParams/FUSION_MODES; algorithms check device.torch_status() before running.

from .errors import Cancelled

FUSION_MODES = ("none", "product", "bayes")


def block_elements_for_budget(budget_mib: int, default: int = 1 << 24) -> int:
    """Logits held at once (LsrParams.block_elements) for a working-memory budget in MiB: one fp32
    block is a sixteenth of the budget (the posterior block, its exponent and the embedding products
    live at the same time), within [2^18, 2^28]. 0 or less: the default."""
    if budget_mib <= 0:
        return default
    return int(min(1 << 28, max(1 << 18, budget_mib * (1 << 20) // 64)))


@dataclass
class LsrParams:
    """Parameters of self-epitomic LSR (the Processing parameters of the same names).

    Defaults chosen by the `make bench --grid` table (docs/BENCHMARKS.md, section 5): the real NAIP /
    NLCD 30 m patches of shared/data/chesapeake-wv and four generated 1024 px scenes (two with detailed
    labels, two with hand-drawn smooth labels). accuracy % (real also mIoU and the worst patch against
    the naive baseline argmax p(l | c)):
                                        real                 detailed 0/1   smooth 0/1
      naive                             86.41 / 0.403        78.0 / 78.3    90.1 / 90.2
      paper EM (appearance 0, no fusion) 87.20 / 0.441 / -0.9 85.2 / 84.0    86.6 / 87.2
      appearance 1, no fusion           88.20 / 0.439 / +0.0 86.5 / 85.4    87.2 / 88.9
      appearance 1, product 0.5 (default) 87.79 / 0.423 / -0.4 86.4 / 84.7  91.1 / 91.2
      appearance 5, no fusion           88.66 / 0.464 / +0.0 83.2 / 83.3    81.6 / 86.2
    Without fusion, self-similarity loses up to 2.9 points to plain upsampling on smooth hand-drawn
    maps; the product fusion with weight 0.5 is the only setting that never falls more than 1 point
    below the naive baseline on any real patch or scene, for 0.4 points of real-patch accuracy.
    Five refinement iterations fit the real patches best but lose 2-6 points on the generated scenes.
    """

    downsample: int = 2
    patch_size: int = 7
    samples: float = 0.05  # share of working pixels used as query patches (1 = all windows)
    variance: float = 0.01  # Gaussian variance of every epitome pixel, data scaled to [0, 1]
    temperature: Optional[float] = None  # None = K*K (the reference code's self-epitome choice)
    em_iterations: int = 30
    fusion: str = "product"  # see the table above
    fusion_weight: float = 0.5
    # Appearance refinement (noisy-label mixture EM, see appearance_mixture). 0 iterations = off.
    appearance_iterations: int = 1  # chosen by `make bench` grid (docs/BENCHMARKS.md section 5)
    appearance_power: float = 3.0  # beta: exponent of the appearance likelihood p(x_t | l)
    appearance_exclude: Optional[int] = None  # leave-out radius in windows; None = K - 1; < 0 = off
    table_prior: Optional[float] = 0.1  # Dirichlet strength (x class count) of the tile table; None = fixed
    block_elements: int = 1 << 24  # query block x windows floats held at once (64 MiB fp32)
    seed: int = 0

    def validate(self):
        if self.downsample < 1:
            raise ValueError("DOWNSAMPLE must be at least 1.")
        if self.patch_size < 1 or self.patch_size % 2 == 0:
            raise ValueError("PATCH_SIZE must be a positive odd number (e.g. 5, 7, 9).")
        if not (0.0 < self.samples <= 1.0):
            raise ValueError("SAMPLES must be in (0, 1]: the share of working pixels used as queries.")
        if self.variance <= 0:
            raise ValueError("VARIANCE must be positive (0.01 suits data scaled to [0, 1]).")
        if self.em_iterations < 1:
            raise ValueError("EM_ITERATIONS must be at least 1.")
        if self.fusion not in FUSION_MODES:
            raise ValueError(f"FUSION must be one of {', '.join(FUSION_MODES)}.")
        if self.appearance_iterations < 0:
            raise ValueError("APPEARANCE_ITERATIONS must be 0 (off) or more.")
        if self.appearance_power <= 0:
            raise ValueError("APPEARANCE_POWER must be positive (3 by default).")
        if self.table_prior is not None and self.table_prior < 0:
            raise ValueError("TABLE_PRIOR must be non-negative (or None to keep the table fixed).")

    @property
    def effective_temperature(self) -> float:
        return float(self.temperature) if self.temperature else float(self.patch_size ** 2)

    @property
    def effective_appearance_exclude(self) -> int:
        if self.appearance_exclude is None:
            return self.patch_size - 1
        return int(self.appearance_exclude)


def _check_cancel(cancel: Optional[Callable[[], bool]]):
    if cancel is not None and cancel():
        raise Cancelled()


# ----------------------------------------------------------------------------------------------
# Resolution changes
# ----------------------------------------------------------------------------------------------

def downsample_mean(image: torch.Tensor, valid: torch.Tensor, factor: int):
    """Nodata-aware block mean.

    image [C, H, W] float, valid [H, W] bool -> (x [C, h, w], valid_w [h, w] bool) with
    h = ceil(H / factor). A working pixel is valid when at least half of its block is valid.
    """
    if factor == 1:
        return image * valid, valid.clone()
    C, H, W = image.shape
    ph, pw = (-H) % factor, (-W) % factor
    v = valid.to(image.dtype)[None]
    img = F.pad(image * v, (0, pw, 0, ph))
    v = F.pad(v, (0, pw, 0, ph))
    s = F.avg_pool2d(img[None], factor)[0]
    n = F.avg_pool2d(v[None], factor)[0]
    x = s / n.clamp_min(1e-6)
    # Blocks cut by the tile edge count only their real pixels.
    area = F.avg_pool2d(F.pad(torch.ones_like(valid, dtype=image.dtype)[None, None], (0, pw, 0, ph)), factor)[0, 0]
    frac = n[0] / area.clamp_min(1e-6)
    return x, frac >= 0.5


def upsample_probs(p: torch.Tensor, size) -> torch.Tensor:
    """Bilinear resize of per-pixel label distributions p [L, h, w] -> [L, H, W], renormalised."""
    if tuple(p.shape[-2:]) == tuple(size):
        return p
    q = F.interpolate(p[None], size=size, mode="bilinear", align_corners=False)[0].clamp_min(0)
    return q / q.sum(0, keepdim=True).clamp_min(1e-12)


# ----------------------------------------------------------------------------------------------
# Windows, posteriors and the class embedding
# ----------------------------------------------------------------------------------------------

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


def embed_classes(queries: torch.Tensor, query_class: torch.Tensor, keys: torch.Tensor,
                  key_valid: torch.Tensor, n_classes: int, variance: float, temperature: float,
                  block_elements: int = 1 << 24, cancel=None, progress=None) -> torch.Tensor:
    """Z[s, c] = sum_t [c_t = c] p(s | x_t): the posterior mass of class-c queries at window s.

    queries [T, D], query_class [T] long in [0, n_classes), keys [S, D], key_valid [S] bool.
    Computed in blocks of queries so that at most `block_elements` logits are held at once
    (the T x S matrix is never materialised). Returns [S, n_classes] float32.
    """
    return embed_classes_with_posteriors(queries, query_class, keys, key_valid, n_classes, variance, temperature,
                                         0, None, block_elements, cancel, progress)[0]


def spread_over_windows(Z: torch.Tensor, win_h: int, win_w: int, k: int) -> torch.Tensor:
    """Box-filter window masses onto pixels: Z [S, Cc] (S = win_h*win_w) -> [Cc, h, w].

    Pixel (m, n) receives the sum of Z[s] over every window s that covers it (Eq. 11).
    """
    Cc = Z.shape[1]
    grid = Z.t().reshape(1, Cc, win_h, win_w)
    ones = torch.ones(Cc, 1, k, k, dtype=Z.dtype, device=Z.device)
    return F.conv_transpose2d(grid, ones, groups=Cc)[0]


# ----------------------------------------------------------------------------------------------
# EM (Eqs. 7-9)
# ----------------------------------------------------------------------------------------------

def lsr_em(p_pos_given_class: torch.Tensor, p_class: torch.Tensor, p_label_given_class: torch.Tensor,
           iterations: int = 30, init: Optional[torch.Tensor] = None, cancel=None) -> torch.Tensor:
    """Label super-resolution EM without materialising q.

    p_pos_given_class [Cc, P] (rows sum to 1 over positions), p_class [Cc] (sums to 1),
    p_label_given_class [Cc, L] (rows sum to 1). Returns p(l | m, n) as [P, L] (rows sum to 1).

    Maximises sum_c p(c) sum_l p(l|c) log sum_mn p(l|mn) p(mn|c) by the multiplicative update
        N[c, l]   = sum_mn p(l|mn) p(mn|c)
        p(l|mn)  <- p(l|mn) * sum_c p(c) p(l|c) p(mn|c) / N[c, l],   renormalised over l.
    """
    Cc, P = p_pos_given_class.shape
    L = p_label_given_class.shape[1]
    if init is None:
        p = torch.full((P, L), 1.0 / L, dtype=p_pos_given_class.dtype, device=p_pos_given_class.device)
    else:
        p = init.clone()
    tiny = 1e-30
    pos_t = p_pos_given_class.t().contiguous()  # [P, Cc], laid out for the [P, Cc] x [Cc, L] product
    for _ in range(iterations):
        _check_cancel(cancel)
        N = p_pos_given_class @ p  # [Cc, L]
        W = p_class[:, None] * p_label_given_class / N.clamp_min(tiny)  # [Cc, L]
        p = p * (pos_t @ W)
        p = p / p.sum(1, keepdim=True).clamp_min(tiny)
    return p


def lsr_objective(p_label_given_pos, p_pos_given_class, p_class, p_label_given_class) -> float:
    """sum_c p(c) sum_l p(l|c) log sum_mn p(l|mn) p(mn|c) (the quantity the EM increases)."""
    N = p_pos_given_class @ p_label_given_pos
    return float((p_class[:, None] * p_label_given_class * torch.log(N.clamp_min(1e-30))).sum())



# ----------------------------------------------------------------------------------------------
# Appearance refinement: noisy-label mixture EM over the self-epitome
# ----------------------------------------------------------------------------------------------

def excluded_window_index(q_idx: torch.Tensor, win_h: int, win_w: int, radius: int) -> torch.Tensor:
    """Flat indices [T, (2r+1)^2] of the windows whose top-left corner lies within `radius` (Chebyshev)
    of each query window q_idx [T] (flat index into the win_h x win_w grid of windows). Offsets falling
    outside the grid are clamped onto it, i.e. onto windows that are still within the radius."""
    qy, qx = q_idx // win_w, q_idx % win_w
    d = torch.arange(-radius, radius + 1, device=q_idx.device)
    sy = (qy[:, None] + d[None]).clamp(0, win_h - 1)  # [T, 2r+1]
    sx = (qx[:, None] + d[None]).clamp(0, win_w - 1)
    return (sy[:, :, None] * win_w + sx[:, None, :]).reshape(q_idx.shape[0], -1)


def leave_out_posteriors(queries: torch.Tensor, keys: torch.Tensor, key_valid: torch.Tensor,
                         variance: float, temperature: float, exclude_index: Optional[torch.Tensor] = None,
                         block_elements: int = 1 << 24, cancel=None) -> torch.Tensor:
    """A[t, s] = p(s | x_t) (tempered softmax over valid windows, as in embed_classes) with the windows
    listed in exclude_index[t] removed: a leave-one-out kernel density, so that a query is explained by
    the rest of the tile and not by itself and its overlapping neighbours. Returns [T, S] (the caller
    bounds T so that T * S fits in memory). Rows whose windows are all excluded are zero."""
    S = keys.shape[0]
    T = queries.shape[0]
    half = 0.5 * (keys * keys).sum(1)
    half = torch.where(key_valid, half, torch.full_like(half, float("inf")))
    A = torch.empty(T, S, dtype=keys.dtype, device=keys.device)
    block = max(1, min(T, block_elements // max(S, 1)))
    for start in range(0, T, block):
        _check_cancel(cancel)
        logits = posterior_logits(queries[start:start + block], keys, half, variance, temperature)
        if exclude_index is not None:
            logits.scatter_(1, exclude_index[start:start + block], float("-inf"))
        A[start:start + block] = torch.nan_to_num(torch.softmax(logits, dim=1), nan=0.0)
    return A


def embed_classes_with_posteriors(queries: torch.Tensor, query_class: torch.Tensor, keys: torch.Tensor,
                                  key_valid: torch.Tensor, n_classes: int, variance: float, temperature: float,
                                  n_keep: int, exclude_index: Optional[torch.Tensor] = None,
                                  block_elements: int = 1 << 24, cancel=None, progress=None):
    """embed_classes and leave_out_posteriors in one pass, sharing the logits (the expensive GEMM).

    Returns (Z [S, n_classes] exactly as embed_classes, A [n_keep, S] exactly as leave_out_posteriors
    for the first n_keep queries, with exclude_index [n_keep, E])."""
    S = keys.shape[0]
    T = queries.shape[0]
    half = 0.5 * (keys * keys).sum(1)
    half = torch.where(key_valid, half, torch.full_like(half, float("inf")))
    Zt = torch.zeros(n_classes, S, dtype=keys.dtype, device=keys.device)
    A = torch.empty(n_keep, S, dtype=keys.dtype, device=keys.device)
    block = max(1, min(T, block_elements // max(S, 1)))
    for start in range(0, T, block):
        _check_cancel(cancel)
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


def window_label_init(p_label_w: torch.Tensor, key_valid: torch.Tensor, k: int) -> torch.Tensor:
    """Initial p(s | l) from a per-pixel label map p_label_w [L, h, w]: the window label is the box mean
    of p(l | m, n) over the window's K x K pixels, p(s | l) is that column normalised over valid s."""
    L = p_label_w.shape[0]
    G = F.avg_pool2d(p_label_w[None], k, stride=1)[0].reshape(L, -1).t() * key_valid[:, None]
    return G / G.sum(0, keepdim=True).clamp_min(1e-30)


def appearance_mixture(A: torch.Tensor, query_class: torch.Tensor, p_window_given_label: torch.Tensor,
                       p_label_given_class: torch.Tensor, iterations: int = 5, power: float = 3.0,
                       table_prior: Optional[float] = 0.1, cancel=None):
    """Noisy-label mixture EM in which appearance can override the class table.

    Generative model of query t (centre class c_t):  l_t ~ pi_{c_t}(l),  s_t ~ p(s | l_t),
    x_t ~ N(mu_s, variance * temperature). With A[t, s] = p(s | x_t) under the uniform window prior
    (leave-one-out, see leave_out_posteriors), the label likelihood is, up to a per-query constant,
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
        _check_cancel(cancel)
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

# ----------------------------------------------------------------------------------------------
# Fusion with the pixel's own coarse class
# ----------------------------------------------------------------------------------------------

def fuse_with_classes(p_em: torch.Tensor, pixel_composition: torch.Tensor, label_prior: torch.Tensor,
                      mode: str = "bayes", weight: float = 1.0) -> torch.Tensor:
    """Combine p_em(l | pixel) [L, H, W] with the pixel's class composition p(l | c(pixel)) [L, H, W].

    none:    p_em
    product: p_em * p(l|c)^w
    bayes:   p_em * (p(l|c) / p(l))^w, p(l) = sum_c p(c) p(l|c) the tile's label prior: treats the
             EM output as a posterior under the tile-wide prior and swaps in the local one.
    """
    if mode == "none" or weight == 0:
        return p_em
    eps = 1e-6
    local = pixel_composition.clamp_min(eps)
    if mode == "product":
        f = p_em * local ** weight
    elif mode == "bayes":
        f = p_em * (local / label_prior.clamp_min(eps)[:, None, None]) ** weight
    else:
        raise ValueError(f"unknown fusion mode {mode!r}")
    return f / f.sum(0, keepdim=True).clamp_min(1e-30)


# ----------------------------------------------------------------------------------------------
# One tile, end to end
# ----------------------------------------------------------------------------------------------

@dataclass
class TileResult:
    probs: torch.Tensor  # [L, H, W] final label distribution (zeros where invalid)
    valid: torch.Tensor  # [H, W] bool: pixels with valid imagery and a valid class
    queries: int
    windows: int


def self_epitomic_lsr_tile(image: torch.Tensor, image_valid: torch.Tensor, class_index: torch.Tensor,
                           composition: torch.Tensor, params: LsrParams, seed: int = 0,
                           cancel=None, progress=None) -> TileResult:
    """Self-epitomic LSR of one tile.

    image [C, H, W] float32 scaled to about [0, 1]; image_valid [H, W] bool;
    class_index [H, W] long: row of `composition` for each pixel, -1 where no class (nodata);
    composition [Cc, L] p(l | c) with rows summing to 1. All tensors on the same device.
    """
    params.validate()
    dev, dt = image.device, torch.float32
    C, H, W = image.shape
    Cc, L = composition.shape
    k, f = params.patch_size, params.downsample
    valid_full = image_valid & (class_index >= 0)
    out = torch.zeros(L, H, W, dtype=dt, device=dev)
    if not bool(valid_full.any()):
        return TileResult(out, valid_full, 0, 0)

    # p(c): observed proportions of the coarse classes in this tile (the weighting method.md insists on).
    counts = torch.bincount(class_index[valid_full], minlength=Cc).to(dt)
    p_class = counts / counts.sum()
    pixel_comp = composition[class_index.clamp_min(0)].permute(2, 0, 1)  # [L, H, W]
    label_prior = p_class @ composition

    x, valid_w = downsample_mean(image.to(dt), image_valid, f)
    h, w = valid_w.shape
    fused_fallback = pixel_comp * valid_full
    if h < k or w < k:
        # Tile too small for a single window: the pixel's own composition is all we know.
        return TileResult(fused_fallback, valid_full, 0, 0)

    # Class of each working pixel: the full-resolution class at the block centre.
    cy = torch.clamp(torch.arange(h, device=dev) * f + f // 2, max=H - 1)
    cx = torch.clamp(torch.arange(w, device=dev) * f + f // 2, max=W - 1)
    class_w = class_index[cy][:, cx]

    keys = window_matrix(x, k)  # [S, D]
    key_valid = window_validity(valid_w, k)
    win_h, win_w = h - k + 1, w - k + 1
    r = k // 2
    centre_class = class_w[r:r + win_h, r:r + win_w].reshape(-1)
    candidates = torch.nonzero(key_valid & (centre_class >= 0)).flatten()
    if candidates.numel() == 0:
        return TileResult(fused_fallback, valid_full, 0, 0)

    n_query = int(round(params.samples * h * w))
    n_query = max(1, min(candidates.numel(), n_query))
    if n_query < candidates.numel():
        g = torch.Generator(device="cpu").manual_seed(int(seed))
        pick = torch.randperm(candidates.numel(), generator=g)[:n_query].to(dev)
        q_idx = candidates[pick]
    else:
        q_idx = candidates
    queries = keys[q_idx]
    q_class = centre_class[q_idx]

    def emb_progress(v):
        if progress is not None:
            progress(0.8 * v)

    # The appearance refinement keeps the leave-one-out posteriors of at most 4 * block_elements
    # query x window pairs: the queries are in random order, so on large tiles the first n_mix of
    # them are a random subset. Its logits are shared with the class embedding (one GEMM).
    n_mix, ex = 0, None
    if params.appearance_iterations > 0:
        n_mix = max(1, min(q_idx.numel(), (4 * params.block_elements) // max(keys.shape[0], 1)))
        radius = params.effective_appearance_exclude
        ex = excluded_window_index(q_idx[:n_mix], win_h, win_w, radius) if radius >= 0 else None
    Z, A = embed_classes_with_posteriors(queries, q_class, keys, key_valid, Cc, params.variance,
                                         params.effective_temperature, n_mix, ex,
                                         params.block_elements, cancel, emb_progress)
    spread = spread_over_windows(Z, win_h, win_w, k) * valid_w  # [Cc, h, w]
    mass = spread.reshape(Cc, -1).sum(1)
    present = mass > 0
    p_pos = spread.reshape(Cc, -1)[present] / mass[present, None]
    pc = p_class[present]
    pc = pc / pc.sum().clamp_min(1e-30)
    p_em_w = lsr_em(p_pos, pc, composition[present], params.em_iterations, cancel=cancel)
    p_em_w = p_em_w.t().reshape(L, h, w)

    if n_mix > 0:
        P0 = window_label_init(p_em_w * valid_w, key_valid, k)
        P, _, rho = appearance_mixture(A, q_class[:A.shape[0]], P0, composition, params.appearance_iterations,
                                       params.appearance_power, params.table_prior, cancel)
        del A
        # p(l | m, n) ∝ sum over windows s covering (m, n) of p(s | l) rho(l).
        joint = spread_over_windows(P * rho[None], win_h, win_w, k) * valid_w  # [L, h, w]
        tot = joint.sum(0, keepdim=True)
        reached = tot[0] > 1e-20
        p_em_w = torch.where(reached[None], joint / tot.clamp_min(1e-30), p_em_w)

    # Working pixels that no window reached (invalid) carry no information: use the label prior.
    p_em_w = torch.where(valid_w[None], p_em_w, label_prior[:, None, None].expand(L, h, w))
    p_em = upsample_probs(p_em_w, (H, W))
    if progress is not None:
        progress(0.95)
    fused = fuse_with_classes(p_em, pixel_comp, label_prior, params.fusion, params.fusion_weight)
    return TileResult(fused * valid_full, valid_full, int(q_idx.numel()), int(key_valid.sum()))
