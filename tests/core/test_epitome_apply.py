"""Trained epitomes applied to rasters without QGIS: label embedding, prediction, epitomic LSR; the model file
with its embedding; reliability rows (nodata, tiny rasters, strips, cancel, bad inputs, seeds)."""

import json
import os

import numpy as np
import pytest
from osgeo import gdal

torch = pytest.importorskip("torch")

from algorithms.composition.table import load_composition  # noqa: E402
from algorithms.epitome.apply import ApplyParams, PatchGrid, model_scaling, read_strip  # noqa: E402
from algorithms.epitome.embed_job import EmbedLabelsJob, run_embed_labels  # noqa: E402
from algorithms.epitome.model_file import EpitomeModel, LabelEmbedding, ModelFileError, load_model  # noqa: E402
from algorithms.epitome.model_outputs import embedding_rgb  # noqa: E402
from algorithms.epitome.predict_job import PredictJob, run_predict  # noqa: E402
from algorithms.errors import Cancelled, EpitomeError  # noqa: E402
from algorithms.feedback import Feedback  # noqa: E402
from algorithms.io.label_rasters import LabelPaths  # noqa: E402
from algorithms.lsr.epitomic_job import EpitomicLsrJob, run_epitomic_lsr  # noqa: E402

from rasters import UTM, north_up, write_raster  # noqa: E402

FAST = dict(patch_size=7, centre=3, batch_size=64)


def write(path, arr, epsg=26917, origin=UTM, px=1.0, nodata=None, dtype=gdal.GDT_Byte, names=None):
    """A north-up GeoTIFF in UTM 17N with px-unit pixels (rasters.write_raster)."""
    return write_raster(path, arr, north_up(origin, px), epsg or None, dtype, nodata, names)


def textures(H, W, seed, split=None):
    """[3, H, W] uint8: dark noisy 'forest' left of `split`, bright smooth 'field' right; and labels 2 | 3."""
    rng = np.random.default_rng(seed)
    split = W // 2 if split is None else split
    img = np.empty((3, H, W), np.float64)
    img[:, :, :split] = 50 + rng.normal(0, 25, (3, H, split))
    img[:, :, split:] = 190 + rng.normal(0, 3, (3, H, W - split))
    lab = np.full((H, W), 3, np.uint8)
    lab[:, :split] = 2
    return np.clip(img, 1, 254).astype(np.uint8), lab


def exemplar_model(img, n=16, var=0.01):
    """An untrained epitome: an n x n crop across the texture boundary of img (uint8), variance var."""
    H, W = img.shape[1:]
    y, x = (H - n) // 2, W // 2 - n // 2
    mu = (img[:, y:y + n, x:x + n].astype(np.float32) / 255.0)[None]
    return EpitomeModel(mu=mu, var=np.full_like(mu, var), log_prior=np.full((1, n, n), -np.log(n * n), np.float32),
                        bands=[1, 2, 3], scaling_offset=[0.0] * 3, scaling_scale=[255.0] * 3,
                        scaling_method="uint8 / 255", patch_min=5, patch_max=9)


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    d = tmp_path_factory.mktemp("apply")
    img_a, lab_a = textures(60, 64, 0)
    img_b, lab_b = textures(50, 70, 1, split=30)
    model = str(d / "model.epitome")
    exemplar_model(img_a).save(model)
    return dict(dir=d, model=model, img_a=write(d / "a.tif", img_a), lab_a=write(d / "la.tif", lab_a),
                img_b=write(d / "b.tif", img_b), lab_b=lab_b, truth_b=write(d / "lb.tif", lab_b))


def embed(data, out, **kw):
    job = EmbedLabelsJob(data["model"], [data["img_a"]], [data["lab_a"]], str(out),
                         label_names=kw.pop("label_names", ["water", "forest", "field", "built"]),
                         params=ApplyParams(**dict(FAST, **kw.pop("params", {}))), device="cpu", **kw)
    run_embed_labels(job)
    return job


