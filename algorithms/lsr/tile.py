"""Self-epitomic label super-resolution of one tile, appearance only (docs/METHOD.md, "Self-epitomic LSR" and
"The table is a prior").

The tile's own (downsampled) pixels are the epitome: means mu_s = the K x K window at s, a fixed variance and a
uniform prior over window positions s. Windows never wrap across tile borders.

Shapes used throughout (working resolution = full resolution / DOWNSAMPLE):
    C   image bands           K  patch side (odd)         D = C*K*K  patch dimension
    h,w working tile size     S  key windows: top-left corners KEY_STRIDE apart (lsr.attention.key_positions)
    T   query patches (SAMPLES x h x w of all windows)     Cc coarse classes (rows of the composition)   L labels

Steps: (1) posterior p(s | x_t) of every query patch x_t over the key windows s, a tempered softmax of
    log p(x_t | s) = -|x_t - mu_s|^2 / (2 var) + const, with the patches compared in a PCA basis of PATCH_DIMS
    dimensions (lsr.attention.reduce_dimensions; the window norms stay exact);
(2) class embedding Z[s, c] = sum_t [c_t = c] p(s | x_t), spread over each window's K x K pixels (Eqs. 10-11);
(3) TABLE_MODE prior (the default): every working pixel starts from the coarse map's label distribution under it;
    TABLE_MODE constraint: the paper's EM for p(l | m, n) given p(l | c) and the observed p(c) (Eqs. 7-9);
(4) appearance refinement (noisy-label mixture EM, lsr.appearance): a pixel's label moves where the windows
    that look like it carry another label; 0 iterations = (3) alone.
The fusion with the coarse map's prior, its weight and what it changed are the job's (lsr/trust.py,
lsr/writer.py, lsr/job.py), on the blended tiles.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

try:
    import torch
    import torch.nn.functional as F
except Exception:  # ImportError or a broken install (OSError): the plugin must load without torch
    torch = F = None

from .appearance import appearance_mixture, excluded_window_index, window_label_init
from .attention import (
    embed_classes,
    gather_windows,
    key_positions,
    reduce_dimensions,
    spread_over_keys,
    window_matrix,
    window_validity,
)
from .em import super_resolve
from .params import LsrParams
from .resolution import downsample_mean, upsample_mask, upsample_probs


@dataclass
class TileResult:
    """Appearance's opinion on one tile: p(label | pixel) from the self-epitome, before any fusion."""

    probs: torch.Tensor  # [L, H, W] p(l | pixel); rows sum to 1 where `reached`, 0 elsewhere
    valid: torch.Tensor  # [H, W] bool: pixels with valid imagery and a valid class
    reached: torch.Tensor  # [H, W] bool: valid pixels that the attention reached (appearance has evidence)
    queries: int
    windows: int


@dataclass
class SelfEpitome:
    """The tile at working resolution as its own epitome: the epitome's windows (keys) are the K x K windows
    of x whose top-left corners are `stride` apart (no wrap); queries are drawn among all windows."""

    x: torch.Tensor  # [C, h, w] working-resolution image
    valid: torch.Tensor  # [h, w] bool
    keys: torch.Tensor  # [S, D] window vectors mu_s (S = len(key_ys) x len(key_xs))
    key_valid: torch.Tensor  # [S] bool: the whole window has data
    key_ys: torch.Tensor  # [rows] top-left rows of the key windows (lsr.attention.key_positions)
    key_xs: torch.Tensor  # [cols]
    stride: int
    query_ok: torch.Tensor  # [win_h * win_w] bool: every window (stride 1) usable as a query
    centre_class: torch.Tensor  # [win_h * win_w] long: coarse class row at each window's centre (-1 = none)
    k: int

    @property
    def win_shape(self):
        """(rows, cols) of all windows (stride 1), where queries are drawn."""
        h, w = self.valid.shape
        return h - self.k + 1, w - self.k + 1

    def query_vectors(self, q_idx: torch.Tensor) -> torch.Tensor:
        """The query windows (flat indices into win_shape) as rows [T, D]."""
        wy, wx = q_idx // self.win_shape[1], q_idx % self.win_shape[1]
        return gather_windows(self.x, wy, wx, self.k)

    @property
    def key_grid(self):
        return len(self.key_ys), len(self.key_xs)

    def spread(self, Z: torch.Tensor) -> torch.Tensor:
        """Key-window masses Z [S, n] onto the working pixels [n, h, w] (Eq. 11), zero where no data."""
        return spread_over_keys(Z, self.key_ys, self.key_xs, self.k, tuple(self.valid.shape)) * self.valid


def class_shares(class_index: torch.Tensor, valid: torch.Tensor, n_classes: int) -> torch.Tensor:
    """p(c) observed in the tile [Cc] (the weighting of docs/METHOD.md, "Label super-resolution by EM")."""
    counts = torch.bincount(class_index[valid], minlength=n_classes).to(torch.float32)
    return counts / counts.sum()


