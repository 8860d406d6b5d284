"""Label super-resolution EM (docs/METHOD.md, "Label super-resolution by EM", Eqs. 7-9), without materialising q."""

from __future__ import annotations

from typing import Optional

try:
    import torch
except Exception:  # the plugin must load without torch
    torch = None

from ..errors import check_cancel


def lsr_em(p_pos_given_class: torch.Tensor, p_class: torch.Tensor, p_label_given_class: torch.Tensor,
           iterations: int = 30, init: Optional[torch.Tensor] = None, cancel=None,
           tolerance: float = 0.0) -> torch.Tensor:
    """Label super-resolution EM without materialising q.

    p_pos_given_class [Cc, P] (rows sum to 1 over positions), p_class [Cc] (sums to 1),
    p_label_given_class [Cc, L] (rows sum to 1). Returns p(l | m, n) as [P, L] (rows sum to 1).

    Maximises sum_c p(c) sum_l p(l|c) log sum_mn p(l|mn) p(mn|c) by the multiplicative update
        N[c, l]   = sum_mn p(l|mn) p(mn|c)
        p(l|mn)  <- p(l|mn) * sum_c p(c) p(l|c) p(mn|c) / N[c, l],   renormalised over l.
    Stops early when, checked every 5 iterations, no p(l|mn) moved by more than `tolerance` (0: never).
    """
    Cc, P = p_pos_given_class.shape
    L = p_label_given_class.shape[1]
    if init is None:
        p = torch.full((P, L), 1.0 / L, dtype=p_pos_given_class.dtype, device=p_pos_given_class.device)
    else:
        p = init.clone()
    tiny = 1e-30
    pos_t = p_pos_given_class.t().contiguous()  # [P, Cc], laid out for the [P, Cc] x [Cc, L] product
    for it in range(iterations):
        check_cancel(cancel)
        N = p_pos_given_class @ p  # [Cc, L]
        W = p_class[:, None] * p_label_given_class / N.clamp_min(tiny)  # [Cc, L]
        prev = p if tolerance > 0 and it % 5 == 4 else None
        p = p * (pos_t @ W)
        p = p / p.sum(1, keepdim=True).clamp_min(tiny)
        if prev is not None and float((p - prev).abs().max()) < tolerance:
            break
    return p


def positions_of_classes(masses: torch.Tensor):
    """Eq. 11 normalised: p(position | c) [Cc', P] for the Cc' classes with any mass, and present [Cc] bool - from
    class masses [Cc, P] spread over the positions (a tile's working pixels, or the pixels of a trained epitome)."""
    mass = masses.sum(1)
    present = mass > 0
    return masses[present] / mass[present, None], present


def super_resolve(masses: torch.Tensor, p_class: torch.Tensor, table: torch.Tensor, iterations: int = 30,
                  cancel=None, tolerance: float = 0.0):
    """Label super-resolution by EM (Eqs. 7-11) over any epitome: class masses [Cc, P] over its positions, the
    observed class shares p_class [Cc] (any scale; renormalised over the classes present) and the composition
    table [Cc, L]. Returns (p(l | position) [P, L], present [Cc] bool: the classes that took part). Used by the
    self-epitome of a tile (lsr/tile.py) and by trained epitomes (lsr/epitomic_job.py)."""
    p_pos, present = positions_of_classes(masses)
    pc = p_class[present]
    p = lsr_em(p_pos, pc / pc.sum().clamp_min(1e-30), table[present], iterations, cancel=cancel, tolerance=tolerance)
    return p, present
