"""Registration of the coarse map (algorithms/registration): the mutual information against a naive loop, the
parabola, the shift search on synthetic scenes whose coarse map is the block majority of a known label map moved by
a known amount, and the cases where no correction may be made (constant map, no texture, too little overlap)."""

import math
import os

import numpy as np
import pytest
from osgeo import gdal

from algorithms.errors import Cancelled
from algorithms.feedback import Feedback
from algorithms.registration import search as S
from algorithms.registration.apply import registered, write_moved
from algorithms.registration.estimate import AlignParams, estimate_offset
from algorithms.registration.features import block_features, class_indices, feature_windows, kmeans
from synthetic.registration import ORIGIN, write_shifted_scene


def naive_mi(a, b):
    """Mutual information of two paired label arrays by a plain loop over the pairs."""
    n = len(a)
    mi = 0.0
    for x in set(a):
        for y in set(b):
            nxy = sum(1 for i in range(n) if a[i] == x and b[i] == y)
            if nxy:
                nx, ny = sum(1 for v in a if v == x), sum(1 for v in b if v == y)
                mi += nxy / n * math.log(nxy * n / (nx * ny))
    return mi


def test_mutual_information_matches_a_naive_loop():
    rng = np.random.default_rng(1)
    a, b = rng.integers(0, 3, 200), rng.integers(0, 4, 200)
    b[:120] = a[:120]  # dependent
    joint = np.zeros((3, 4))
    np.add.at(joint, (a, b), 1)
    assert S.mutual_information(joint) == pytest.approx(naive_mi(list(a), list(b)), rel=1e-12)
    assert S.mutual_information(np.ones((3, 3))) == pytest.approx(0.0, abs=1e-12)


def test_parabola_finds_the_vertex():
    f = lambda x: -(x - 0.3) ** 2  # noqa: E731
    assert S.parabola_offset(f(-1), f(0), f(1)) == pytest.approx(0.3)
    assert S.parabola_offset(1.0, 0.0, 1.0) == 0.0  # convex: no vertex


def test_block_features_by_hand():
    img = np.arange(16, dtype=np.float32).reshape(1, 4, 4)
    f, v = block_features(img, np.ones((4, 4), bool), 2)
    assert f.shape == (2, 2, 2) and v.all()
    assert f[0, 0, 0] == pytest.approx(np.mean([0, 1, 4, 5]))
    assert f[0, 0, 1] == pytest.approx(np.std([0, 1, 4, 5]))


def test_class_indices_and_windows():
    idx, known = class_indices([np.array([[41, 0], [-2147483648, 90]])], nodata_codes=[0])
    assert list(known) == [41, 90] and idx[0].tolist() == [[0, -1], [-1, 1]]
    assert feature_windows(100, 60, 3) == [(0, 0, 99, 60)]
    assert len(feature_windows(100000, 100000, 3, max_windows=8)) == 8


def test_kmeans_separates_two_groups():
    x = np.concatenate([np.zeros((50, 2)), np.ones((50, 2)) * 5]) + np.random.default_rng(0).normal(0, .1, (100, 2))
    c = kmeans(x.astype(np.float32), 2, seed=0)
    assert sorted(np.round(c[:, 0]).tolist()) == [0.0, 5.0]


def scene(tmp_path, east=0.0, north=0.0, **kw):
    """synthetic/registration.write_shifted_scene in tmp_path: (imagery path, classes path)."""
    return write_shifted_scene(str(tmp_path / f"s{east}_{north}"), east, north, **kw)


@pytest.mark.parametrize("east,north", [(15.0, 15.0), (-21.0, 9.0), (30.0, 0.0)])
def test_a_known_shift_is_found_and_corrected(tmp_path, east, north):
    imgp, clsp = scene(tmp_path, east, north)
    reg = estimate_offset(imgp, clsp)
    assert reg.estimated and reg.applied, reg.describe()
    assert reg.east_m == pytest.approx(east, abs=5) and reg.north_m == pytest.approx(north, abs=5)
    assert 0 < reg.uncertainty_m < 10
    with registered(imgp, clsp, "correct") as (path, r2):
        gt = gdal.Open(path).GetGeoTransform()
        assert gt[0] == pytest.approx(ORIGIN[0] - 90 + east - r2.east_m)
        assert gt[3] == pytest.approx(ORIGIN[1] + 90 + north - r2.north_m)
    assert gdal.VSIStatL(path) is None  # the in-memory VRT is removed


def test_a_map_in_place_stays_in_place(tmp_path):
    for seed in (0, 1, 2):
        imgp, clsp = scene(tmp_path / str(seed), seed=seed)
        reg = estimate_offset(imgp, clsp)
        assert reg.shift_m < 5 and not reg.applied, reg.describe()


