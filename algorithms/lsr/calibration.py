"""Calibration from reference samples (docs/METHOD.md, "Calibration from reference samples").

An analyst with a few labelled points lets them decide how much to believe appearance. Each candidate
setting of the fusion (a label prior and an appearance weight, the two label-only baselines among them)
labels the sample pixels; the setting is chosen by accuracy on the samples, and the accuracy of that choice
is estimated by cross-validation - the choice is made again without each fold and scored on the fold - so
the estimate does not flatter the selection. Samples decide only where their evidence is clear: a setting
replaces the default only when it is right on clearly more samples where the two disagree (a paired
sign-test margin), so 100 points cannot talk the product into a worse map by chance.

Intervals are 95%: Wilson's score interval for independent points; for polygons, whose pixels are not
independent, Wilson's interval at the effective sample size of a cluster-robust variance over the polygons.
The confidence written with the result is calibrated on the samples too (a temperature, fit_temperature).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import List, Optional, Tuple

import numpy as np

from ..io.samples import ReferenceSamples
from .trust import fuse, fused_labels, sharpen
from .writer import FusionSetting

Z95 = 1.959964
SWITCH_MARGIN = 1.0  # standard errors of the paired difference a setting must win by to replace the default
FOLDS = 10


@dataclass
class Estimate:
    """An accuracy estimated on samples: value and 95% interval (0..1), from `n` samples in `groups` groups."""

    value: float
    low: float
    high: float
    n: int
    groups: int

    def describe(self) -> str:
        return f"{100 * self.value:.1f}% (95% interval {100 * self.low:.1f}-{100 * self.high:.1f}%, {self.n} samples)"


def wilson_interval(k: float, n: float, z: float = Z95) -> Tuple[float, float]:
    """Wilson's score interval of a proportion k / n."""
    if n <= 0:
        return 0.0, 1.0
    p = k / n
    den = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / den
    half = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / den
    return float(max(0.0, centre - half)), float(min(1.0, centre + half))


def accuracy_estimate(correct: np.ndarray, groups: Optional[np.ndarray] = None) -> Estimate:
    """The share of correct samples [n] bool with its 95% interval; samples sharing a group (one polygon) are
    treated as one cluster (cluster-robust interval, at least as wide as Wilson's on the groups)."""
    correct = np.asarray(correct, bool)
    n = int(correct.size)
    if n == 0:
        return Estimate(float("nan"), 0.0, 1.0, 0, 0)
    k = float(correct.sum())
    if groups is None or np.unique(groups).size == n:
        lo, hi = wilson_interval(k, n)
        return Estimate(k / n, lo, hi, n, n)
    _, g = np.unique(groups, return_inverse=True)
    G = int(g.max()) + 1
    kg = np.bincount(g, weights=correct.astype(float), minlength=G)
    ng = np.bincount(g, minlength=G).astype(float)
    p = k / n
    var = G / max(G - 1, 1) * ((kg - p * ng) ** 2).sum() / (n * n)  # cluster-robust variance of p
    # Wilson's interval at the effective sample size p(1 - p) / var (at most n, at least the number of groups
    # when every group agrees with itself)
    n_eff = n if var <= 0 else float(np.clip(p * (1 - p) / var, 1.0, n))
    lo, hi = wilson_interval(p * n_eff, n_eff)
    return Estimate(p, lo, hi, n, G)


def better_than(correct_a: np.ndarray, correct_b: np.ndarray, margin: float = SWITCH_MARGIN) -> bool:
    """True when a is right on clearly more of the samples where a and b disagree: wins - losses >
    margin * sqrt(wins + losses) (a paired sign test at `margin` standard errors)."""
    wins = int((correct_a & ~correct_b).sum())
    losses = int((~correct_a & correct_b).sum())
    return wins - losses > margin * np.sqrt(wins + losses) and wins > losses


