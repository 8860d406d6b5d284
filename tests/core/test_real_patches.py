"""Regression on the real NAIP / NLCD 30 m patches in $EPITOME_DATA/chesapeake-wv, by default
../shared/data/chesapeake-wv (read in place, never copied into the project; tests/conftest.py says when a
missing folder is skipped and when it fails).

At the defaults (no reference samples) the result must beat the naive baseline overall, and no patch may fall more
than 1.5 points below the better of the two label-only baselines (measured: wv-7 at -1.3, where NLCD's forest class
is 72% field on the ground - the table is locally wrong; docs/BENCHMARKS.md). With 100 reference points per patch
the issue's promise holds: no patch more than 0.5 below the better baseline, and the estimated interval holds the
true accuracy."""

import os

import numpy as np
import pytest
from osgeo import gdal

pytest.importorskip("torch")

from test_lsr_job import reference_points  # noqa: E402

from algorithms.composition.table import load_composition  # noqa: E402
from algorithms.evaluate.baselines import BaselineJob, run_baselines  # noqa: E402
from algorithms.lsr.job import LsrJob, LsrOutputs, ReferenceInput, run_self_epitomic_lsr  # noqa: E402
from algorithms.lsr.params import LsrParams  # noqa: E402


def patch_scores(data, pid, tmp_path, reference=False):
    """(accuracy of the result, of naive, of smooth, stats) on patch pid, in percent."""
    comp = load_composition(None)
    img = os.path.join(data, f"wv-train-{pid}_naip.tif")
    cls = os.path.join(data, f"wv-train-{pid}_nlcd_30m.tif")
    truth = gdal.Open(os.path.join(data, f"wv-train-{pid}_truth.tif")).ReadAsArray()
    gt = gdal.Open(img).GetGeoTransform()
    ref = None
    if reference:
        path = reference_points(tmp_path / f"ref{pid}.gpkg", truth, 100, seed=pid, origin=(gt[0], gt[3]),
                                epsg=int(gdal.Open(img).GetSpatialRef().GetAuthorityCode(None)))
        ref = ReferenceInput(path, "label")
    out = str(tmp_path / f"p{pid}.tif")
    stats = run_self_epitomic_lsr(LsrJob(img, cls, comp, LsrOutputs(out), params=LsrParams(), device="cpu",
                                         reference=ref))
    naive, smooth = str(tmp_path / f"n{pid}.tif"), str(tmp_path / f"s{pid}.tif")
    run_baselines(BaselineJob(img, cls, comp, naive, smooth))
    m = truth > 0
    acc = [100.0 * (gdal.Open(p).ReadAsArray()[m] == truth[m]).mean() for p in (out, naive, smooth)]
    return acc + [stats]


def test_defaults_beat_naive_on_real_patches(tmp_path, chesapeake_data):
    scores = np.array([patch_scores(chesapeake_data, pid, tmp_path)[:3] for pid in range(8)])
    assert scores[:, 0].mean() > scores[:, 1].mean() + 0.5, scores  # patches of equal size: the pooled accuracy
    assert (scores[:, 0] - scores[:, 1:].max(1)).min() >= -1.5, scores


def test_with_reference_points_no_patch_loses_to_the_baselines(tmp_path, chesapeake_data):
    rows = []
    for pid in range(8):
        acc, naive, smooth, stats = patch_scores(chesapeake_data, pid, tmp_path, reference=True)
        rows.append((pid, acc, naive, smooth, 100 * stats["estimated_accuracy_low"],
                     100 * stats["estimated_accuracy_high"]))
    for pid, acc, naive, smooth, low, high in rows:
        assert acc >= max(naive, smooth) - 0.5, rows
    inside = sum(low <= acc <= high for _, acc, _, _, low, high in rows)
    assert inside >= 7, rows
