"""estimate_composition (p(label | class) counted on a labelled area) against naive counts; the colour row
of the composition CSV; tables typed in the editor (check_table, composition_from_table)."""

import numpy as np
import pytest
from osgeo import gdal, osr

from algorithms.composition.cells import check_table, class_display_name, composition_from_table, normalise_rows
from algorithms.composition.estimate import estimate_composition, sample_class_codes
from algorithms.composition.table import CompositionError, load_composition, parse_composition
from algorithms.errors import Cancelled, EpitomeError
from algorithms.feedback import Feedback

from rasters import north_up, write_raster

gdal.UseExceptions()
ORIGIN = (500000.0, 4300000.0)


def write(path, arr, epsg=26917, origin=ORIGIN, px=1.0, nodata=None, dtype=gdal.GDT_Byte, names=None, colours=None):
    """A one-band GeoTIFF, north-up in UTM 17N (without epsg: no georeference at all; rasters.write_raster)."""
    return write_raster(path, arr, north_up(origin, px) if epsg else None, epsg or None, dtype, nodata, names,
                        colours)


def naive(classes, labels, skip_classes=(), skip_labels=(0,)):
    """{(class, label): n} by a plain loop over pixels."""
    out = {}
    for c, lab in zip(np.ravel(classes).tolist(), np.ravel(labels).tolist()):
        if c in skip_classes or lab in skip_labels:
            continue
        out[(c, lab)] = out.get((c, lab), 0) + 1
    return out


def as_pairs(est):
    comp = est.composition
    return {(c, lab): int(est.counts[i, j]) for i, c in enumerate(comp.class_codes)
            for j, lab in enumerate(est.label_codes) if est.counts[i, j]}


class Recorder(Feedback):
    def __init__(self, cancel_after=None):
        self.progresses, self.warnings, self.cancel_after = [], [], cancel_after

    def progress(self, p):
        self.progresses.append(p)

    def warn(self, m):
        self.warnings.append(m)

    def is_canceled(self):
        return self.cancel_after is not None and len(self.progresses) >= self.cancel_after


# --------------------------------------------------------------------------------------------
# Counts against a naive count
# --------------------------------------------------------------------------------------------

def test_same_grid_matches_naive_count(tmp_path):
    rng = np.random.default_rng(0)
    lab = rng.choice([0, 1, 2, 3], size=(37, 23)).astype(np.uint8)
    cls = rng.choice([11, 41, 82], size=(37, 23)).astype(np.uint8)
    ref = write(tmp_path / "ref.tif", lab)
    cp = write(tmp_path / "cls.tif", cls)
    fb = Recorder()
    est = estimate_composition(ref, cp, fb=fb, rows_per_block=5)  # several blocks, the last one short
    want = naive(cls, lab)
    assert as_pairs(est) == want
    comp = est.composition
    assert comp.class_codes == [11, 41, 82] and est.label_codes == [1, 2, 3]
    assert comp.labels == ["label 1", "label 2", "label 3"]
    for i, c in enumerate(comp.class_codes):
        tot = sum(n for (cc, _), n in want.items() if cc == c)
        assert est.class_pixels[i] == tot
        np.testing.assert_allclose(comp.matrix[i], [want.get((c, k), 0) / tot for k in (1, 2, 3)], rtol=1e-6)
    np.testing.assert_allclose(comp.matrix.sum(1), 1, atol=1e-6)
    assert fb.progresses == sorted(fb.progresses) and fb.progresses[-1] == pytest.approx(100)
    assert est.pixels == int((lab > 0).sum())


def test_block_size_does_not_change_the_result(tmp_path):
    rng = np.random.default_rng(1)
    lab = rng.integers(1, 5, (50, 40)).astype(np.uint8)
    cls = rng.choice([21, 22], size=(50, 40)).astype(np.uint8)
    ref, cp = write(tmp_path / "r.tif", lab), write(tmp_path / "c.tif", cls)
    a = estimate_composition(ref, cp, rows_per_block=1)
    b = estimate_composition(ref, cp, rows_per_block=512)
    np.testing.assert_array_equal(a.counts, b.counts)


