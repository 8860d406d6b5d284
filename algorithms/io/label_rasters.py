"""A label map and the per-pixel rasters beside it, as every labelling job writes them (self-epitomic LSR,
epitome:predict, the label map of epitome:epitomiclsr).

LabelPaths names the files; LabelRasters writes them by windows into files reserved in an
io.outputs.AtomicOutputs, so they appear only when the whole job succeeds: the label raster (codes 1..L,
0 = nodata, a colour table and category names), and optionally the probabilities (L bands), the confidence,
the influence of appearance (TRUST) and the novelty.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional, Sequence, Tuple

import numpy as np
from osgeo import gdal

from .label_style import set_label_style
from .outputs import AtomicOutputs, build_overviews, create_output


@dataclass
class LabelPaths:
    """Output files of a labelling job; None = not written."""

    labels: str
    probabilities: Optional[str] = None
    confidence: Optional[str] = None
    trust: Optional[str] = None  # self-epitomic LSR: the influence of appearance per pixel (lsr/trust.influence)
    novelty: Optional[str] = None  # epitome:predict: -log p(patch) per value

    def named(self):
        """((path, Processing parameter name), ...) of the files asked for."""
        return tuple((p, n) for p, n in ((self.labels, "OUTPUT"), (self.probabilities, "PROBABILITIES"),
                                         (self.confidence, "CONFIDENCE"), (self.trust, "TRUST"),
                                         (self.novelty, "NOVELTY")) if p)


class LabelRasters:
    """The files of LabelPaths, created on `grid` and written by windows; counts the pixels per code 0..L."""

    def __init__(self, outputs: AtomicOutputs, paths: LabelPaths, grid, names: Sequence[str],
                 colours: Sequence[Tuple[int, int, int]], overviews: bool = False):
        L = len(names)
        self.overviews = overviews  # built when the files are closed (io/outputs.build_overviews)
        self.counts = np.zeros(L + 1, dtype=np.int64)
        self.labels = create_output(outputs.reserve(paths.labels, "OUTPUT"), grid, 1, gdal.GDT_Byte, nodata=0)
        set_label_style(self.labels, names, colours)
        self.probabilities = self.confidence = self.trust = self.novelty = None
        if paths.probabilities:
            self.probabilities = create_output(outputs.reserve(paths.probabilities, "PROBABILITIES"), grid, L,
                                               gdal.GDT_Float32, nodata=-1, descriptions=[f"p({n})" for n in names])
        if paths.confidence:
            self.confidence = create_output(outputs.reserve(paths.confidence, "CONFIDENCE"), grid, 1,
                                            gdal.GDT_Float32, nodata=-1, descriptions=["confidence = max_l p(l)"])
        if paths.trust:
            self.trust = create_output(outputs.reserve(paths.trust, "TRUST"), grid, 1, gdal.GDT_Float32, nodata=-1,
                                       descriptions=["influence of appearance (0 = the coarse map alone decided)"])
        if paths.novelty:
            self.novelty = create_output(outputs.reserve(paths.novelty, "NOVELTY"), grid, 1, gdal.GDT_Float32,
                                         nodata=-9999, descriptions=["novelty = -log p(patch) per value (nats)"])

    def write(self, x0: int, y0: int, probs: np.ndarray, valid: np.ndarray, trust: Optional[np.ndarray] = None,
              novelty: Optional[np.ndarray] = None):
        """probs [L, rows, cols] label distributions at offset (x0, y0), valid [rows, cols]; trust and novelty
        [rows, cols] for the files that take them."""
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
        if self.novelty is not None and novelty is not None:
            self.novelty.GetRasterBand(1).WriteArray(np.where(valid, novelty, -9999).astype(np.float32), x0, y0)

    def close(self):
        """Flush and close the files (they must be closed before they are moved into place)."""
        for ds in (self.labels, self.probabilities, self.confidence, self.trust, self.novelty):
            if ds is not None:
                ds.FlushCache()
                if self.overviews:
                    build_overviews(ds, "NEAREST" if ds is self.labels else "AVERAGE")
        self.labels = self.probabilities = self.confidence = self.trust = self.novelty = None