def read(path):
    return gdal.Open(str(path)).ReadAsArray()


def leftovers(folder):
    return [n for n in os.listdir(folder) if ".partial" in n]


def test_embed_then_predict_other_imagery(data, tmp_path):
    job = embed(data, tmp_path / "e.epitome", embedding_image=str(tmp_path / "emb.tif"))
    m = load_model(str(tmp_path / "e.epitome"))
    assert m.labels.names == ["water", "forest", "field", "built"] and m.labels.method == "labels"
    assert m.labels.probs.shape == (1, 4, 16, 16) and job.stats["reached"] == 1.0
    np.testing.assert_allclose(m.labels.probs.sum(1), 1.0, atol=1e-5)
    assert job.stats["pixels_per_label"]["forest"] > 0 and job.stats["pixels_per_label"]["water"] == 0
    left = m.labels.probs[0, 1, :, :6].mean()  # the crop's left part is forest texture
    right = m.labels.probs[0, 2, :, 10:].mean()
    assert left > 0.8 and right > 0.8, (left, right)
    pic = read(tmp_path / "emb.tif")
    assert pic.shape == (3, 16, 16) and pic[1, :, :4].mean() < pic[1, :, 12:].mean()  # forest darker green
    outs = LabelPaths(str(tmp_path / "p.tif"), str(tmp_path / "pp.tif"), str(tmp_path / "pc.tif"),
                      novelty=str(tmp_path / "pn.tif"))
    run_predict(PredictJob(str(tmp_path / "e.epitome"), data["img_b"], outs, ApplyParams(**FAST), "cpu"))
    lab = read(outs.labels)
    assert lab.shape == data["lab_b"].shape
    assert np.mean(lab == data["lab_b"]) > 0.9
    probs, conf, nov = read(outs.probabilities), read(outs.confidence), read(outs.novelty)
    np.testing.assert_allclose(probs.sum(0), 1.0, atol=1e-4)
    np.testing.assert_allclose(conf, probs.max(0), atol=1e-6)
    assert np.isfinite(nov).all()
    ds = gdal.Open(outs.labels)
    band = ds.GetRasterBand(1)
    band.GetDescription()  # (loads the .aux.xml: GDAL 3.6 reads it lazily)
    assert band.GetCategoryNames()[:3] == ["nodata", "water", "forest"] and band.GetColorTable() is not None
    assert os.path.isfile(str(tmp_path / "p.qml")) and not leftovers(tmp_path)


def test_novelty_is_high_on_unseen_texture(data, tmp_path):
    embed(data, tmp_path / "e.epitome")
    img, _ = textures(40, 40, 3)
    img[:, :, 20:] = np.random.default_rng(4).integers(0, 255, (3, 40, 20))  # a texture the epitome never saw
    path = write(tmp_path / "novel.tif", img)
    outs = LabelPaths(str(tmp_path / "p.tif"), novelty=str(tmp_path / "n.tif"))
    run_predict(PredictJob(str(tmp_path / "e.epitome"), path, outs, ApplyParams(**FAST), "cpu"))
    nov = read(outs.novelty)
    assert nov[:, 24:].min() > nov[:, :12].max() + 1.0


def test_prediction_is_seamless_across_strips(data, tmp_path):
    embed(data, tmp_path / "e.epitome")
    res = []
    for i, strip in enumerate((1 << 30, 1)):  # the whole raster at once; one block row per strip
        outs = LabelPaths(str(tmp_path / f"p{i}.tif"), str(tmp_path / f"pp{i}.tif"))
        run_predict(PredictJob(str(tmp_path / "e.epitome"), data["img_b"], outs, ApplyParams(**FAST), "cpu",
                               strip_values=strip))
        res.append((read(outs.labels), read(outs.probabilities)))
    assert np.array_equal(res[0][0], res[1][0])
    np.testing.assert_allclose(res[0][1], res[1][1], atol=1e-5)