def test_coarser_class_grid_is_upsampled_by_nearest(tmp_path):
    """Classes at 3 m over a 1 m reference: each class pixel covers 3 x 3 reference pixels."""
    cls = np.array([[41, 82, 82], [41, 41, 95]], np.uint8)
    lab = np.array([[1, 2, 2, 3, 3, 3, 3, 3, 3],
                    [2, 2, 2, 3, 3, 1, 3, 3, 3],
                    [2, 2, 2, 3, 3, 3, 4, 4, 3],
                    [2, 2, 3, 2, 2, 2, 1, 1, 1],
                    [2, 2, 2, 2, 0, 2, 1, 1, 1],
                    [2, 2, 2, 2, 2, 2, 1, 1, 3]], np.uint8)
    ref = write(tmp_path / "ref.tif", lab, px=1.0)
    cp = write(tmp_path / "cls.tif", cls, px=3.0)
    est = estimate_composition(ref, cp)
    up = np.kron(cls, np.ones((3, 3), np.uint8))
    want = naive(up, lab)
    assert as_pairs(est) == want
    # By hand: class 41 covers the top-left 3 x 3 block (one 1, eight 2) and the bottom-left 3 x 6 block
    # (one 3, one 0 = nodata, sixteen 2)
    assert want[(41, 1)] == 1 and want[(41, 3)] == 1 and want[(41, 2)] == 24 and (41, 0) not in want
    assert est.composition.class_codes == [41, 82, 95]
    i95 = est.composition.class_codes.index(95)
    np.testing.assert_allclose(est.composition.matrix[i95], [8 / 9, 0, 1 / 9, 0], rtol=1e-6)


