"""The shift search: mutual information between the shifted coarse class and the appearance cluster, on a
coarse-to-fine grid of shifts, refined by a parabola; a block bootstrap for the acceptance test and the
uncertainty (docs/METHOD.md, "Registration of the coarse map"). Pure numpy, no GDAL."""

from __future__ import annotations

from typing import Dict, List, Sequence, Tuple

import numpy as np

from ..errors import check_cancel
from .features import Window


def mutual_information(joint: np.ndarray) -> np.ndarray:
    """Mutual information (nats) of joint count tables [..., K, C] -> [...]: sum p(k,c) log p(k,c) / p(k) p(c)."""
    joint = np.asarray(joint, np.float64)
    n = joint.sum(axis=(-2, -1), keepdims=True)
    p = joint / np.maximum(n, 1e-300)
    pk = p.sum(axis=-1, keepdims=True)
    pc = p.sum(axis=-2, keepdims=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        t = np.where(p > 0, p * np.log(p / (pk * pc)), 0.0)
    return t.sum(axis=(-2, -1))


def information(joint: np.ndarray) -> np.ndarray:
    """The criterion of a shift: N x mutual information of its joint counts [..., K, C] -> [...] (half the
    likelihood-ratio statistic of dependence: information summed over the pixels scored, so a shift that moves
    the map off the imagery scores fewer pixels and does not win on a smaller, easier sample)."""
    return mutual_information(joint) * np.asarray(joint, np.float64).sum(axis=(-2, -1))


def shifted_classes(win: Window, ox: int, oy: int) -> np.ndarray:
    """The class indices under the window's pixels when the coarse map is taken as displaced by (ox east, oy north)
    feature pixels: the class that the map shows at p + offset [h, w] (-1 = none)."""
    h, w = win.clusters.shape
    m = win.margin
    return win.classes[m - oy:m - oy + h, m + ox:m + ox + w]


def common_support(win: Window, radius: int) -> np.ndarray:
    """Pixels [h, w] that have a class under every shift within +-radius (0: at zero shift). A box count of the
    classes' validity on the widened grid (integral image)."""
    h, w = win.clusters.shape
    m = win.margin
    ok = np.pad((win.classes >= 0).astype(np.int64), ((1, 0), (1, 0))).cumsum(0).cumsum(1)
    r0, c0 = m - radius, m - radius
    side = 2 * radius + 1
    box = (ok[r0 + side:r0 + side + h, c0 + side:c0 + side + w] - ok[r0:r0 + h, c0 + side:c0 + side + w]
           - ok[r0 + side:r0 + side + h, c0:c0 + w] + ok[r0:r0 + h, c0:c0 + w])
    return box == side * side


def block_ids(shape: Tuple[int, int], block: int) -> np.ndarray:
    """Spatial block of each pixel [h, w] -> ids 0..B-1 (blocks of block x block pixels)."""
    h, w = shape
    nbx = int(np.ceil(w / block))
    r, c = np.mgrid[0:h, 0:w]
    return (r // block) * nbx + c // block


def cell_index(win: Window, k: int, n_classes: int, block: int) -> Tuple[np.ndarray, int]:
    """(block id x K + cluster) x C of every pixel [h, w] (-1 without a cluster) and the window's block count:
    what joint_counts adds the shifted class to (computed once per window)."""
    ids = block_ids(win.clusters.shape, block)
    return np.where(win.clusters >= 0, (ids * k + win.clusters) * n_classes, -1), int(ids.max()) + 1


def joint_counts(windows: Sequence[Window], ox: int, oy: int, k: int, n_classes: int, block: int,
                 cells: Sequence[Tuple[np.ndarray, int]] = None) -> np.ndarray:
    """Joint counts of (cluster, shifted class) per spatial block, all windows' blocks stacked [B, K, C]
    (cells: cell_index of every window, when already computed)."""
    out = []
    for i, win in enumerate(windows):
        base, nb = cells[i] if cells is not None else cell_index(win, k, n_classes, block)
        cls = shifted_classes(win, ox, oy)
        ok = (base >= 0) & (cls >= 0)
        flat = base[ok] + cls[ok]
        out.append(np.bincount(flat, minlength=nb * k * n_classes).reshape(nb, k, n_classes))
    return np.concatenate(out, axis=0)


def search(windows: Sequence[Window], k: int, n_classes: int, radius: int, block: int, cancel=None
           ) -> Dict[Tuple[int, int], np.ndarray]:
    """Coarse to fine: every 3rd shift within +-radius feature pixels (from zero outwards), then every shift within
    2 of the best, until the best stays. Returns {(ox, oy): per-block joint counts [B, K, C]} of every shift scored
    (always (0, 0))."""
    scored: Dict[Tuple[int, int], np.ndarray] = {}
    crit: Dict[Tuple[int, int], float] = {}
    cells = [cell_index(w, k, n_classes, block) for w in windows]

    def score(cands):
        for s in cands:
            if s not in scored:
                check_cancel(cancel)
                scored[s] = joint_counts(windows, s[0], s[1], k, n_classes, block, cells)
                crit[s] = float(information(scored[s].sum(axis=0)))

    steps = sorted(set(range(0, radius + 1, 3)) | {radius})
    coarse = sorted(set(steps) | {-v for v in steps})
    score([(x, y) for y in coarse for x in coarse])
    best = None
    for _ in range(4):  # fine passes: the best may move
        if max(crit, key=crit.get) == best:
            break
        best = max(crit, key=crit.get)
        score([(best[0] + dx, best[1] + dy) for dy in range(-2, 3) for dx in range(-2, 3)
               if abs(best[0] + dx) <= radius and abs(best[1] + dy) <= radius])
    return scored


def total(per_block: np.ndarray, weights: np.ndarray = None) -> np.ndarray:
    """Per-block counts [B, K, C] summed over the blocks (weighted [B] when given) -> [K, C]."""
    if weights is None:
        return per_block.sum(axis=0)
    return np.tensordot(weights, per_block, axes=(0, 0))


def parabola_offset(m_minus: float, m0: float, m_plus: float) -> float:
    """Sub-step position of the maximum of the parabola through (-1, m_minus), (0, m0), (1, m_plus), clipped to
    [-0.5, 0.5] (0 when the three points are not concave)."""
    curv = m_minus - 2 * m0 + m_plus
    if curv >= 0:
        return 0.0
    return float(np.clip(0.5 * (m_minus - m_plus) / curv, -0.5, 0.5))


def refine(mi_of, best: Tuple[int, int]) -> Tuple[float, float]:
    """The best shift refined below a feature pixel, one parabola per axis (mi_of: shift -> MI or None)."""
    bx, by = best
    m0 = mi_of((bx, by))
    out = []
    for d in ((1, 0), (0, 1)):
        lo, hi = mi_of((bx - d[0], by - d[1])), mi_of((bx + d[0], by + d[1]))
        out.append(0.0 if lo is None or hi is None else parabola_offset(lo, m0, hi))
    return bx + out[0], by + out[1]


def bootstrap(scored: Dict[Tuple[int, int], np.ndarray], best: Tuple[int, int], replicates: int, seed: int
              ) -> Tuple[float, np.ndarray]:
    """Block bootstrap around the best shift: blocks drawn with replacement (multinomial weights), every scored
    shift within 2 of the best and zero rescored. Returns (the share of replicates where the best shift beats
    zero, the refined best shift of every replicate [R, 2] in feature pixels)."""
    near = [s for s in scored if max(abs(s[0] - best[0]), abs(s[1] - best[1])) <= 2]
    keys = near + ([(0, 0)] if (0, 0) not in near else [])
    stack = np.stack([scored[s] for s in keys])  # [S, B, K, C]
    B = stack.shape[1]
    rng = np.random.default_rng(seed)
    w = rng.multinomial(B, np.full(B, 1.0 / B), size=replicates).astype(np.float64)  # [R, B]
    mi = information(np.einsum("rb,sbkc->rskc", w, stack))  # [R, S]
    i_best, i_zero = keys.index(best), keys.index((0, 0))
    wins = float(np.mean(mi[:, i_best] > mi[:, i_zero])) if best != (0, 0) else 0.0
    pos = []
    for r in range(replicates):
        table = dict(zip(keys, mi[r]))
        top = max(near, key=lambda s: table[s])
        pos.append(refine(table.get, top))
    return wins, np.array(pos, np.float64)


def candidates_mi(scored: Dict[Tuple[int, int], np.ndarray]) -> Dict[Tuple[int, int], float]:
    """The criterion (information) of every scored shift (all blocks)."""
    return {s: float(information(total(c))) for s, c in scored.items()}


def covered(windows: List[Window], radius: int = 0) -> int:
    """Feature pixels with a cluster and a class under every shift within +-radius (common_support)."""
    return int(sum(((w.clusters >= 0) & common_support(w, radius)).sum() for w in windows))