def test_strip_patches_hold_the_global_grid():
    """read_strip pads beyond the raster with missing pixels; patches are centred on Q x Q blocks."""
    a = np.arange(7 * 9, dtype=np.uint8).reshape(1, 7, 9)
    drv = gdal.GetDriverByName("MEM").Create("", 9, 7, 1, gdal.GDT_Byte)
    drv.GetRasterBand(1).WriteArray(a[0])
    m = exemplar_model(np.repeat(np.zeros((1, 20, 20), np.uint8), 3, 0))
    m.bands, m.scaling_offset, m.scaling_scale = [1], [0.0], [100.0]
    grid = PatchGrid(7, 9, 5, 3)
    s = read_strip(drv, [1], model_scaling(m), grid, 1, 3)
    assert s.patches.shape == (2 * 3, 1, 5, 5) and s.block.tolist()[0] == [1, 0]
    # block (1, 0) covers rows 3..5, cols 0..2; its patch rows 2..6, cols -1..3
    np.testing.assert_allclose(s.patches[0, 0, :, 1:], a[0, 2:7, 0:4] / 100.0, rtol=1e-6)
    assert not s.mask[0, :, 0].any() and s.mask[0, :, 1:].all()
    assert not s.mask[5, 4].any()  # block (2, 2): its patch's last row (7) is beyond the raster


def test_nodata_imagery_gives_label_zero(data, tmp_path):
    embed(data, tmp_path / "e.epitome")
    img, _ = textures(30, 30, 2)
    img[:, 5:9, 5:9] = 0
    path = write(tmp_path / "nd.tif", img, nodata=0)
    outs = LabelPaths(str(tmp_path / "p.tif"))
    run_predict(PredictJob(str(tmp_path / "e.epitome"), path, outs, ApplyParams(**FAST), "cpu"))
    lab = read(outs.labels)
    assert (lab[5:9, 5:9] == 0).all() and (lab[12:, :] > 0).all()


@pytest.mark.parametrize("shape", [(1, 1), (2, 5), (6, 4)])
def test_tiny_rasters_smaller_than_a_patch(data, tmp_path, shape):
    embed(data, tmp_path / "e.epitome")
    img, lab = textures(*shape, 5, split=shape[1])
    path = write(tmp_path / "tiny.tif", img)
    outs = LabelPaths(str(tmp_path / "p.tif"))
    run_predict(PredictJob(str(tmp_path / "e.epitome"), path, outs, ApplyParams(**FAST), "cpu"))
    assert read(outs.labels).shape == shape and (read(outs.labels) == 2).all()


def test_cancel_leaves_no_output(data, tmp_path):
    embed(data, tmp_path / "e.epitome")

    class Cancel(Feedback):
        def is_canceled(self):
            return True

    outs = LabelPaths(str(tmp_path / "p.tif"), str(tmp_path / "pp.tif"))
    with pytest.raises(Cancelled):
        run_predict(PredictJob(str(tmp_path / "e.epitome"), data["img_b"], outs, ApplyParams(**FAST), "cpu"),
                    Cancel())
    with pytest.raises(Cancelled):
        run_embed_labels(EmbedLabelsJob(data["model"], [data["img_a"]], [data["lab_a"]], str(tmp_path / "x.epitome"),
                                        params=ApplyParams(**FAST), device="cpu"), Cancel())
    assert sorted(os.listdir(tmp_path)) == ["e.epitome"]


def test_predict_needs_a_label_embedding_and_fitting_patches(data, tmp_path):
    with pytest.raises(EpitomeError, match="no label embedding"):
        run_predict(PredictJob(data["model"], data["img_b"], LabelPaths(str(tmp_path / "p.tif")),
                               ApplyParams(**FAST), "cpu"))
    embed(data, tmp_path / "e.epitome")
    with pytest.raises(EpitomeError, match="PATCH_SIZE .* epitome size"):
        run_predict(PredictJob(str(tmp_path / "e.epitome"), data["img_b"], LabelPaths(str(tmp_path / "p.tif")),
                               ApplyParams(patch_size=31), "cpu"))
    one_band = write(tmp_path / "one.tif", np.zeros((1, 20, 20), np.uint8))
    with pytest.raises(EpitomeError, match="bands"):
        run_predict(PredictJob(str(tmp_path / "e.epitome"), one_band, LabelPaths(str(tmp_path / "p.tif")),
                               ApplyParams(**FAST), "cpu"))
    assert not os.path.exists(tmp_path / "p.tif")


