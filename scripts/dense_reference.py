"""A plain, dense implementation of self-epitomic LSR (docs/METHOD.md, "Self-epitomic LSR"), the speed yardstick of
`make bench`.

Written independently of algorithms/lsr on purpose: one function, no approximations, no refinements.
Per 512 px tile (non-overlapping): 2 x 2 block means; every 5 x 5 window is a key; 25% of the working
pixels are queries (random windows); the tempered Gaussian posterior p(s | x_t) over every window
(variance 0.01, temperature K^2) in row blocks of queries (fp32 GEMMs); the class embedding Z[s, c] =
sum_t [c_t = c] p(s | x_t) spread over each window's pixels (Eq. 11); 30 iterations of the EM (Eqs. 7-9)
weighted by the tile's observed p(c); bilinear upsampling; argmax. Not part of the plugin.
"""

import numpy as np
import torch
import torch.nn.functional as F


def dense_lsr_tile(image, valid, class_index, composition, k=5, f=2, samples=0.25, variance=0.01, em_iterations=30,
                   block=4096, seed=0):
    """image [C, H, W] float32 in [0, 1], valid [H, W] bool, class_index [H, W] long (-1 = none), composition
    [Cc, L] float32 -> labels [H, W] int64 (0..L-1; meaningless where invalid)."""
    C, H, W = image.shape
    Cc, L = composition.shape
    ok = valid & (class_index >= 0)
    x = F.avg_pool2d((image * ok)[None], f, ceil_mode=True)[0]
    n = F.avg_pool2d(ok[None, None].float(), f, ceil_mode=True)[0, 0]
    x = x / n.clamp_min(1e-6)
    h, w = n.shape
    cls = class_index[f // 2::f, f // 2::f][:h, :w]
    keys = F.unfold(x[None], k)[0].t()  # [S, D]
    wh, ww = h - k + 1, w - k + 1
    key_ok = (F.avg_pool2d((n > 0.5).float()[None, None], k, stride=1)[0, 0] > 0.999).reshape(-1)
    centre = cls[k // 2:k // 2 + wh, k // 2:k // 2 + ww].reshape(-1)
    cand = torch.nonzero(key_ok & (centre >= 0)).flatten()
    g = torch.Generator().manual_seed(seed)
    q = cand[torch.randperm(cand.numel(), generator=g)[:max(1, int(samples * h * w))]]
    scale = 1.0 / (variance * k * k)
    half = torch.where(key_ok, 0.5 * (keys * keys).sum(1), torch.full((keys.shape[0],), float("inf")))
    Z = torch.zeros(Cc, keys.shape[0])
    for a in range(0, q.numel(), block):
        qs = q[a:a + block]
        post = torch.softmax(keys[qs] @ keys.t() * scale - half[None] * scale, 1)
        Z.index_add_(0, centre[qs], post)
    spread = F.conv_transpose2d(Z.reshape(1, Cc, wh, ww), torch.ones(Cc, 1, k, k), groups=Cc)[0].reshape(Cc, -1)
    mass = spread.sum(1)
    present = mass > 0
    p_pos = spread[present] / mass[present, None]
    counts = torch.bincount(class_index[ok], minlength=Cc).float()[present]
    pc = counts / counts.sum()
    comp = composition[present]
    p = torch.full((h * w, L), 1.0 / L)
    for _ in range(em_iterations):
        N = p_pos @ p
        p = p * (p_pos.t() @ (pc[:, None] * comp / N.clamp_min(1e-30)))
        p = p / p.sum(1, keepdim=True).clamp_min(1e-30)
    up = F.interpolate(p.t().reshape(1, L, h, w), size=(h * f, w * f), mode="bilinear", align_corners=False)[0]
    return up[:, :H, :W].argmax(0)


def dense_lsr(image, valid, class_index, composition, tile=512, **kw):
    """Whole arrays, 512 px tiles side by side (no overlap): labels [H, W] int64, 1..L, 0 where invalid."""
    C, H, W = image.shape
    out = np.zeros((H, W), np.int64)
    img, val, cls = torch.from_numpy(image), torch.from_numpy(valid), torch.from_numpy(class_index)
    comp = torch.from_numpy(composition)
    for y in range(0, H, tile):
        for x in range(0, W, tile):
            sl = (slice(y, y + tile), slice(x, x + tile))
            lab = dense_lsr_tile(img[(slice(None),) + sl], val[sl], cls[sl], comp, **kw)
            out[sl] = lab.numpy() + 1
    out[~(valid & (class_index >= 0))] = 0
    return out