def choose(correct: np.ndarray, default: int, margin: float = SWITCH_MARGIN) -> int:
    """The candidate to use given correct [n_candidates, n] bool: the most accurate, when it is clearly better
    than the default (better_than); the default otherwise."""
    best = int(np.argmax(correct.sum(1)))
    if best != default and better_than(correct[best], correct[default], margin):
        return best
    return default


def folds_of(groups: np.ndarray, k: int = FOLDS, seed: int = 0) -> np.ndarray:
    """A fold 0..k-1 for every sample [n]; samples of one group share a fold."""
    _, g = np.unique(groups, return_inverse=True)
    G = int(g.max()) + 1 if g.size else 0
    order = np.random.default_rng(seed).permutation(G)
    fold_of_group = np.empty(G, np.int64)
    fold_of_group[order] = np.arange(G) % max(1, min(k, G))
    return fold_of_group[g]


@dataclass
class Calibration:
    """The outcome: the candidate chosen on all samples, the cross-validated accuracy of choosing that way,
    and every candidate's accuracy on the samples."""

    chosen: int
    estimate: Estimate
    candidate_accuracy: List[float]


def calibrate(correct: np.ndarray, groups: np.ndarray, default: int, k: int = FOLDS, seed: int = 0,
              margin: float = SWITCH_MARGIN) -> Calibration:
    """Choose among candidates from correct [n_candidates, n] bool (candidate c labels sample i correctly) and
    estimate the accuracy of the choice by k-fold cross-validation over the groups."""
    correct = np.asarray(correct, bool)
    n = correct.shape[1]
    folds = folds_of(groups, k, seed)
    cv = np.zeros(n, bool)
    for f in np.unique(folds):
        test = folds == f
        pick = choose(correct[:, ~test], default, margin) if (~test).any() else default
        cv[test] = correct[pick, test]
    return Calibration(choose(correct, default, margin), accuracy_estimate(cv, groups),
                       [float(v) for v in correct.mean(1)])


CANDIDATE_WEIGHTS = (0.0, 0.3, 1.0, 3.0, float("inf"))  # appearance weights the samples choose among
CANDIDATE_PRIORS = ("smooth", "naive")
TEMPERATURES = tuple(float(t) for t in np.exp(np.linspace(np.log(0.25), np.log(8.0), 41)))
MIN_SAMPLES_FOR_TEMPERATURE = 30


class SampleValues:
    """Appearance and the label-only priors at the reference samples [L, n], blended over the tiles that cover each
    sample exactly as the main pass blends them (lsr.tiling.StripBlender), so the samples see the map that is
    written; samples on pixels without imagery or class stay out (`seen` False)."""

    def __init__(self, samples: ReferenceSamples, n_labels: int):
        n = len(samples)
        self.samples = samples
        self.acc = np.zeros((n_labels, n), np.float64)  # sum over tiles of weight x p_app
        self.evidence = np.zeros(n)  # sum of the weights of tiles with evidence at the sample
        self.data = np.zeros(n)  # sum of the weights of tiles with data at the sample
        self.priors = {k: np.full((n_labels, n), 1.0 / n_labels, np.float32) for k in ("smooth", "naive", "bayes")}
        self.ok = np.zeros(n, bool)  # the sample's pixel has imagery and a class
        self.complete = np.ones(n, bool)  # every tile covering the sample was added

    def add(self, index: np.ndarray, rows: np.ndarray, cols: np.ndarray, p_app: np.ndarray, reached: np.ndarray,
            valid: np.ndarray, weights: np.ndarray, priors: dict):
        """One tile's values at its samples `index` (tile pixels rows, cols): p_app [L, h, w], reached, valid and the
        tile's blending weights [h, w], priors {kind: [L, h, w]}."""
        w = weights[rows, cols]
        ev = w * reached[rows, cols]
        self.acc[:, index] += p_app[:, rows, cols] * ev[None]
        self.evidence[index] += ev
        self.data[index] += w * valid[rows, cols]
        self.ok[index] |= valid[rows, cols]
        for k, p in priors.items():
            self.priors[k][:, index] = p[:, rows, cols]

    @property
    def seen(self) -> np.ndarray:
        return self.ok & self.complete & (self.data > 0)

    @property
    def p_app(self) -> np.ndarray:
        return (self.acc / np.maximum(self.evidence, 1e-12)[None]).astype(np.float32)

    @property
    def reached(self) -> np.ndarray:
        return self.evidence > 0

    def fused(self, setting: FusionSetting) -> np.ndarray:
        """The fused distributions of the seen samples [L, m] under a setting."""
        m = self.seen
        return fuse(self.p_app[:, m], self.reached[m], self.priors[setting.prior][:, m], setting.weight,
                    setting.prior_weight)

    def correct(self, setting: FusionSetting) -> np.ndarray:
        """Whether each seen sample gets its label [m] bool."""
        m = self.seen
        lab = fused_labels(self.p_app[:, m], self.reached[m], self.priors[setting.prior][:, m], setting.weight,
                           setting.prior_weight)
        return lab == self.samples.labels[m]

    @property
    def groups(self) -> np.ndarray:
        return self.samples.groups[self.seen]