def test_estimate_only_reports_and_does_not_move(tmp_path):
    imgp, clsp = scene(tmp_path, 15.0, 15.0)
    with registered(imgp, clsp, "estimate") as (path, reg):
        assert path == clsp and reg.estimated and not reg.applied
    with registered(imgp, clsp, "off") as (path, reg):
        assert path == clsp and reg is None


@pytest.mark.parametrize("case,words", [("constant", "constant map"), ("texture", "no texture")])
def test_unsupported_data_give_a_message_and_no_correction(tmp_path, case, words):
    imgp, clsp = scene(tmp_path, 15.0, 15.0, constant=case == "constant", texture=case != "texture")
    reg = estimate_offset(imgp, clsp)
    assert not reg.applied and not reg.estimated and words in reg.message


def test_too_little_overlap_gives_a_message(tmp_path):
    imgp, clsp = scene(tmp_path, size=90)
    reg = estimate_offset(imgp, clsp)
    assert not reg.applied and "too little" in reg.message


def test_cancel(tmp_path):
    imgp, clsp = scene(tmp_path, 15.0, 15.0)

    class Stop(Feedback):
        def is_canceled(self):
            return True

    with pytest.raises(Cancelled):
        estimate_offset(imgp, clsp, Stop())


def test_corrected_copy_keeps_the_pixels(tmp_path):
    imgp, clsp = scene(tmp_path, 15.0, 15.0)
    reg = estimate_offset(imgp, clsp, params=AlignParams())
    out = write_moved(clsp, reg, imgp, str(tmp_path / "moved.tif"))
    a, b = gdal.Open(out), gdal.Open(clsp)
    assert (a.ReadAsArray() == b.ReadAsArray()).all()
    assert a.GetGeoTransform()[0] == pytest.approx(b.GetGeoTransform()[0] - reg.east_m)


def test_an_offset_beyond_the_search_is_not_corrected(tmp_path):
    imgp, clsp = scene(tmp_path, 45.0, 0.0)
    reg = estimate_offset(imgp, clsp, params=AlignParams(max_shift_cells=1.0))
    assert not reg.applied and ("limit of the search" in reg.message or "Not supported" in reg.message), reg.describe()


def test_fine_labels_register_the_coarse_map_too(tmp_path):
    """estimatecomposition's case: the fine label map itself is the 'imagery' (categorical features)."""
    imgp, clsp = scene(tmp_path, -15.0, 15.0)
    labels = os.path.join(os.path.dirname(imgp), "labels.tif")
    reg = estimate_offset(labels, clsp, categorical=True)
    assert reg.applied and abs(reg.east_m + 15) < 5 and abs(reg.north_m - 15) < 5, reg.describe()


def test_a_window_the_coarse_map_does_not_reach_has_no_classes(tmp_path):
    from algorithms.io.align import CLASS_NODATA
    from algorithms.io.raster import grid_of
    from algorithms.registration.features import classes_on_feature_grid

    imgp, clsp = scene(tmp_path)
    far = grid_of(gdal.Open(imgp))
    far = type(far)(far.width, far.height, (far.geotransform[0] + 1e5,) + far.geotransform[1:], far.wkt)
    codes = classes_on_feature_grid(gdal.Open(clsp), far, (0, 0, 90, 90), 3, 2)
    assert codes.shape == (34, 34) and (codes == CLASS_NODATA).all()


def test_inside_a_job_the_estimate_reports_no_progress(tmp_path):
    """The job's progress runs 0 to 100 after the estimate: it must not see the estimate's own percentages."""
    imgp, clsp = scene(tmp_path, 15.0, 15.0)

    class Record(Feedback):
        def __init__(self):
            self.seen, self.msgs = [], []

        def progress(self, p):
            self.seen.append(p)

        def warn(self, msg):
            self.msgs.append(msg)

    fb = Record()
    with registered(imgp, clsp, "correct", fb) as (_, reg):
        assert reg.applied
    assert fb.seen == [] and any("offset found" in m for m in fb.msgs)


def test_portable_correction_is_vrt_text_any_process_can_open(tmp_path):
    """registered(portable=True) (SCHEDULER): the moved map as VRT XML text naming its source by absolute path, opened
    by GDAL like a file, with the same geotransform as the in-memory VRT of the in-process path."""
    imgp, clsp = scene(tmp_path, 15.0, 15.0)
    with registered(imgp, clsp, "correct") as (path, reg):
        gt_memory = gdal.Open(path).GetGeoTransform()
    with registered(imgp, clsp, "correct", portable=True) as (text, reg2):
        assert reg2.applied and text.lstrip().startswith("<VRTDataset")
        assert os.path.abspath(clsp) in text
        assert gdal.Open(text).GetGeoTransform() == pytest.approx(gt_memory)
