"""Fusing a finished strip of appearance with the coarse prior and writing the outputs (docs/METHOD.md,
"Baselines and fusion").

The label raster and the optional probability, confidence and appearance-influence rasters are written by
rows into files reserved in an io.outputs.AtomicOutputs: they appear only when the whole job succeeds.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..composition.table import Composition
from ..io.label_rasters import LabelPaths, LabelRasters
from ..io.outputs import AtomicOutputs
from .trust import LabelEvidence, fuse, influence, sharpen

PRIOR_CHUNK = 2048  # columns of a strip whose prior is computed at once


LsrOutputs = LabelPaths  # the outputs of self-epitomic LSR (the name the bench scripts use)


@dataclass(frozen=True)
class FusionSetting:
    """How a strip is fused: the label prior ('smooth', 'naive', 'bayes'), the appearance weight w (inf = appearance
    alone), the prior's exponent v and the temperature of the probabilities written (confidence calibration)."""

    prior: str = "smooth"
    weight: float = 1.0
    prior_weight: float = 1.0
    temperature: float = 1.0

    def describe(self) -> str:
        if np.isinf(self.weight):
            return "appearance alone"
        if self.weight == 0:
            return f"the {self.prior} label-only baseline (appearance weight 0)"
        return f"{self.prior} prior, appearance weight w = {self.weight:g}"


class LabelOutputs(LabelRasters):
    """The output files, written by rows; also counts what appearance changed per class (trust.LabelEvidence)."""

    def __init__(self, outputs: AtomicOutputs, paths: LabelPaths, grid, composition: Composition,
                 overviews: bool = False):
        super().__init__(outputs, paths, grid, composition.labels, composition.colours, overviews)
        self.evidence = LabelEvidence(len(composition.class_codes), composition.n_labels)

    @property
    def changed(self) -> int:
        return int(self.evidence.changed.sum())


def fuse_and_write(sources, setting: FusionSetting, y0: int, probs: np.ndarray, evidence: np.ndarray,
                   valid_weight: np.ndarray, writer: LabelOutputs):
    """A finished strip of blended appearance [L, rows, width] (StripBlender.finish_rows): fused with the coarse
    prior (trust.fuse) by column chunks and written; what appearance changed against the smooth baseline is
    counted per class (trust.LabelEvidence)."""
    rows, width = probs.shape[1:]
    for x0 in range(0, width, PRIOR_CHUNK):
        x1 = min(width, x0 + PRIOR_CHUNK)
        cidx = sources.class_rows(x0, y0, x1 - x0, rows)
        valid = (valid_weight[:, x0:x1] > 0) & (cidx >= 0)
        reached = (evidence[:, x0:x1] > 0) & valid
        smooth = sources.label_prior("smooth", x0, y0, x1 - x0, rows, cidx)
        prior = smooth if setting.prior == "smooth" else sources.label_prior(setting.prior, x0, y0, x1 - x0, rows, cidx)
        fused = fuse(probs[:, :, x0:x1], reached, prior, setting.weight, setting.prior_weight)
        writer.evidence.add(cidx, fused.argmax(0), smooth.argmax(0), valid)
        trust = influence(fused, prior / np.maximum(prior.sum(0, keepdims=True), 1e-12)) if writer.trust else None
        writer.write(x0, y0, sharpen(fused, setting.temperature), valid, trust)
