"""Label rasters styled for any GIS: a colour table and category names in the GeoTIFF, and a QGIS .qml
(paletted renderer) beside it, written without QGIS."""

from __future__ import annotations

import os
from typing import Sequence, Tuple
from xml.sax.saxutils import quoteattr

from osgeo import gdal

from .outputs import write_text


def set_label_style(ds: gdal.Dataset, labels: Sequence[str], colours: Sequence[Tuple[int, int, int]]):
    """Colour table and category names on band 1 (code 0 = nodata, codes 1..L = labels)."""
    band = ds.GetRasterBand(1)
    ct = gdal.ColorTable()
    ct.SetColorEntry(0, (0, 0, 0, 0))
    for i, c in enumerate(colours):
        ct.SetColorEntry(i + 1, (int(c[0]), int(c[1]), int(c[2]), 255))
    band.SetRasterColorTable(ct)
    band.SetRasterColorInterpretation(gdal.GCI_PaletteIndex)
    band.SetRasterCategoryNames(["nodata"] + list(labels))
    band.SetDescription("label")


def qml_for_labels(labels: Sequence[str], colours: Sequence[Tuple[int, int, int]]) -> str:
    """A QGIS paletted-renderer style (.qml) for a label raster (codes 1..L), written without QGIS."""
    return qml_for_palette([(i + 1, c, name) for i, (name, c) in enumerate(zip(labels, colours))])


def qml_for_palette(entries_in: Sequence[Tuple[int, Tuple[int, int, int], str]]) -> str:
    """A paletted-renderer .qml from (value, (r, g, b), label) entries."""

    entries = "\n".join(
        '        <paletteEntry value="{}" color="#{:02x}{:02x}{:02x}" alpha="255" label={}/>'.format(
            int(v), c[0], c[1], c[2], quoteattr(name)) for v, c, name in entries_in)
    return f"""<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>
<qgis version="3.22" styleCategories="AllStyleCategories">
  <pipe>
    <rasterrenderer type="paletted" band="1" opacity="1" alphaBand="-1" nodataColor="">
      <rasterTransparency/>
      <minMaxOrigin><limits>None</limits><extent>WholeRaster</extent><statAccuracy>Estimated</statAccuracy>
        <cumulativeCutLower>0.02</cumulativeCutLower><cumulativeCutUpper>0.98</cumulativeCutUpper>
        <stdDevFactor>2</stdDevFactor></minMaxOrigin>
      <colorPalette>
{entries}
      </colorPalette>
      <colorramp type="randomcolors" name="[source]"/>
    </rasterrenderer>
    <brightnesscontrast brightness="0" contrast="0" gamma="1"/>
    <huesaturation saturation="0" colorizeOn="0" grayscaleMode="0" colorizeStrength="100"/>
    <rasterresampler maxOversampling="2"/>
  </pipe>
  <blendMode>0</blendMode>
</qgis>
"""


def write_qml(raster_path: str, labels, colours):
    """The .qml style beside a label raster (same name, .qml), written atomically."""

    write_text(os.path.splitext(raster_path)[0] + ".qml", qml_for_labels(labels, colours), "label style (.qml)")
