"""How much to believe appearance against the coarse map: the fusion, its weight, and what it changed.

Fusion (docs/METHOD.md, "Baselines and fusion"). For a pixel with appearance evidence p_app(l) (the self-epitomic LSR of
its tile, which already starts from the coarse map: lsr/tile.py) and a label prior from the coarse map alone
(smooth: the blocks' p(l | c) interpolated bilinearly; or naive: the pixel's own class row),

    p(l | pixel) ∝ p_app(l)^w * prior(l)^v            (v = FUSION_WEIGHT, 1 by default)

and the prior alone where appearance has no evidence. w = 0 is the label-only baseline, w -> infinity
appearance alone. Without reference samples w is DEFAULT_WEIGHT, a constant chosen on one group of real cases
and checked on the others (docs/BENCHMARKS.md, section 1); with reference samples it is chosen by
cross-validated accuracy on them (lsr/calibration.py).

What appearance did is shown, never hidden: the influence of appearance on each pixel (the total variation
between the fused distribution and the prior: 0 = the coarse map alone decided, 1 = appearance overturned it),
and per coarse class the label shares of the final map beside the table's (LabelEvidence): a class whose map
departs far from its row is one where the table looks locally wrong, or where appearance is wrong - the log says
which classes, so the user can look there.
"""

from __future__ import annotations

from typing import List

import numpy as np

DEFAULT_WEIGHT = 1.0
DEFAULT_TEMPERATURE = 1.0  # of the confidence written without reference samples (docs/BENCHMARKS.md)
LOCALLY_WRONG = 0.25  # total variation between a class's label shares in the map and its table row worth a word
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


def fused_labels(p_app: np.ndarray, reached: np.ndarray, prior: np.ndarray, w: float,
                 prior_weight: float = 1.0) -> np.ndarray:
    """argmax of the fusion [...] (label indices 0..L-1), without normalising."""
    return fused_log(p_app, reached, prior, w, prior_weight).argmax(0)


def influence(fused: np.ndarray, prior: np.ndarray) -> np.ndarray:
    """How far appearance moved each pixel's label distribution from the prior: 1/2 sum_l |p - prior| [...]
    in [0, 1] (fused, prior [L, ...])."""
    return (0.5 * np.abs(fused - prior).sum(0)).astype(np.float32)


def sharpen(p: np.ndarray, temperature: float) -> np.ndarray:
    """p^(1/T) renormalised over labels [L, ...]: the confidence calibration (T > 1 softens, T < 1 sharpens)."""
    if temperature == 1.0:
        return p
    z = np.log(np.clip(p, TINY, 1.0)) / temperature
    z = np.exp(z - z.max(0, keepdims=True))
    return (z / z.sum(0, keepdims=True)).astype(np.float32)


def bayes_prior(naive: np.ndarray, area_prior: np.ndarray) -> np.ndarray:
    """The 'bayes' fusion's prior: the pixel's composition over the area's label prior, p(l | c) / p(l)
    (appearance is read as a posterior under the area-wide prior, which the local one replaces)."""
    return naive / np.clip(area_prior, TINY, None).reshape((-1,) + (1,) * (naive.ndim - 1))


class LabelEvidence:
    """Per coarse class: pixels of each label in the final map and pixels whose label differs from the label-only
    baseline - what appearance changed, and where the table looks locally wrong."""

    def __init__(self, n_classes: int, n_labels: int):
        self.counts = np.zeros((n_classes, n_labels), np.int64)
        self.changed = np.zeros(n_classes, np.int64)

    def add(self, class_index: np.ndarray, labels: np.ndarray, baseline: np.ndarray, valid: np.ndarray):
        """class_index, labels, baseline (label indices) and valid [h, w]."""
        c = class_index[valid]
        Cc, L = self.counts.shape
        self.counts += np.bincount(c * L + labels[valid], minlength=Cc * L).reshape(Cc, L)
        self.changed += np.bincount(c[labels[valid] != baseline[valid]], minlength=Cc)

    @property
    def changed_share(self) -> float:
        n = self.counts.sum()
        return float(self.changed.sum() / n) if n else 0.0

    def departures(self, table: np.ndarray) -> np.ndarray:
        """Total variation between each class's label shares in the map and its table row [Cc] (nan where the class
        has no pixel)."""
        n = self.counts.sum(1, keepdims=True).astype(np.float64)
        shares = np.where(n > 0, self.counts / np.maximum(n, 1), np.nan)
        return 0.5 * np.abs(shares - table).sum(1)

    def report(self, class_codes, labels, table: np.ndarray, class_names=None, with_samples=False) -> List[str]:
        """Sentences for the log: the share changed, then each class far from its row (largest first)."""
        n = self.counts.sum()
        if n == 0:
            return []
        out = [f"Appearance changed {100 * self.changed_share:.1f}% of the labelled pixels (their label differs from "
               "the label-only baseline)."]
        tv = self.departures(table)
        per_class = self.counts.sum(1)
        for c in np.argsort(-np.nan_to_num(tv, nan=-1)):
            if not np.isfinite(tv[c]) or tv[c] < LOCALLY_WRONG or per_class[c] < 0.01 * n:
                continue
            shares = self.counts[c] / per_class[c]
            name = f"class {class_codes[c]}" + (f" ({class_names[c]})" if class_names and class_names[c] else "")
            big = [i for i in np.argsort(-np.abs(shares - table[c]))[:2]]
            diffs = ", ".join(f"{labels[i]} {100 * shares[i]:.0f}% where the table says {100 * table[c, i]:.0f}%"
                              for i in big)
            out.append(f"The table looks locally wrong for {name}: the map has {diffs} "
                       f"({100 * self.changed[c] / per_class[c]:.0f}% of its pixels changed by appearance). Check "
                       + ("these areas." if with_samples else "these areas, or give reference samples (REFERENCE)."))
        return out

    def as_dict(self, class_codes, labels, table) -> dict:
        tv = self.departures(table)
        per = self.counts.sum(1)
        return {str(class_codes[c]): {"pixels": int(per[c]), "changed": int(self.changed[c]),
                                      "departure_from_table":
                                          None if not np.isfinite(tv[c]) else round(float(tv[c]), 4),
                                      "label_shares": {labels[i]: round(float(self.counts[c, i] / per[c]), 4)
                                                       for i in range(len(labels))}}
                for c in range(len(class_codes)) if per[c] > 0}