def test_label_names_from_raster_categories_and_bad_codes(data, tmp_path):
    _, lab = textures(60, 64, 0)
    named = write(tmp_path / "named.tif", lab, names=["none", "water", "trees", "grass", "roofs"])
    job = EmbedLabelsJob(data["model"], [data["img_a"]], [named], str(tmp_path / "e.epitome"),
                         params=ApplyParams(**FAST), device="cpu")
    run_embed_labels(job)
    assert load_model(str(tmp_path / "e.epitome")).labels.names == ["water", "trees", "grass"]
    with pytest.raises(EpitomeError, match=r"codes \[3\] outside 1..2"):
        run_embed_labels(EmbedLabelsJob(data["model"], [data["img_a"]], [data["lab_a"]], str(tmp_path / "f.epitome"),
                                        label_names=["a", "b"], params=ApplyParams(**FAST), device="cpu"))
    with pytest.raises(EpitomeError, match="one raster per IMAGERY"):
        run_embed_labels(EmbedLabelsJob(data["model"], [data["img_a"], data["img_b"]], [data["lab_a"]],
                                        str(tmp_path / "g.epitome"), device="cpu"))
    assert not os.path.exists(tmp_path / "f.epitome") and not os.path.exists(tmp_path / "g.epitome")


def test_labels_in_another_crs_and_grid(data, tmp_path):
    """Labels at 2 m in EPSG:3857 are resampled onto the imagery grid (nearest)."""
    src = gdal.Open(data["lab_a"])
    warped = str(tmp_path / "lab3857.tif")
    gdal.Warp(warped, src, options=gdal.WarpOptions(dstSRS="EPSG:3857", xRes=2.0, yRes=2.0, resampleAlg="near",
                                                    dstNodata=0))
    src = None
    job = EmbedLabelsJob(data["model"], [data["img_a"]], [warped], str(tmp_path / "e.epitome"),
                         label_names=["water", "forest", "field", "built"], params=ApplyParams(**FAST), device="cpu")
    run_embed_labels(job)
    probs = load_model(str(tmp_path / "e.epitome")).labels.probs
    assert probs[0, 1, :, :6].mean() > 0.7 and probs[0, 2, :, 10:].mean() > 0.7


def test_same_seed_same_embedding(data, tmp_path):
    runs = []
    for i, seed in enumerate((1, 1, 2)):
        embed(data, tmp_path / f"{i}.epitome", params=dict(samples=0.5, seed=seed))
        runs.append(load_model(str(tmp_path / f"{i}.epitome")).labels.probs)
    assert np.array_equal(runs[0], runs[1]) and not np.array_equal(runs[0], runs[2])


def test_epitomic_lsr_resolves_mixed_blocks(tmp_path):
    """Coarse classes: 'forest' blocks, 'field' blocks and 'developed, open space' blocks that straddle the
    boundary (p(forest) 0.42, p(field) 0.46); the EM assigns the straddling blocks' pixels by texture."""
    img, truth = textures(90, 90, 6, split=45)
    classes = np.full((90, 90), 82, np.uint8)
    classes[:, :30] = 41
    classes[:, 30:60] = 21
    m = exemplar_model(img)
    m.save(str(tmp_path / "m.epitome"))
    ip, cp = write(tmp_path / "i.tif", img), write(tmp_path / "c.tif", classes)
    comp = load_composition(None)
    job = EpitomicLsrJob(str(tmp_path / "m.epitome"), [ip], [cp], comp, str(tmp_path / "l.epitome"),
                         LabelPaths(str(tmp_path / "l.tif")), params=ApplyParams(**FAST),
                         device="cpu", embedding_image=str(tmp_path / "emb.tif"))
    run_epitomic_lsr(job)
    lab = read(tmp_path / "l.tif")
    naive = comp.baseline_labels(comp.class_index(classes))
    mixed = slice(30, 60)
    acc = np.mean(lab[:, mixed] == truth[:, mixed])
    assert acc > np.mean(naive[:, mixed] == truth[:, mixed]) + 0.3 and acc > 0.85, acc
    emb = load_model(str(tmp_path / "l.epitome")).labels
    assert emb.method == "lsr" and emb.names == comp.labels and set(emb.info["p_class"]) == {"21", "41", "82"}
    assert abs(sum(emb.info["p_class"].values()) - 1) < 1e-9