def build_self_epitome(image: torch.Tensor, image_valid: torch.Tensor, class_index: torch.Tensor,
                       params: LsrParams) -> Optional[SelfEpitome]:
    """Downsample the tile, list its key windows (KEY_STRIDE apart) and the coarse class at each window's
    centre pixel (the full-resolution class at the centre of the working pixel's block). None when the
    working tile is smaller than one patch."""
    H, W = class_index.shape
    k, f, s = params.patch_size, params.effective_downsample, params.key_stride
    x, valid_w = downsample_mean(image.to(torch.float32), image_valid, f)
    h, w = valid_w.shape
    if h < k or w < k:
        return None
    dev = image.device
    cy = torch.clamp(torch.arange(h, device=dev) * f + f // 2, max=H - 1)
    cx = torch.clamp(torch.arange(w, device=dev) * f + f // 2, max=W - 1)
    class_w = class_index[cy][:, cx]
    r = k // 2
    win_h, win_w = h - k + 1, w - k + 1
    centre_class = class_w[r:r + win_h, r:r + win_w].reshape(-1)
    query_ok = window_validity(valid_w, k)
    if s == 1:
        return SelfEpitome(x, valid_w, window_matrix(x, k), query_ok, torch.arange(win_h, device=dev),
                           torch.arange(win_w, device=dev), 1, query_ok, centre_class, k)
    ys, xs = key_positions(h, k, s).to(dev), key_positions(w, k, s).to(dev)
    kyy, kxx = ys[:, None].expand(len(ys), len(xs)).reshape(-1), xs[None, :].expand(len(ys), len(xs)).reshape(-1)
    key_valid = query_ok.reshape(win_h, win_w)[ys[:, None], xs[None, :]].reshape(-1)
    return SelfEpitome(x, valid_w, gather_windows(x, kyy, kxx, k), key_valid, ys, xs, s, query_ok, centre_class, k)


def sample_queries(candidates: torch.Tensor, n_query: int, seed: int) -> torch.Tensor:
    """n_query of the candidate window indices (all when fewer), in a random order drawn by the seed: the
    appearance refinement keeps the first queries, which must be a random subset, not the tile's top rows."""
    g = torch.Generator(device="cpu").manual_seed(int(seed))
    pick = torch.randperm(candidates.numel(), generator=g)[:max(1, min(candidates.numel(), n_query))]
    return candidates[pick.to(candidates.device)]


def start_from_coarse_map(prior: torch.Tensor, ep: SelfEpitome, f: int) -> torch.Tensor:
    """The table as a prior (docs/METHOD.md, "The table is a prior"): every working pixel starts from the coarse
    map's label distribution under it - prior [L, H, W] (the smooth prior: the blocks' compositions interpolated
    between block centres) averaged over the working pixel's f x f block -> [L, h, w], rows summing to 1."""
    L, H, W = prior.shape
    p, _ = downsample_mean(prior, torch.ones(H, W, dtype=torch.bool, device=prior.device), f)
    p = p[:, :ep.valid.shape[0], :ep.valid.shape[1]]
    return p / p.sum(0, keepdim=True).clamp_min(1e-30)


def attend(ep: SelfEpitome, q_idx: torch.Tensor, q_class: torch.Tensor, n_classes: int, params: LsrParams,
           seed: int, cancel=None, progress=None):
    """(1)-(2): the posteriors of the queries over the key windows and the class embedding Z [S, Cc]. The
    appearance refinement keeps the leave-one-out posteriors A of the first n_mix queries, at most
    4 * block_elements query x window pairs (the queries are in random order, so on large tiles these are a random
    subset); both share the logits (one GEMM). Returns (Z, A, n_mix)."""
    n_mix, ex = 0, None
    if params.appearance_iterations > 0:
        n_mix = max(1, min(q_idx.numel(), (4 * params.block_elements) // max(ep.keys.shape[0], 1)))
        radius = params.effective_appearance_exclude
        wy, wx = q_idx[:n_mix] // ep.win_shape[1], q_idx[:n_mix] % ep.win_shape[1]
        ex = excluded_window_index(wy, wx, *ep.key_grid, radius, ep.stride) if radius >= 0 else None
    keys, queries, half = ep.keys, ep.query_vectors(q_idx), None
    if params.patch_dims and params.patch_dims < keys.shape[1]:  # patch vectors in a reduced basis
        keys, queries, half = reduce_dimensions(keys, queries, params.patch_dims, seed=seed, cancel=cancel)
    Z, A = embed_classes(queries, q_class, keys, ep.key_valid, n_classes, params.variance,
                         params.effective_temperature, n_mix, ex, params.block_elements, cancel,
                         (lambda v: progress(0.8 * v)) if progress is not None else None, key_half_sqnorm=half)
    return Z, A, n_mix


def start_map(Z: torch.Tensor, ep: SelfEpitome, p_class: torch.Tensor, class_index: torch.Tensor,
              composition: torch.Tensor, prior: Optional[torch.Tensor], params: LsrParams, cancel=None):
    """(3): p(l | m, n) [L, h, w] where appearance starts, and the working pixels it already reached [h, w].
    TABLE_MODE constraint: the paper's EM, each class reproduces the table (Eqs. 7-9); prior: the coarse map's
    compositions (`prior`, default each pixel's class row), nothing reached yet."""
    L = composition.shape[1]
    h, w = ep.valid.shape
    if params.table_mode == "constraint":
        p, _ = super_resolve(ep.spread(Z).reshape(Z.shape[1], -1), p_class, composition, params.em_iterations,
                             cancel=cancel, tolerance=params.em_tolerance)
        p_w = p.t().reshape(L, h, w)
        return p_w, ep.valid & (p_w.sum(0) > 0.5)
    if prior is None:
        prior = composition[class_index.clamp_min(0)].permute(2, 0, 1) * (class_index >= 0)
    return start_from_coarse_map(prior, ep, params.effective_downsample), torch.zeros_like(ep.valid)


def refine_by_appearance(p_start_w: torch.Tensor, A: torch.Tensor, q_class: torch.Tensor, ep: SelfEpitome,
                         composition: torch.Tensor, params: LsrParams, cancel=None):
    """Appearance refinement of p(l | m, n) [L, h, w]: p(l | m, n) ∝ sum over the windows s covering
    (m, n) of p(s | l) rho(l), from the noisy-label mixture EM started at p_start_w (lsr.appearance).
    Returns (p [L, h, w], reached [h, w] bool: pixels some window with mass covers; the others keep p_start_w)."""
    P0 = window_label_init(p_start_w * ep.valid, ep.key_valid, ep.k, ep.key_ys, ep.key_xs)
    P, _, rho = appearance_mixture(A, q_class[:A.shape[0]], P0, composition, params.appearance_iterations,
                                   params.appearance_power, params.table_prior, cancel)
    joint = ep.spread(P * rho[None])  # [L, h, w]
    tot = joint.sum(0, keepdim=True)
    reached = tot[0] > 1e-20
    return torch.where(reached[None], joint / tot.clamp_min(1e-30), p_start_w), reached


def self_epitomic_lsr_tile(image: torch.Tensor, image_valid: torch.Tensor, class_index: torch.Tensor,
                           composition: torch.Tensor, params: LsrParams, seed: int = 0,
                           cancel=None, progress=None, prior: Optional[torch.Tensor] = None) -> TileResult:
    """Self-epitomic LSR of one tile, appearance only (fusion with the coarse map is lsr.trust's step): a pure
    function of its arrays.

    image [C, H, W] float32 scaled to about [0, 1]; image_valid [H, W] bool;
    class_index [H, W] long: row of `composition` for each pixel, -1 where no class (nodata);
    composition [Cc, L] p(l | c) with rows summing to 1; prior [L, H, W]: the coarse map's label distribution per
    pixel where appearance starts (TABLE_MODE prior; default: each pixel's class row). All tensors on the same
    device.
    Pixels the attention cannot reach (tile smaller than a patch, windows cut by nodata) are valid but not
    `reached`: the fusion gives them the coarse prior.
    """
    params.validate()
    C, H, W = image.shape
    Cc, L = composition.shape
    valid_full = image_valid & (class_index >= 0)
    nothing = TileResult(torch.zeros(L, H, W, dtype=torch.float32, device=image.device), valid_full,
                         torch.zeros_like(valid_full), 0, 0)
    if not bool(valid_full.any()):
        return nothing
    p_class = class_shares(class_index, valid_full, Cc)
    ep = build_self_epitome(image, image_valid, class_index, params)
    if ep is None:
        return nothing  # too small for a single window
    h, w = ep.valid.shape
    candidates = torch.nonzero(ep.query_ok & (ep.centre_class >= 0)).flatten()
    if candidates.numel() == 0:
        return nothing
    q_idx = sample_queries(candidates, int(round(params.samples * h * w)), seed)
    q_class = ep.centre_class[q_idx]

    Z, A, n_mix = attend(ep, q_idx, q_class, Cc, params, seed, cancel, progress)  # (1)-(2)
    f = params.effective_downsample
    p_w, reached_w = start_map(Z, ep, p_class, class_index, composition, prior, params, cancel)  # (3)
    # (4) appearance refinement
    if n_mix > 0:
        p_w, by_windows = refine_by_appearance(p_w, A, q_class, ep, composition, params, cancel)
        reached_w = reached_w | by_windows
        del A
    # Working pixels no posterior mass reached (or without data) carry no evidence: all-zero rows.
    reached_w = reached_w & ep.valid & (p_w.sum(0) > 0.5)
    p_em_w = p_w * reached_w
    p_em = upsample_probs(p_em_w, f, (H, W))
    reached = valid_full & (p_em.sum(0) > 0.5) & upsample_mask(reached_w, f, (H, W))
    if progress is not None:
        progress(0.95)
    return TileResult(p_em * reached, valid_full, reached, int(q_idx.numel()), int(ep.key_valid.sum()))
