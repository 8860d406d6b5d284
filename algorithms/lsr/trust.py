"""How much to believe appearance against the coarse map: the fusion and its weight, chosen from the data.

Fusion (method.md section 9). For a pixel with appearance evidence p_app(l) (the self-epitomic LSR of its
tile) and a label prior from the coarse map alone (smooth: the blocks' p(l | c) interpolated bilinearly;
or naive: the pixel's own class row),

    p(l | pixel) ∝ p_app(l)^w * prior(l)^v            (v = FUSION_WEIGHT, 1 by default)

and the prior alone where appearance has no evidence. w = 0 is the label-only baseline, w -> infinity
appearance alone.

Choosing w (APPEARANCE_WEIGHT empty = automatic). The composition table says what share of each coarse
class's pixels carries each label; a good label map reproduces those shares. The label-only map cannot:
inside a block it gives every pixel the same label, so for a class whose pixels are 42% forest and 46%
field it says 100% field. As w grows, appearance redistributes labels inside blocks and the map's
per-class label shares approach the table; past some point appearance only adds noise, and that noise
can still improve the shares (a misplaced label counts as much as a well placed one). So, over the
candidate weights W, with TV(w) = sum_c p(c) * 1/2 sum_l |share_w(l | c) - p(l | c)| (p(c) observed),

    w* = the smallest w in W with TV(w) <= TV(0) - ELBOW * (TV(0) - min_W TV)

the least trust in appearance that removes most (ELBOW = 2/3) of the mismatch that trusting it can remove.
When the mismatch grows again past its minimum - at the largest candidate weight it is more than OVERSHOOT = 2
times the minimum - appearance pushes labels beyond what the table allows: it is overshooting, and its
placement of labels inside blocks is not to be relied on either. Then only a third (CAUTIOUS_ELBOW) of the
attainable reduction is asked for.
Where the table's rows are nearly pure (hand-drawn maps generalised into blocks: shares of 0.9-0.95), the
label-only map already matches and w* stays small (about 0.05-0.2); where rows are mixed (NLCD on NAIP)
w* is large (1-5). The shares are pooled over the tiles sampled by the job (see job.py).

Measured (docs/BENCHMARKS.md, sections 2-3): on the 11 real cases and 4 generated scenes the rule averages
+1.57 points over the better of the two baselines, worst -0.17. The overshoot guard changes only
DeepGlobe-like cases (hand-drawn maps with nearly pure rows), where it halves w; on quadrants of the real
sub-metre tiles it turned -2.42 into -0.74 and -0.83 into -0.38. It does not catch small LoveDA quadrants
(down to -3.5: the mismatch keeps falling while accuracy falls too). The alternative the issue proposed,
cross-scale self-validation (super-resolve a 90 m coarsening back to 30 m), chose w 3-10 times too small
on NAIP (down to 3.8 points below the baselines) and was not kept.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

CANDIDATE_WEIGHTS = (0.0, 0.05, 0.1, 0.2, 0.3, 0.5, 0.75, 1.0, 1.5, 2.0, 3.0, 5.0)
ELBOW = 2.0 / 3.0
CAUTIOUS_ELBOW = 1.0 / 3.0
OVERSHOOT = 2.0
TINY = 1e-6


def fused_log(p_app: np.ndarray, reached: np.ndarray, prior: np.ndarray, w: float, prior_weight: float = 1.0):
    """log of the unnormalised fusion [L, ...]: w log p_app + v log prior; the prior alone where not reached.
    w = inf: appearance alone (the prior where not reached)."""
    lp = np.log(np.maximum(prior, TINY))
    if np.isinf(w):
        la = np.log(np.clip(p_app, TINY, 1.0))
        return np.where(reached[None], la + TINY * lp, lp)
    if w == 0:
        return prior_weight * lp
    return prior_weight * lp + np.where(reached[None], w * np.log(np.clip(p_app, TINY, 1.0)), 0.0)


def fuse(p_app: np.ndarray, reached: np.ndarray, prior: np.ndarray, w: float, prior_weight: float = 1.0):
    """The fused p(l | pixel) [L, ...] (rows sum to 1)."""
    z = fused_log(p_app, reached, prior, w, prior_weight)
    z = np.exp(z - z.max(0, keepdims=True))
    return (z / z.sum(0, keepdims=True)).astype(np.float32)


class LabelShares:
    """Per-class label shares of the fused hard map for every candidate weight, summed over tiles.

    counts[k, c, l] = pixels of class c labelled l when fusing with CANDIDATE_WEIGHTS[k]."""

    def __init__(self, n_classes: int, n_labels: int, weights: Sequence[float] = CANDIDATE_WEIGHTS):
        self.weights = tuple(weights)
        self.counts = np.zeros((len(self.weights), n_classes, n_labels), np.int64)

    def add(self, p_app: np.ndarray, reached: np.ndarray, prior: np.ndarray, class_index: np.ndarray,
            valid: np.ndarray, prior_weight: float = 1.0, step: int = 2):
        """One tile: p_app, prior [L, h, w]; reached, valid [h, w] bool; class_index [h, w] (-1 = none).
        Every `step`-th pixel in each direction is counted (shares, not maps: a sample is enough)."""
        sub = (slice(None, None, step), slice(None, None, step))
        ok = (valid & (class_index >= 0))[sub]
        if not ok.any():
            return
        c = class_index[sub][ok]
        lp = prior_weight * np.log(np.maximum(prior[(slice(None),) + sub][:, ok], TINY))  # [L, n]
        la = np.where(reached[sub][ok][None], np.log(np.clip(p_app[(slice(None),) + sub][:, ok], TINY, 1.0)), 0.0)
        n_cl, n_lab = self.counts.shape[1:]
        for k, w in enumerate(self.weights):
            lab = (lp + w * la).argmax(0) if w > 0 else lp.argmax(0)
            self.counts[k] += np.bincount(c * n_lab + lab, minlength=n_cl * n_lab).reshape(n_cl, n_lab)

    def mismatch(self, table: np.ndarray) -> np.ndarray:
        """TV(w) for each candidate weight [K]: sum_c p(c) 1/2 sum_l |share_w(l | c) - p(l | c)|."""
        per_class = self.counts[0].sum(1).astype(np.float64)  # pixels per class (the same for every w)
        if per_class.sum() == 0:
            return np.zeros(len(self.weights))
        pc = per_class / per_class.sum()
        shares = self.counts / np.maximum(self.counts.sum(2, keepdims=True), 1)
        return (pc[None] * 0.5 * np.abs(shares - table[None]).sum(2)).sum(1)

    def choose(self, table: np.ndarray, elbow: float = ELBOW) -> float:
        """w* (see the module docstring)."""
        return choose_weight(self.mismatch(table), self.weights, elbow)


def overshoots(tv: np.ndarray) -> bool:
    """True when the mismatch at the largest weight is more than OVERSHOOT times its minimum (a U-shaped curve)."""
    tv = np.asarray(tv, np.float64)
    return bool(tv[-1] > OVERSHOOT * tv.min() + 1e-12)


def choose_weight(tv: np.ndarray, weights: Sequence[float], elbow: float = ELBOW) -> float:
    """The smallest weight whose mismatch is within (1 - elbow) of the attainable reduction; the cautious elbow
    when appearance overshoots (see the module docstring)."""
    tv = np.asarray(tv, np.float64)
    if overshoots(tv):
        elbow = min(elbow, CAUTIOUS_ELBOW)
    threshold = tv[0] - elbow * (tv[0] - tv.min())
    return float(weights[int(np.nonzero(tv <= threshold + 1e-12)[0][0])])


def label_prior(p_class: np.ndarray, table: np.ndarray) -> np.ndarray:
    """The label prior of an area, p(l) = sum_c p(c) p(l | c) [L]."""
    return p_class @ table


def bayes_prior(naive: np.ndarray, area_prior: np.ndarray) -> np.ndarray:
    """The 'bayes' fusion's prior: the pixel's composition over the area's label prior, p(l | c) / p(l)
    (appearance is read as a posterior under the area-wide prior, which the local one replaces)."""
    return naive / np.clip(area_prior, TINY, None).reshape((-1,) + (1,) * (naive.ndim - 1))