def test_epitomic_lsr_unknown_class_codes(tmp_path):
    img, _ = textures(30, 30, 0)
    m = exemplar_model(img)
    m.save(str(tmp_path / "m.epitome"))
    classes = np.full((30, 30), 41, np.uint8)
    classes[:5] = 77
    ip, cp = write(tmp_path / "i.tif", img), write(tmp_path / "c.tif", classes)
    job = EpitomicLsrJob(str(tmp_path / "m.epitome"), [ip], [cp], load_composition(None),
                         str(tmp_path / "l.epitome"), params=ApplyParams(**FAST), device="cpu")
    with pytest.raises(EpitomeError, match="77"):
        run_epitomic_lsr(job)
    job.unknown_as_nodata = True
    run_epitomic_lsr(job)
    assert load_model(str(tmp_path / "l.epitome")).labels.info["p_class"] == {"41": 1.0}


def test_model_file_version_1_still_loads_and_takes_an_embedding(tmp_path, data):
    """A file written by the first model format (no training state, no embedding) loads and can be embedded."""
    m = exemplar_model(textures(60, 64, 0)[0])
    meta = dict(format="epitome-model", version=1, bands=[1, 2, 3],
                scaling=dict(offset=[0.0] * 3, scale=[255.0] * 3, method="uint8 / 255"), patch_min=5, patch_max=9,
                settings={"steps": 3}, history={"loss": [1.0]}, steps_done=3)
    v1 = str(tmp_path / "v1.epitome")
    with open(v1, "wb") as fh:
        np.savez_compressed(fh, mu=m.mu, var=m.var, log_prior=m.log_prior, usage=np.zeros((1, 16, 16), np.float32),
                            meta=np.frombuffer(json.dumps(meta).encode(), np.uint8))
    old = load_model(v1)
    assert old.version == 1 and old.labels is None and old.optimizer_state is None and old.steps_done == 3
    job = EmbedLabelsJob(v1, [data["img_a"]], [data["lab_a"]], str(tmp_path / "v2.epitome"),
                         params=ApplyParams(**FAST), device="cpu")
    run_embed_labels(job)
    new = load_model(str(tmp_path / "v2.epitome"))
    assert new.version == 2 and new.labels.n_labels == 3 and new.steps_done == 3


def test_label_embedding_roundtrip_and_validation(tmp_path):
    m = exemplar_model(textures(60, 64, 0)[0])
    probs = np.random.default_rng(0).random((1, 2, 16, 16)).astype(np.float32)
    probs /= probs.sum(1, keepdims=True)
    m.labels = LabelEmbedding(probs, np.ones((1, 16, 16), np.float32), ["a", "b"], [(1, 2, 3), (4, 5, 6)],
                              info={"k": 1})
    m.save(str(tmp_path / "m.epitome"))
    r = load_model(str(tmp_path / "m.epitome"))
    np.testing.assert_array_equal(r.labels.probs, probs)
    assert r.labels.colours == [(1, 2, 3), (4, 5, 6)] and r.labels.info == {"k": 1}
    assert embedding_rgb(r).shape == (16, 16, 3)
    m.labels.names = ["a"]
    with pytest.raises(ModelFileError, match="2 labels but 1 names"):
        m.save(str(tmp_path / "bad.epitome"))
    m.labels.names = ["a", "b"]
    m.labels.probs = probs * 2
    with pytest.raises(ModelFileError, match="not a probability"):
        m.save(str(tmp_path / "bad.epitome"))
    assert not os.path.exists(tmp_path / "bad.epitome")


