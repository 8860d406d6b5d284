"""Names and colours of the codes of a class or label raster, from what travels with the file: the band's
category names and colour table (GeoTIFF, ERDAS, ...), a raster attribute table with a name column, or a
QGIS style (.qml) beside it (paletted or discrete pseudo-colour renderer). No QGIS needed.

    legend = read_legend("truth.tif")      # {code: LegendEntry(name, colour)}; {} when the file says nothing
    legend[3].name, legend[3].colour       # 'field', (163, 255, 115)   (either may be None)
"""

from __future__ import annotations

import os
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from typing import Dict, Optional, Tuple

from osgeo import gdal

gdal.UseExceptions()  # as the other io modules

# category names that only say "nothing here" (not worth showing as a class name)
_PLACEHOLDERS = {"", "nodata", "no data", "none", "unclassified", "0"}
_NAME_COLUMNS = ("class_name", "classname", "name", "class", "label", "category", "description", "land_cover")


@dataclass
class LegendEntry:
    name: Optional[str] = None
    colour: Optional[Tuple[int, int, int]] = None


def _merge(legend: Dict[int, LegendEntry], code: int, name=None, colour=None, override=False):
    e = legend.setdefault(int(code), LegendEntry())
    if name and (override or not e.name):
        e.name = str(name).strip()
    if colour is not None and (override or e.colour is None):
        e.colour = tuple(int(v) for v in tuple(colour)[:3])


def _hex(text: str) -> Optional[Tuple[int, int, int]]:
    t = (text or "").strip().lstrip("#")
    if len(t) >= 6:
        try:
            return int(t[0:2], 16), int(t[2:4], 16), int(t[4:6], 16)
        except ValueError:
            return None
    return None


def qml_path(raster_path: str) -> str:
    """The style QGIS loads by default for a raster: same name, .qml."""
    return os.path.splitext(raster_path)[0] + ".qml"


def read_qml_legend(path: str, band: int = 1) -> Dict[int, LegendEntry]:
    """Codes, names and colours of a paletted (or exact/discrete pseudo-colour) renderer in a .qml file;
    {} when the file is missing, unreadable or styles the raster otherwise."""
    out: Dict[int, LegendEntry] = {}
    try:
        root = ET.parse(path).getroot()
    except (OSError, ET.ParseError):
        return out
    for renderer in root.iter("rasterrenderer"):
        if str(renderer.get("band", "1")) != str(band):
            continue
        kind = renderer.get("type", "")
        if kind == "paletted":
            entries = renderer.iter("paletteEntry")
        elif kind == "singlebandpseudocolor":
            shader = renderer.find(".//colorrampshader")
            if shader is None or shader.get("colorRampType", "") not in ("EXACT", "DISCRETE"):
                continue
            entries = shader.iter("item")
        else:
            continue
        for e in entries:
            try:
                value = float(e.get("value", ""))
            except ValueError:
                continue
            if value != int(value):
                continue
            label = (e.get("label") or "").strip()
            _merge(out, int(value), None if label.lower() in _PLACEHOLDERS or label == str(int(value)) else label,
                   _hex(e.get("color", "")))
    return out


def _rat_names(b) -> Dict[int, str]:
    rat = b.GetDefaultRAT()
    if rat is None or rat.GetRowCount() == 0:
        return {}
    cols = {rat.GetNameOfCol(i).strip().lower(): i for i in range(rat.GetColumnCount())}
    value_col = next((cols[c] for c in ("value", "code", "class_value") if c in cols), None)
    name_col = next((cols[c] for c in _NAME_COLUMNS if c in cols and rat.GetTypeOfCol(cols[c]) == gdal.GFT_String),
                    None)
    if name_col is None:
        return {}
    out = {}
    for r in range(rat.GetRowCount()):
        code = rat.GetValueAsInt(r, value_col) if value_col is not None else r
        name = rat.GetValueAsString(r, name_col).strip()
        if name and name.lower() not in _PLACEHOLDERS:
            out[int(code)] = name
    return out


def read_legend(path: str, band: int = 1, max_codes: int = 4096, dataset=None) -> Dict[int, LegendEntry]:
    """{code: LegendEntry} from the raster's category names, attribute table and colour table, completed
    (and overridden: it is what the user sees in QGIS) by a .qml beside the file. `dataset`: the raster
    already open (path then only locates the .qml; may be ''). Never raises: a file that cannot be read
    gives {}."""
    legend: Dict[int, LegendEntry] = {}
    if not path and dataset is None:
        return legend
    try:
        ds = dataset if dataset is not None else gdal.Open(str(path))
        if ds is not None and 1 <= band <= ds.RasterCount:
            b = ds.GetRasterBand(band)
            b.GetDescription()  # GDAL 3.6 GTiff: category names are read with the band metadata
            names = b.GetRasterCategoryNames() or []
            ct = b.GetRasterColorTable()
            nodata = b.GetNoDataValue()
            for code, name in enumerate(names[:max_codes]):
                if name and name.strip().lower() not in _PLACEHOLDERS and code != nodata:
                    _merge(legend, code, name)
            for code, name in _rat_names(b).items():
                _merge(legend, code, name)
            if ct is not None:
                # colours only for codes with a name, or for small tables (a full 256-entry default
                # palette says nothing about which codes are used)
                n = min(ct.GetCount(), max_codes)
                for code in range(n):
                    if code == nodata or (code not in legend and n > 64):
                        continue
                    e = ct.GetColorEntry(code)
                    if e is not None and (code in legend or tuple(e[:3]) != (0, 0, 0)):
                        _merge(legend, code, None, e[:3])
    except (RuntimeError, AttributeError, TypeError):
        legend = {}
    if path:
        for code, e in read_qml_legend(qml_path(str(path)), band).items():
            _merge(legend, code, e.name, e.colour, override=True)
    return legend


def legend_names(legend: Dict[int, LegendEntry]) -> Dict[int, str]:
    return {c: e.name for c, e in legend.items() if e.name}
