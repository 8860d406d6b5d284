"""Fusing a finished strip of appearance with the coarse prior and writing the outputs (docs/METHOD.md,
"Baselines and fusion").

The label raster and the optional probability, confidence and appearance-influence rasters are written by
rows into files reserved in an io.outputs.AtomicOutputs: they appear only when the whole job succeeds.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import numpy as np
from osgeo import gdal

from ..composition.table import Composition
from ..io.label_style import set_label_style
from ..io.outputs import AtomicOutputs, create_output
from .trust import LabelEvidence, fuse, influence, sharpen

PRIOR_CHUNK = 2048  # columns of a strip whose prior is computed at once


@dataclass
class LsrOutputs:
    labels: str
    probabilities: Optional[str] = None
    confidence: Optional[str] = None
    trust: Optional[str] = None  # the influence of appearance per pixel (trust.influence)


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


class LabelOutputs:
    """The output files, written by rows; counts pixels per label and what appearance changed per class."""

    def __init__(self, outputs: AtomicOutputs, paths: LsrOutputs, grid, composition: Composition):
        L = composition.n_labels
        self.counts = np.zeros(L + 1, dtype=np.int64)  # pixels per code 0..L
        self.evidence = LabelEvidence(len(composition.class_codes), L)
        self.labels = create_output(outputs.reserve(paths.labels, "OUTPUT"), grid, 1, gdal.GDT_Byte, nodata=0)
        set_label_style(self.labels, composition.labels, composition.colours)
        self.probabilities = self.confidence = self.trust = None
        if paths.probabilities:
            self.probabilities = create_output(outputs.reserve(paths.probabilities, "PROBABILITIES"), grid, L,
                                               gdal.GDT_Float32, nodata=-1,
                                               descriptions=[f"p({n})" for n in composition.labels])
        if paths.confidence:
            self.confidence = create_output(outputs.reserve(paths.confidence, "CONFIDENCE"), grid, 1,
                                            gdal.GDT_Float32, nodata=-1, descriptions=["confidence = max_l p(l)"])
        if paths.trust:
            self.trust = create_output(outputs.reserve(paths.trust, "TRUST"), grid, 1, gdal.GDT_Float32, nodata=-1,
                                       descriptions=["influence of appearance (0 = the coarse map alone decided)"])

    @property
    def changed(self) -> int:
        return int(self.evidence.changed.sum())

    def write(self, x0: int, y0: int, probs: np.ndarray, valid: np.ndarray, trust: Optional[np.ndarray] = None):
        """probs [L, rows, cols] fused label distributions at output offset (x0, y0), valid [rows, cols]; trust
        [rows, cols] the influence of appearance."""
        lab = (probs.argmax(0) + 1).astype(np.uint8)
        lab[~valid] = 0
        self.counts += np.bincount(lab.ravel(), minlength=self.counts.size)[:self.counts.size]
        self.labels.GetRasterBand(1).WriteArray(lab, x0, y0)
        if self.probabilities is not None:
            for i in range(probs.shape[0]):
                self.probabilities.GetRasterBand(i + 1).WriteArray(np.where(valid, probs[i], -1).astype(np.float32),
                                                                   x0, y0)
        if self.confidence is not None:
            self.confidence.GetRasterBand(1).WriteArray(np.where(valid, probs.max(0), -1).astype(np.float32), x0, y0)
        if self.trust is not None and trust is not None:
            self.trust.GetRasterBand(1).WriteArray(np.where(valid, trust, -1).astype(np.float32), x0, y0)

    def close(self):
        """Flush and close the files (they must be closed before they are moved into place)."""
        for ds in (self.labels, self.probabilities, self.confidence, self.trust):
            if ds is not None:
                ds.FlushCache()
        self.labels = self.probabilities = self.confidence = self.trust = None


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