def test_out_of_memory_policy_smaller_batches_then_cpu():
    """run_batches: an out-of-memory error retries with 4x smaller batches, then on the CPU, with warnings."""
    from algorithms.epitome.apply import run_batches

    done, warnings = [], []

    def compute(device, sl):
        if device.type == "cuda" or sl.stop - sl.start > 2:
            raise RuntimeError("CUDA out of memory. Tried to allocate 2.00 GiB")
        done.extend(range(sl.start, sl.stop))

    fake_gpu = type("FakeGpu", (), {"type": "cuda", "__str__": lambda s: "cuda:0"})()  # no GPU on the test machine
    torch_empty = torch.cuda.empty_cache
    torch.cuda.empty_cache = lambda: None  # (no CUDA here)
    try:
        device, size = run_batches(11, 16, compute, fake_gpu, warnings.append)
    finally:
        torch.cuda.empty_cache = torch_empty
    assert done == list(range(11)) and device.type == "cpu" and size == 1
    assert any("batches of 4" in w for w in warnings) and any("on the CPU" in w for w in warnings)

    def always(device, sl):
        raise RuntimeError("out of memory")

    with pytest.raises(EpitomeError, match="BATCH_SIZE"):
        run_batches(3, 4, always, torch.device("cpu"))

    def other(device, sl):
        raise ValueError("not a memory problem")

    with pytest.raises(ValueError):
        run_batches(3, 4, other, torch.device("cpu"))


def test_imagery_of_another_data_type_is_warned(data, tmp_path):
    from algorithms.epitome.apply import scaling_warning

    embed(data, tmp_path / "e.epitome")
    m = load_model(str(tmp_path / "e.epitome"))
    img, _ = textures(20, 20, 0)
    u16 = gdal.Open(write(tmp_path / "u16.tif", img.astype(np.uint16) * 40, dtype=gdal.GDT_UInt16))
    assert "UInt16" in scaling_warning(u16, m) and "Byte" in scaling_warning(u16, m)
    assert scaling_warning(gdal.Open(data["img_b"]), m) is None

    class Warns(Feedback):
        def __init__(self):
            self.warnings = []

        def warn(self, msg):
            self.warnings.append(msg)

    fb = Warns()
    run_predict(PredictJob(str(tmp_path / "e.epitome"), str(tmp_path / "u16.tif"),
                           LabelPaths(str(tmp_path / "p.tif")), ApplyParams(**FAST), "cpu"), fb)
    assert any("trained on Byte imagery" in w for w in fb.warnings)


def test_areas_of_geographic_imagery_are_in_square_kilometres(data, tmp_path):
    """A WGS84 raster's area is computed from its pixel size in metres (it was degrees squared: '0.00 km^2 per
    minute')."""
    embed(data, tmp_path / "e.epitome")
    img, _ = textures(50, 70, 1, split=30)
    deg = 1e-5  # about 1.1 m of latitude
    path = write(tmp_path / "wgs84.tif", img, epsg=4326, origin=(-80.0, 40.0), px=deg)
    job = PredictJob(str(tmp_path / "e.epitome"), path, LabelPaths(str(tmp_path / "p.tif")), ApplyParams(**FAST),
                     "cpu")
    run_predict(job)
    side = deg * 111320.0 * np.cos(np.radians(40.0)) ** 0.5  # metres, as io/raster.pixel_size_metres
    assert job.stats["area_km2"] == pytest.approx(50 * 70 * side * side / 1e6, rel=0.05)
    assert job.stats["km2_per_minute"] > 0 and np.isfinite(job.stats["km2_per_minute"])
