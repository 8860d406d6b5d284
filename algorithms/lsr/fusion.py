"""Fusion of p(label | pixel) with the pixel's own coarse-class composition (beyond the paper)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import torch


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
