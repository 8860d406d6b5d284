"""Names and colours read from a label raster: colour table, category names, attribute table, .qml beside it."""

import numpy as np
from osgeo import gdal

from algorithms.io.label_legend import read_legend, read_qml_legend
from algorithms.io.label_style import qml_for_labels

from rasters import write_raster


def raster(path, with_table=False, names=None, rat=None):
    """A 4 x 4 label raster (codes 0..3, no georeference) with a colour table, category names and an attribute
    table as asked."""
    table = {0: (0, 0, 0, 0), 1: (10, 20, 30), 2: (40, 50, 60), 3: (70, 80, 90)} if with_table else None
    write_raster(path, np.array([[1, 2], [3, 0]], np.uint8).repeat(2, 0).repeat(2, 1), None, None, names=names,
                 colours=table)
    if rat:
        ds = gdal.Open(str(path), gdal.GA_Update)
        t = gdal.RasterAttributeTable()
        t.CreateColumn("Value", gdal.GFT_Integer, gdal.GFU_MinMax)
        t.CreateColumn("Class_Name", gdal.GFT_String, gdal.GFU_Name)
        for i, (v, n) in enumerate(rat):
            t.SetValueAsInt(i, 0, v)
            t.SetValueAsString(i, 1, n)
        ds.GetRasterBand(1).SetDefaultRAT(t)
        ds = None
    return str(path)


def test_plain_raster_says_nothing(tmp_path):
    assert read_legend(raster(tmp_path / "a.tif")) == {}
    assert read_legend(str(tmp_path / "missing.tif")) == {}


def test_colour_table_and_category_names(tmp_path):
    leg = read_legend(raster(tmp_path / "a.tif", True, ["nodata", "water", "trees", "crops"]))
    assert {c: (e.name, e.colour) for c, e in leg.items()} == {
        1: ("water", (10, 20, 30)), 2: ("trees", (40, 50, 60)), 3: ("crops", (70, 80, 90))}


def test_attribute_table_names(tmp_path):
    leg = read_legend(raster(tmp_path / "a.tif", rat=[(1, "Open water"), (3, "Cropland")]))
    assert leg[1].name == "Open water" and leg[3].name == "Cropland" and 2 not in leg


def test_qml_beside_the_raster_wins(tmp_path):
    path = raster(tmp_path / "a.tif", True, ["nodata", "water", "trees", "crops"])
    (tmp_path / "a.qml").write_text(qml_for_labels(["Lakes", "Woods"], [(1, 1, 1), (2, 2, 2)]))
    leg = read_legend(path)
    assert (leg[1].name, leg[1].colour) == ("Lakes", (1, 1, 1))
    assert (leg[2].name, leg[2].colour) == ("Woods", (2, 2, 2))
    assert leg[3].name == "crops"  # not in the style: the file's own name stays
    assert read_qml_legend(str(tmp_path / "a.qml"), band=2) == {}


def test_estimated_labels_take_the_reference_names(tmp_path):
    from algorithms.composition.estimate import (
        estimate_composition,  # noqa: F401 (the public entry)
        label_names_and_colours,
    )

    path = raster(tmp_path / "ref.tif")
    (tmp_path / "ref.qml").write_text(qml_for_labels(["background", "building", "road"],
                                                     [(200, 200, 200), (255, 0, 0), (90, 90, 90)]))
    names, colours = label_names_and_colours(gdal.Open(path), 1, [1, 2, 3, 4])
    assert names == ["background", "building", "road", "label 4"]
    assert colours[:3] == [(200, 200, 200), (255, 0, 0), (90, 90, 90)]
