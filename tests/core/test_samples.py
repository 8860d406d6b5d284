"""io/samples.py: reference samples (points, polygons, a label raster) as labelled pixels of the grid."""

import numpy as np
import pytest
from osgeo import gdal, ogr, osr

from algorithms.errors import EpitomeError
from algorithms.io.raster import grid_of
from algorithms.io.samples import label_lookup, parse_label, read_reference_samples

LABELS = ["water", "forest", "field", "built"]
GT = (500000.0, 1.0, 0, 4300000.0, 0, -1.0)  # 1 m pixels, 100 x 80


def grid(tmp_path, geotiff):
    return grid_of(gdal.Open(geotiff(tmp_path / "img.tif", np.zeros((80, 100), np.uint8), GT)))


def vector(path, features, geom_type=ogr.wkbPoint, epsg=32618, field_type=ogr.OFTInteger):
    """A GeoPackage with a field 'label': features = [(wkt, value), ...]."""
    drv = ogr.GetDriverByName("GPKG")
    ds = drv.CreateDataSource(str(path))
    srs = osr.SpatialReference()
    srs.ImportFromEPSG(epsg)
    lyr = ds.CreateLayer("ref", srs, geom_type)
    lyr.CreateField(ogr.FieldDefn("label", field_type))
    for wkt, value in features:
        f = ogr.Feature(lyr.GetLayerDefn())
        f.SetGeometry(ogr.CreateGeometryFromWkt(wkt))
        if value is not None:
            f.SetField("label", value)
        lyr.CreateFeature(f)
    ds = None
    return str(path)


def test_parse_label_codes_and_names():
    lk = label_lookup(LABELS)
    assert parse_label(1, lk) == 0 and parse_label(4, lk) == 3 and parse_label("3", lk) == 2
    assert parse_label(2.0, lk) == 1 and parse_label("2.0", lk) == 1
    assert parse_label(" Forest ", lk) == 1 and parse_label("BUILT", lk) == 3
    assert parse_label(0, lk) is None and parse_label(5, lk) is None and parse_label(2.5, lk) is None
    assert parse_label("trees", lk) is None and parse_label(None, lk) is None


def test_points_become_their_pixels(tmp_path, geotiff):
    g = grid(tmp_path, geotiff)
    path = vector(tmp_path / "p.gpkg", [("POINT (500010.5 4299990.5)", 2),   # col 10, row 9
                                        ("POINT (500099.9 4299920.1)", 4),   # col 99, row 79
                                        ("POINT (500200 4299990)", 1)])      # outside: left out
    s = read_reference_samples(path, g, LABELS, "label")
    assert s.cols.tolist() == [10, 99] and s.rows.tolist() == [9, 79] and s.labels.tolist() == [1, 3]
    assert len(np.unique(s.groups)) == 2
    assert any("outside" in n for n in s.notes)


def test_points_in_another_crs_are_transformed(tmp_path, geotiff):
    g = grid(tmp_path, geotiff)
    src, dst = osr.SpatialReference(), osr.SpatialReference()
    src.ImportFromEPSG(32618)
    dst.ImportFromEPSG(4326)
    for s in (src, dst):
        s.SetAxisMappingStrategy(osr.OAMS_TRADITIONAL_GIS_ORDER)
    lon, lat, _ = osr.CoordinateTransformation(src, dst).TransformPoint(500040.5, 4299950.5)
    path = vector(tmp_path / "p.gpkg", [(f"POINT ({lon} {lat})", "field")], epsg=4326, field_type=ogr.OFTString)
    s = read_reference_samples(path, g, LABELS, "label")
    assert (s.cols.tolist(), s.rows.tolist(), s.labels.tolist()) == ([40], [49], [2])


def test_polygons_give_the_pixels_they_contain_in_one_group(tmp_path, geotiff):
    g = grid(tmp_path, geotiff)
    poly = "POLYGON ((500010 4299990, 500020 4299990, 500020 4299985, 500010 4299985, 500010 4299990))"
    s = read_reference_samples(vector(tmp_path / "a.gpkg", [(poly, 3)], ogr.wkbPolygon), g, LABELS, "label")
    assert len(s) == 50  # 10 x 5 pixels
    assert set(s.cols.tolist()) == set(range(10, 20)) and set(s.rows.tolist()) == set(range(10, 15))
    assert set(s.labels.tolist()) == {2} and len(np.unique(s.groups)) == 1


def test_unknown_values_are_listed(tmp_path, geotiff):
    g = grid(tmp_path, geotiff)
    path = vector(tmp_path / "p.gpkg", [("POINT (500010 4299990)", "trees"), ("POINT (500011 4299990)", "2")],
                  field_type=ogr.OFTString)
    with pytest.raises(EpitomeError, match="'trees'.*codes 1..4 or the label names"):
        read_reference_samples(path, g, LABELS, "label")


def test_missing_field_and_no_field_say_which_fields_exist(tmp_path, geotiff):
    g = grid(tmp_path, geotiff)
    path = vector(tmp_path / "p.gpkg", [("POINT (500010 4299990)", 1)])
    with pytest.raises(EpitomeError, match="REFERENCE_FIELD 'class' is not a field.*label"):
        read_reference_samples(path, g, LABELS, "class")
    with pytest.raises(EpitomeError, match="choose its label field.*label"):
        read_reference_samples(path, g, LABELS, "")


def test_nothing_on_the_grid_is_an_error(tmp_path, geotiff):
    g = grid(tmp_path, geotiff)
    path = vector(tmp_path / "p.gpkg", [("POINT (600000 4299990)", 1)])
    with pytest.raises(EpitomeError, match="no labelled sample inside"):
        read_reference_samples(path, g, LABELS, "label")


def test_label_raster_pixels_and_subsampling(tmp_path, geotiff):
    g = grid(tmp_path, geotiff)
    lab = np.zeros((80, 100), np.uint8)
    lab[:10, :20] = 2
    lab[50:, 50:] = 4
    path = geotiff(tmp_path / "ref.tif", lab, GT)
    s = read_reference_samples(path, g, LABELS)
    assert len(s) == 200 + 1500 and np.bincount(s.labels, minlength=4).tolist() == [0, 200, 0, 1500]
    assert np.all(lab[s.rows, s.cols] == s.labels + 1)
    small = read_reference_samples(path, g, LABELS, max_samples=100, seed=3)
    assert len(small) == 100 and np.all(lab[small.rows, small.cols] == small.labels + 1)
    assert np.array_equal(small.rows, read_reference_samples(path, g, LABELS, max_samples=100, seed=3).rows)


def test_label_raster_must_be_one_band_of_label_codes(tmp_path, geotiff):
    g = grid(tmp_path, geotiff)
    with pytest.raises(EpitomeError, match="3 bands.*one band of label codes"):
        read_reference_samples(geotiff(tmp_path / "rgb.tif", np.ones((3, 80, 100), np.uint8), GT), g, LABELS)
    with pytest.raises(EpitomeError, match="codes \\[7\\] that are not labels"):
        read_reference_samples(geotiff(tmp_path / "bad.tif", np.full((80, 100), 7, np.uint8), GT), g, LABELS)
    with pytest.raises(EpitomeError, match="fractional"):
        read_reference_samples(geotiff(tmp_path / "f.tif", np.full((80, 100), 1.5, np.float32), GT), g, LABELS)