def candidate_settings(default: FusionSetting, choose_fusion: bool) -> List[FusionSetting]:
    """The settings the samples choose among: the default first, then both label-only priors at every candidate
    weight (only the default when the user fixed the fusion)."""
    out = [default]
    if choose_fusion:
        for p in CANDIDATE_PRIORS:
            for w in CANDIDATE_WEIGHTS:
                s = replace(default, prior=p, weight=w)
                alone = [o for o in out if np.isinf(o.weight)]  # appearance alone: the prior hardly matters
                if s != default and not (np.isinf(w) and alone):
                    out.append(s)
    return out


def fit_temperature(p: np.ndarray, labels: np.ndarray) -> float:
    """The temperature T minimising the negative log-likelihood of the labels [m] under p^(1/T) (p [L, m]); 1 with
    fewer than MIN_SAMPLES_FOR_TEMPERATURE samples."""
    if labels.size < MIN_SAMPLES_FOR_TEMPERATURE:
        return 1.0
    nll = [-np.log(np.clip(sharpen(p, t)[labels, np.arange(labels.size)], 1e-6, 1)).mean() for t in TEMPERATURES]
    return TEMPERATURES[int(np.argmin(nll))]


@dataclass
class FusionCalibration:
    """What the samples decided: the setting, the cross-validated accuracy of the result and the accuracy of both
    baselines on the same samples (Estimates), every candidate's accuracy."""

    setting: FusionSetting
    estimate: Estimate
    naive: Estimate
    smooth: Estimate
    candidates: List[Tuple[str, float]] = field(default_factory=list)
    samples_used: int = 0

    def report(self) -> List[str]:
        return [f"Reference samples: {self.samples_used} used. Fusion chosen by cross-validated accuracy on them: "
                f"{self.setting.describe()}.",
                f"Estimated accuracy of the result: {self.estimate.describe()}; naive baseline "
                f"{self.naive.describe()}; smooth baseline {self.smooth.describe()} (the same samples).",
                "Accuracy of each candidate on the samples: " + ", ".join(f"{d}: {100 * a:.1f}%"
                                                                          for d, a in self.candidates) + "."]


def calibrate_fusion(values: SampleValues, default: FusionSetting, choose_fusion: bool) -> FusionCalibration:
    """Choose the fusion from the samples (calibrate) and calibrate the confidence on them (fit_temperature)."""
    settings = candidate_settings(default, choose_fusion)
    correct = np.stack([values.correct(s) for s in settings])
    groups = values.groups
    cal = calibrate(correct, groups, default=0)
    chosen = settings[cal.chosen]
    base = {k: accuracy_estimate(values.correct(replace(default, prior=k, weight=0.0)), groups)
            for k in ("naive", "smooth")}
    t = fit_temperature(values.fused(chosen), values.samples.labels[values.seen])
    return FusionCalibration(replace(chosen, temperature=t), cal.estimate, base["naive"], base["smooth"],
                             [(s.describe(), a) for s, a in zip(settings, cal.candidate_accuracy)],
                             int(values.seen.sum()))
