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

try:
    import torch
    import torch.nn.functional as F
except Exception:  # ImportError or a broken install (OSError): the plugin must load without torch
    torch = F = None

from .appearance import appearance_mixture, excluded_window_index, window_label_init
from .attention import embed_classes_with_posteriors, spread_over_windows, window_matrix, window_validity
from .em import lsr_em
from .fusion import fuse_with_classes
from .params import LsrParams
from .resolution import downsample_mean, upsample_probs


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
