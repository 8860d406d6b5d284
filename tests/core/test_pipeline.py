"""Whole-raster pipeline (GDAL windows, tiles, blending) without QGIS."""

import os

import numpy as np
import pytest
from osgeo import gdal

torch = pytest.importorskip("torch")

import algorithms.lsr.tile as tile_mod  # noqa: E402
from algorithms.composition.table import load_composition  # noqa: E402
from algorithms.errors import Cancelled, EpitomeError  # noqa: E402
from algorithms.feedback import Feedback  # noqa: E402
from algorithms.lsr.job import LsrJob, LsrOutputs, run_self_epitomic_lsr
from algorithms.lsr.params import LsrParams  # noqa: E402
from algorithms.lsr.tile import TileResult  # noqa: E402

from rasters import UTM, north_up, write_raster  # noqa: E402


def write(path, arr, epsg=26917, origin=UTM, px=1.0, nodata=None, dtype=gdal.GDT_Byte):
    """A north-up GeoTIFF in UTM 17N with px-unit pixels (rasters.write_raster)."""
    return write_raster(path, arr, north_up(origin, px), epsg or None, dtype, nodata)


def scene(tmp_path, H=200, W=230):
    rng = np.random.default_rng(0)
    img = np.empty((3, H, W), np.uint8)
    img[:, :, :W // 2] = 40 + rng.integers(0, 40, (3, H, W // 2))
    img[:, :, W // 2:] = 180 + rng.integers(0, 5, (3, H, W - W // 2))
    cls = np.where(np.arange(W)[None, :].repeat(H, 0) < W // 2, 41, 82).astype(np.uint8)
    return write(tmp_path / "img.tif", img), write(tmp_path / "cls.tif", cls)


class Recorder(Feedback):
    def __init__(self, cancel_after=None):
        self.msgs, self.warns, self.prog, self.cancel_after = [], [], [], cancel_after

    def info(self, m):
        self.msgs.append(m)

    def warn(self, m):
        self.warns.append(m)

    def progress(self, p):
        self.prog.append(p)

    def is_canceled(self):
        return self.cancel_after is not None and len(self.prog) >= self.cancel_after


def test_tiles_reassemble_exactly(tmp_path, monkeypatch):
    """A fake tile function that predicts a label from global pixel position: the blended,
    tiled output must equal that function everywhere (no seams, no offsets)."""
    img, cls = scene(tmp_path)

    def fake_tile(image, valid, class_index, composition, params, seed=0, cancel=None, progress=None, prior=None):
        # The true label depends only on the image content (left/right texture) -> position-free.
        lab = (image.mean(0) > 0.5).long() + 1  # forest=1 (index), field=2
        probs = torch.nn.functional.one_hot(lab, 4).permute(2, 0, 1).float()
        return TileResult(probs, valid, valid & (class_index >= 0), 0, 0)

    monkeypatch.setattr(tile_mod, "self_epitomic_lsr_tile", fake_tile)
    out = tmp_path / "lab.tif"
    run_self_epitomic_lsr(LsrJob(img, cls, load_composition(None), LsrOutputs(str(out)), tile_size=64,
                                 params=LsrParams(fusion="none")))  # appearance alone: exactly the fake
    got = gdal.Open(str(out)).ReadAsArray()
    want = np.where(np.arange(230)[None, :].repeat(200, 0) < 115, 2, 3)
    assert np.array_equal(got, want)


def test_real_run_correct_deterministic_and_styled(tmp_path):
    img, cls = scene(tmp_path)
    comp = load_composition(None)
    outs = []
    for i in range(2):
        o = LsrOutputs(str(tmp_path / f"lab{i}.tif"), str(tmp_path / f"p{i}.tif"), str(tmp_path / f"c{i}.tif"))
        fb = Recorder()
        stats = run_self_epitomic_lsr(LsrJob(img, cls, comp, o, tile_size=96, params=LsrParams(seed=5)), fb)
        outs.append(gdal.Open(o.labels).ReadAsArray())
    assert np.array_equal(outs[0], outs[1])
    lab = outs[0]
    assert (lab[:, 10:100] == 2).mean() > 0.95 and (lab[:, 130:220] == 3).mean() > 0.95
    assert stats["tiles"] == 9 and fb.prog[-1] == pytest.approx(100)
    assert any("Device: cpu" in m for m in fb.msgs)
    ds = gdal.Open(str(tmp_path / "lab0.tif"))
    assert ds.GetRasterBand(1).GetColorTable() is not None
    assert ds.GetRasterBand(1).GetRasterCategoryNames()[1:5] == comp.labels
    assert os.path.exists(tmp_path / "lab0.qml")
    p = gdal.Open(str(tmp_path / "p0.tif")).ReadAsArray()
    np.testing.assert_allclose(p.sum(0), 1, atol=1e-4)
    c = gdal.Open(str(tmp_path / "c0.tif")).ReadAsArray()
    assert (c >= 0.25 - 1e-6).all() and (c <= 1 + 1e-6).all()
    assert not [f for f in os.listdir(tmp_path) if "partial" in f]


def test_cancel_leaves_nothing(tmp_path):
    img, cls = scene(tmp_path)
    out = tmp_path / "lab.tif"
    with pytest.raises(Cancelled):
        run_self_epitomic_lsr(LsrJob(img, cls, load_composition(None), LsrOutputs(str(out), str(tmp_path / "p.tif")),
                                     tile_size=64, params=LsrParams()), Recorder(cancel_after=2))
    assert sorted(os.listdir(tmp_path)) == ["cls.tif", "img.tif"]


def test_unknown_codes_error_lists_them(tmp_path):
    img, _ = scene(tmp_path)
    cls = np.full((200, 230), 41, np.uint8)
    cls[:10, :10] = 77
    cls[-5:, -5:] = 99
    c = write(tmp_path / "c2.tif", cls)
    with pytest.raises(EpitomeError) as e:
        run_self_epitomic_lsr(LsrJob(img, c, load_composition(None), LsrOutputs(str(tmp_path / "o.tif")),
                                     params=LsrParams()))
    assert "77, 99" in str(e.value)
    run_self_epitomic_lsr(LsrJob(img, c, load_composition(None), LsrOutputs(str(tmp_path / "o.tif")),
                                 unknown_as_nodata=True, params=LsrParams()))
    lab = gdal.Open(str(tmp_path / "o.tif")).ReadAsArray()
    assert (lab[:10, :10] == 0).all() and (lab[-5:, -5:] == 0).all() and (lab[50:150, 50:150] > 0).all()


def test_non_overlapping_layers_error_names_extents(tmp_path):
    img, _ = scene(tmp_path)
    c = write(tmp_path / "far.tif", np.full((10, 10), 41, np.uint8), origin=(900000.0, 4300000.0), px=30.0)
    with pytest.raises(EpitomeError) as e:
        run_self_epitomic_lsr(LsrJob(img, c, load_composition(None), LsrOutputs(str(tmp_path / "o.tif")),
                                     params=LsrParams()))
    msg = str(e.value)
    assert "do not overlap" in msg and "500000.00" in msg and "900000.00" in msg
    assert not os.path.exists(tmp_path / "o.tif")


def test_out_of_memory_retries_with_smaller_blocks(tmp_path, monkeypatch):
    """An out-of-memory error makes the pipeline retry the tile with 4x smaller blocks and warn;
    the output equals an undisturbed run (blocking does not change the math)."""
    img, cls = scene(tmp_path)
    real = tile_mod.self_epitomic_lsr_tile
    seen = []

    def flaky(image, valid, class_index, composition, params, seed=0, cancel=None, progress=None, prior=None):
        seen.append(params.block_elements)
        if len(seen) == 1:
            raise RuntimeError("CUDA out of memory. Tried to allocate 2.00 GiB")
        return real(image, valid, class_index, composition, params, seed=seed, cancel=cancel, progress=progress)

    ref = tmp_path / "ref.tif"
    run_self_epitomic_lsr(LsrJob(img, cls, load_composition(None), LsrOutputs(str(ref)), tile_size=256,
                                 params=LsrParams()))
    monkeypatch.setattr(tile_mod, "self_epitomic_lsr_tile", flaky)
    fb = Recorder()
    out = tmp_path / "oom.tif"
    run_self_epitomic_lsr(LsrJob(img, cls, load_composition(None), LsrOutputs(str(out)), tile_size=256,
                                 params=LsrParams()), fb)
    assert seen[1] == seen[0] // 4
    assert any("Out of memory" in w for w in fb.warns)
    a, b = gdal.Open(str(ref)).ReadAsArray(), gdal.Open(str(out)).ReadAsArray()
    assert (a == b).mean() > 0.999  # only fp32 summation order differs between block sizes


def test_other_errors_are_not_mistaken_for_out_of_memory(tmp_path, monkeypatch):
    img, cls = scene(tmp_path)

    def broken(*a, **k):
        raise RuntimeError("shape mismatch")

    monkeypatch.setattr(tile_mod, "self_epitomic_lsr_tile", broken)
    with pytest.raises(RuntimeError, match="shape mismatch"):
        run_self_epitomic_lsr(LsrJob(img, cls, load_composition(None), LsrOutputs(str(tmp_path / "o.tif")),
                                     params=LsrParams()))
    assert not [f for f in os.listdir(tmp_path) if f.startswith(".o.tif") or f == "o.tif"]


def test_band_tagged_alpha_used_as_data_is_not_a_mask(tmp_path):
    """NAIP GeoTIFFs tag NIR as alpha: NIR = 0 must not turn pixels into nodata when NIR is a data band."""
    from algorithms.io.raster import compute_scaling, read_imagery

    img = np.full((4, 20, 20), 120, np.uint8)
    img[3, :5, :5] = 0  # NIR zero (e.g. dark water)
    write_raster(tmp_path / "naip.tif", img, None, None, options=["PHOTOMETRIC=RGB", "ALPHA=YES"])
    ds = gdal.Open(str(tmp_path / "naip.tif"))
    assert ds.GetRasterBand(4).GetColorInterpretation() == gdal.GCI_AlphaBand
    sc = compute_scaling(ds, [1, 2, 3, 4])
    _, valid = read_imagery(ds, [1, 2, 3, 4], sc, 0, 0, 20, 20)
    assert valid.all()
    # used without band 4, the alpha band is a real transparency mask again
    _, valid_rgb = read_imagery(ds, [1, 2, 3], sc, 0, 0, 20, 20)
    assert not valid_rgb[:5, :5].any() and valid_rgb[5:, 5:].all()