def test_class_grid_offset_and_larger_than_reference(tmp_path):
    """Class raster extending beyond the labelled area on an offset grid (2 m pixels, origin 1 m off)."""
    cls = np.array([[1, 1, 2, 2],
                    [1, 1, 2, 2],
                    [3, 3, 3, 3]], np.uint8)
    lab = np.arange(1, 17, dtype=np.uint8).reshape(4, 4) % 3 + 1
    ref = write(tmp_path / "ref.tif", lab, px=1.0)
    cp = write(tmp_path / "cls.tif", cls, px=2.0, origin=(ORIGIN[0] - 1, ORIGIN[1] + 1))
    est = estimate_composition(ref, cp)
    # reference pixel (r, c) has centre (c + 0.5, -(r + 0.5)); class pixel index = floor((x + 1) / 2)
    up = np.array([[cls[(r + 1) // 2, (c + 1) // 2] for c in range(4)] for r in range(4)])
    assert as_pairs(est) == naive(up, lab)


def test_other_crs_matches_pixel_centre_lookup(tmp_path):
    """Classes at 30 m in EPSG:5070 under a 1 m reference in EPSG:26917: counts agree with looking up each
    reference pixel centre in the class raster (GDAL warps with an approximate transform: < 1 % differ)."""
    rng = np.random.default_rng(3)
    lab = rng.integers(1, 4, (120, 120)).astype(np.uint8)
    ref = write(tmp_path / "ref.tif", lab)
    s26917, s5070 = osr.SpatialReference(), osr.SpatialReference()
    s26917.ImportFromEPSG(26917)
    s5070.ImportFromEPSG(5070)
    for s in (s26917, s5070):
        s.SetAxisMappingStrategy(osr.OAMS_TRADITIONAL_GIS_ORDER)
    ct = osr.CoordinateTransformation(s26917, s5070)
    x0, y0 = ct.TransformPoint(ORIGIN[0] - 60, ORIGIN[1] + 60)[:2]
    cls = rng.choice([41, 82, 90], size=(12, 12)).astype(np.uint8)
    cp = write(tmp_path / "cls.tif", cls, epsg=5070, origin=(x0, y0), px=30.0)
    est = estimate_composition(ref, cp)
    look = np.zeros_like(lab)
    for r in range(120):
        for c in range(120):
            x, y = ct.TransformPoint(ORIGIN[0] + c + 0.5, ORIGIN[1] - r - 0.5)[:2]
            look[r, c] = cls[int((y0 - y) // 30), int((x - x0) // 30)]
    want = naive(look, lab)
    got = as_pairs(est)
    diff = sum(abs(got.get(k, 0) - want.get(k, 0)) for k in set(got) | set(want))
    assert diff <= 0.01 * lab.size * 2


def test_nodata_of_either_raster_is_ignored(tmp_path):
    lab = np.array([[1, 2, 9, 0], [2, 2, 1, 9]], np.uint8)
    cls = np.array([[5, 5, 5, 7], [255, 7, 7, 7]], np.uint8)
    ref = write(tmp_path / "ref.tif", lab, nodata=9)
    cp = write(tmp_path / "cls.tif", cls, nodata=255)
    est = estimate_composition(ref, cp)
    assert as_pairs(est) == {(5, 1): 1, (5, 2): 1, (7, 2): 1, (7, 1): 1}
    assert est.composition.class_codes == [5, 7] and est.label_codes == [1, 2]
    # extra codes meaning "no class" (NLCD 0) are dropped when asked
    est = estimate_composition(ref, cp, class_nodata_codes=[7])
    assert est.composition.class_codes == [5]


def test_nodata_without_crs_same_size(tmp_path):
    lab = np.array([[1, 2], [2, 2]], np.uint8)
    cls = np.array([[3, 0], [3, 3]], np.uint8)
    ref = write(tmp_path / "ref.tif", lab, epsg=None)
    cp = write(tmp_path / "cls.tif", cls, epsg=None, nodata=0)
    fb = Recorder()
    est = estimate_composition(ref, cp, fb=fb)
    assert as_pairs(est) == {(3, 1): 1, (3, 2): 2}
    assert any("pixel by pixel" in w for w in fb.warnings)


def test_absent_codes_get_zero_columns_and_names_and_colours(tmp_path):
    """Codes 2 and 4 only: columns are codes 1..4 (output codes = reference codes), named from the
    category names, coloured from the colour table."""
    lab = np.array([[2, 2, 4], [4, 4, 2]], np.uint8)
    cls = np.array([[41, 41, 82], [82, 82, 41]], np.uint8)
    names = ["nodata", "water", "forest", "", "built"]
    colours = {1: (0, 0, 255), 2: (0, 128, 0), 4: (200, 0, 0)}
    ref = write(tmp_path / "ref.tif", lab, names=names, colours=colours)
    cp = write(tmp_path / "cls.tif", cls)
    est = estimate_composition(ref, cp)
    comp = est.composition
    assert est.label_codes == [1, 2, 3, 4]
    assert comp.labels == ["water", "forest", "label 3", "built"]
    assert comp.colours[0] == (0, 0, 255) and comp.colours[1] == (0, 128, 0) and comp.colours[3] == (200, 0, 0)
    np.testing.assert_allclose(comp.matrix, [[0, 1, 0, 0], [0, 0, 0, 1]])
    # the CSV of the estimate loads back with the same table, names, colours
    p = tmp_path / "est.csv"
    p.write_text(comp.to_csv(comments=est.csv_comments("ref.tif", "cls.tif")))
    back = load_composition(str(p))
    assert back.labels == comp.labels and back.colours == comp.colours and back.class_codes == [41, 82]
    np.testing.assert_allclose(back.matrix, comp.matrix)


def test_codes_outside_1_254_use_the_codes_seen(tmp_path):
    lab = np.array([[300, 500], [500, 500]], np.int16)
    cls = np.array([[1, 1], [1, 2]], np.uint8)
    ref = write(tmp_path / "ref.tif", lab, dtype=gdal.GDT_Int16)
    cp = write(tmp_path / "cls.tif", cls)
    fb = Recorder()
    est = estimate_composition(ref, cp, fb=fb)
    assert est.label_codes == [300, 500] and est.composition.labels == ["label 300", "label 500"]
    assert any("300, 500" in w for w in fb.warnings)


def test_min_pixels_leaves_out_rare_classes(tmp_path):
    lab = np.ones((4, 4), np.uint8)
    cls = np.full((4, 4), 41, np.uint8)
    cls[0, 0] = 11
    ref, cp = write(tmp_path / "r.tif", lab), write(tmp_path / "c.tif", cls)
    est = estimate_composition(ref, cp, min_pixels=2)
    assert est.composition.class_codes == [41] and est.dropped == {11: 1}
    assert any("11 (1 px)" in w for w in est.warnings)
    with pytest.raises(EpitomeError, match="MIN_PIXELS"):
        estimate_composition(ref, cp, min_pixels=100)


def test_float_rasters_holding_integers_are_fine(tmp_path):
    lab = np.array([[1.0, 2.0], [2.0, np.nan]], np.float32)
    cls = np.array([[3.0, 3.0], [4.0, 4.0]], np.float32)
    ref = write(tmp_path / "r.tif", lab, dtype=gdal.GDT_Float32)
    cp = write(tmp_path / "c.tif", cls, dtype=gdal.GDT_Float32)
    est = estimate_composition(ref, cp)
    assert as_pairs(est) == {(3, 1): 1, (3, 2): 1, (4, 2): 1}


# --------------------------------------------------------------------------------------------
# Errors that say what to change; cancel
# --------------------------------------------------------------------------------------------

def test_errors(tmp_path):
    lab = np.ones((4, 4), np.uint8)
    ref = write(tmp_path / "r.tif", lab)
    far = write(tmp_path / "far.tif", lab, origin=(ORIGIN[0] + 1e5, ORIGIN[1]))
    with pytest.raises(EpitomeError, match="do not overlap") as e:
        estimate_composition(ref, far)
    assert "Extent of REFERENCE" in str(e.value) and "of CLASSES" in str(e.value)
    nocrs = write(tmp_path / "nocrs.tif", np.ones((3, 3), np.uint8), epsg=None)
    with pytest.raises(EpitomeError, match="CLASSES has no CRS"):
        estimate_composition(ref, nocrs)
    with pytest.raises(EpitomeError, match="REFERENCE has no CRS"):
        estimate_composition(nocrs, ref)
    zeros = write(tmp_path / "zeros.tif", np.zeros((4, 4), np.uint8))
    with pytest.raises(EpitomeError, match="share no pixel"):
        estimate_composition(zeros, ref)
    frac = write(tmp_path / "frac.tif", np.full((4, 4), 0.5, np.float32), dtype=gdal.GDT_Float32)
    with pytest.raises(EpitomeError, match="REFERENCE holds non-integer"):
        estimate_composition(frac, ref)
    with pytest.raises(EpitomeError, match="CLASSES holds non-integer"):
        estimate_composition(ref, frac)
    with pytest.raises(EpitomeError, match="REFERENCE_BAND"):
        estimate_composition(ref, ref, reference_band=2)
    with pytest.raises(EpitomeError, match="CLASSES_BAND"):
        estimate_composition(ref, ref, classes_band=0)
    with pytest.raises(EpitomeError, match="cannot open|not a readable"):
        estimate_composition(str(tmp_path / "missing.tif"), ref)
    many = write(tmp_path / "many.tif", np.arange(1, 401, dtype=np.int16).reshape(20, 20), dtype=gdal.GDT_Int16)
    cls20 = write(tmp_path / "cls20.tif", np.ones((20, 20), np.uint8))
    with pytest.raises(EpitomeError, match="label raster"):
        estimate_composition(many, cls20)


def test_cancel(tmp_path):
    lab = np.ones((40, 4), np.uint8)
    ref = write(tmp_path / "r.tif", lab)
    with pytest.raises(Cancelled):
        estimate_composition(ref, ref, fb=Recorder(cancel_after=2), rows_per_block=4)


def test_sample_class_codes(tmp_path):
    cls = np.full((50, 60), 41, np.uint8)
    cls[:, 30:] = 82
    cls[0, 0] = 0
    p = write(tmp_path / "c.tif", cls, nodata=0)
    assert sample_class_codes(p) == [41, 82]
    assert sample_class_codes(p, max_side=10) == [41, 82]


# --------------------------------------------------------------------------------------------
# The CSV colour row
# --------------------------------------------------------------------------------------------

def test_colour_row_round_trip():
    c = parse_composition("class,water,forest\ncolour,#0000ff,#00FF00\n1,1,0\n2,1,3\n")
    assert c.colours == [(0, 0, 255), (0, 255, 0)]
    text = c.to_csv(comments=["made by a test"])
    assert text.splitlines()[:3] == ["# made by a test", "class,water,forest", "colour,#0000ff,#00ff00"]
    back = parse_composition(text)
    assert back.colours == c.colours and back.labels == c.labels
    np.testing.assert_allclose(back.matrix, c.matrix)


def test_colour_row_variants():
    c = parse_composition("class,water,x\n1,1,0\nColor,,ff8000\n")  # anywhere after the header, empty = default
    assert c.colours == [(0, 112, 255), (255, 128, 0)]
    assert parse_composition("class,water,forest\n1,1,0\n").colours == [(0, 112, 255), (38, 115, 0)]


@pytest.mark.parametrize("text,needle", [
    ("class,a,b\ncolour,#12345,#000000\n1,1,0\n", "line 2"),
    ("class,a,b\ncolour,red,#000000\n1,1,0\n", "'red'"),
    ("class,a,b\n1,1,0\ncolour,#000000,#000000\ncolour,#000000,#000000\n", "line 4"),
    ("class,a,b\ncolour,#000000,#000000,#000000\n1,1,0\n", "at most 2"),
])
def test_bad_colour_rows(text, needle):
    with pytest.raises(CompositionError) as e:
        parse_composition(text, source="t.csv")
    assert needle in str(e.value) and "t.csv" in str(e.value)


def test_builtin_table_unchanged_and_round_trips():
    c = load_composition(None)
    back = parse_composition(c.to_csv())
    assert back.labels == c.labels and back.class_codes == c.class_codes and back.colours == c.colours
    np.testing.assert_allclose(back.matrix, c.matrix, atol=1e-6)


# --------------------------------------------------------------------------------------------
# Tables typed by a person
# --------------------------------------------------------------------------------------------

def test_table_to_composition():
    c = composition_from_table([41, 82], ["forest", "field"], [["3", "1"], ["", 2]], colours=[(1, 2, 3)])
    np.testing.assert_allclose(c.matrix, [[0.75, 0.25], [0, 1]])
    assert c.colours[0] == (1, 2, 3) and c.colours[1] == (163, 255, 115)


@pytest.mark.parametrize("codes,labels,cells,needle,where", [
    ([41], ["a", "b"], [["-1", "2"]], "negative", (0, 0)),
    ([41], ["a", "b"], [["1", "abc"]], "not a number", (0, 1)),
    ([41, 82], ["a", "b"], [["1", "0"], ["0", ""]], "every value is zero", (1, -1)),
    ([41], ["a", "A"], [["1", "0"]], "used twice", (-1, 1)),
    ([41], ["a", " "], [["1", "0"]], "no name", (-1, 1)),
    ([41, 41], ["a"], [["1"], ["1"]], "appears twice", (1, -1)),
    ([], ["a"], [], "no class row", (-1, -1)),
    ([41], [], [[]], "no label", (-1, -1)),
])
def test_table_problems(codes, labels, cells, needle, where):
    probs = check_table(codes, labels, cells, class_name=class_display_name)
    assert probs and needle in probs[0].message and (probs[0].row, probs[0].col) == where
    with pytest.raises(CompositionError, match=needle):
        composition_from_table(codes, labels, cells)


def test_messages_name_nlcd_classes_and_normalise():
    probs = check_table([41], ["a"], [["x"]], class_name=class_display_name)
    assert "41 - Deciduous forest" in probs[0].message
    assert class_display_name(7) == "7"
    assert normalise_rows([["1", "3"], ["0", ""], ["x", "1"]]) == [[0.25, 0.75], [0.0, 0.0], [None, 1.0]]
