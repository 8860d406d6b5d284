"""Working resolution: nodata-aware block means down, bilinear label distributions back up."""

from __future__ import annotations

try:
    import torch
    import torch.nn.functional as F
except Exception:  # ImportError or a broken install (OSError): the plugin must load without torch
    torch = F = None


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


def upsample_probs(p: torch.Tensor, factor: int, size) -> torch.Tensor:
    """Per-pixel label distributions at working resolution p [L, h, w] back onto the full grid [L, H, W]:
    bilinear by exactly `factor` (working pixel i covers full pixels i*f .. i*f + f - 1, as downsample_mean
    made it), then cropped to H x W (h = ceil(H / f): the last working pixel may overhang the tile).
    Rows are renormalised; a working pixel whose distribution is all zero (no evidence) spreads nothing."""
    H, W = size
    h, w = p.shape[-2:]
    if factor == 1:
        return p[:, :H, :W]
    q = F.interpolate(p[None], size=(h * factor, w * factor), mode="bilinear", align_corners=False)[0]
    q = q[:, :H, :W].clamp_min(0)
    return q / q.sum(0, keepdim=True).clamp_min(1e-12)


def upsample_mask(m: torch.Tensor, factor: int, size) -> torch.Tensor:
    """A working-resolution mask [h, w] on the full grid [H, W] (each working pixel covers f x f pixels)."""
    H, W = size
    return m.repeat_interleave(factor, 0).repeat_interleave(factor, 1)[:H, :W]
