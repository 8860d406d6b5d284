"""Regression on the real NAIP / NLCD 30 m patches in $EPITOME_DATA/chesapeake-wv, by default
../shared/data/chesapeake-wv (read in place, never copied into the project; tests/conftest.py says when a
missing folder is skipped and when it fails). Defaults must beat the naive baseline overall and never lose more
than 1 point to it on any single patch (the acceptance rule of the self-epitomic LSR issue)."""

import os

import numpy as np
import pytest
from osgeo import gdal

pytest.importorskip("torch")

from algorithms.io.align import CLASS_NODATA, align_classes  # noqa: E402
from algorithms.io.raster import grid_of, open_raster
from algorithms.composition.table import load_composition  # noqa: E402
from algorithms.lsr.job import LsrJob, LsrOutputs, run_self_epitomic_lsr  # noqa: E402
from algorithms.lsr.params import LsrParams  # noqa: E402


def test_defaults_beat_naive_on_real_patches(tmp_path, chesapeake_data):
    DATA = chesapeake_data
    comp = load_composition(None)
    correct = naive_correct = total = 0
    worst = np.inf
    for pid in range(8):
        img = os.path.join(DATA, f"wv-train-{pid}_naip.tif")
        cls = os.path.join(DATA, f"wv-train-{pid}_nlcd_30m.tif")
        truth = gdal.Open(os.path.join(DATA, f"wv-train-{pid}_truth.tif")).ReadAsArray()
        out = str(tmp_path / f"p{pid}.tif")
        run_self_epitomic_lsr(LsrJob(img, cls, comp, LsrOutputs(out), params=LsrParams(), device="cpu"))
        lab = gdal.Open(out).ReadAsArray()
        al = align_classes(open_raster(cls, "c"), grid_of(gdal.Open(img)), [])
        naive = comp.baseline_labels(comp.class_index(al.GetRasterBand(1).ReadAsArray(),
                                                      nodata_codes=[0, 255, CLASS_NODATA]))
        m = truth > 0
        c, n = int((lab[m] == truth[m]).sum()), int((naive[m] == truth[m]).sum())
        worst = min(worst, 100.0 * (c - n) / m.sum())
        correct, naive_correct, total = correct + c, naive_correct + n, total + int(m.sum())
    acc, nacc = 100.0 * correct / total, 100.0 * naive_correct / total
    assert acc > nacc + 0.5, (acc, nacc)
    assert worst >= -1.0, worst
