"""Where the composition editor's tables and layers come from: the file behind a layer or path, the project's
layer of a file, a label legend, the reference layer to estimate from, where a table is saved by default."""

import os
import tempfile

from qgis.core import QgsProcessingUtils, QgsProject, QgsRasterLayer

from ...algorithms.composition.table import DEFAULT_COMPOSITION_CSV
from .. import settings
from ..layer_files import layer_file


def layer_source(layer_or_path):
    """A Processing value for a raster: the file of a GDAL layer, a layer id otherwise, or a path as given."""
    if isinstance(layer_or_path, QgsRasterLayer):
        if layer_or_path.providerType() == "gdal":
            return layer_file(layer_or_path)
        return layer_or_path.id()
    return layer_or_path


def is_temporary_folder(folder):
    """A folder of Processing's temporary outputs (this session's QgsProcessingUtils.tempFolder(), or any
    processing_* folder in the system's temporary folder): a file saved there vanishes with the session."""
    folder = os.path.normcase(os.path.abspath(folder))
    try:
        own = os.path.normcase(os.path.abspath(QgsProcessingUtils.tempFolder()))
        if folder == own or folder.startswith(own + os.sep):
            return True
    except Exception:  # noqa: BLE001
        pass
    tmp = os.path.normcase(os.path.abspath(tempfile.gettempdir()))
    if folder.startswith(tmp + os.sep):
        return any(part.startswith("processing") for part in folder[len(tmp) + 1:].split(os.sep))
    return False


def default_composition_path(near=None, imagery=None):
    """A suggested file for a new table, shown in "Save to" (the user confirms it with OK): an unused name in the
    imagery's folder, else the class layer's (`near`) folder, the folder last saved into, the project's folder or
    the home folder - the first writable one that is not a temporary folder of Processing (a class layer made by
    an algorithm lives in /tmp/processing_...: the file would vanish with QGIS); '' when none is (the user then
    chooses)."""
    stem = "composition"
    if near:
        stem = os.path.splitext(os.path.basename(near))[0] + "_composition"
    folders = [os.path.dirname(os.path.abspath(imagery)) if imagery else "",
               os.path.dirname(os.path.abspath(near)) if near else "", settings.last_folder(),
               QgsProject.instance().absolutePath() or "", os.path.expanduser("~")]
    for folder in folders:
        if folder and settings.writable_folder(folder) and not is_temporary_folder(folder):
            return settings.unused_path(folder, stem, ".csv")
    return ""


def editable_file(path):
    """True when `path` is a user's CSV that OK may save over (exists, writable, not the built-in table)."""
    return bool(path) and os.path.isfile(path) and os.access(path, os.W_OK) and \
        bool(os.stat(path).st_mode & 0o222) and os.path.abspath(path) != os.path.abspath(DEFAULT_COMPOSITION_CSV)


def layer_legend(layer):
    """{code: (name, (r, g, b))} of a raster layer: its file's legend (io.label_legend) completed by the
    paletted style it has in the project (what the user sees)."""
    from qgis.core import QgsPalettedRasterRenderer

    from ...algorithms.io.label_legend import read_legend

    out = {}
    if isinstance(layer, QgsRasterLayer):
        if layer.providerType() == "gdal":
            for code, e in read_legend(layer_file(layer)).items():
                out[code] = (e.name, e.colour)
        r = layer.renderer()
        if isinstance(r, QgsPalettedRasterRenderer):
            for c in r.classes():
                code = int(c.value)
                name = (c.label or "").strip()
                out[code] = (name if name and name != str(code) else (out.get(code, (None, None))[0]),
                             (c.color.red(), c.color.green(), c.color.blue()))
    elif isinstance(layer, str) and layer:
        for code, e in read_legend(layer).items():
            out[code] = (e.name, e.colour)
    return out


def estimate_label_codes(path, est):
    """The reference code of each column of an estimated table (its CSV says them in a comment; else 1..L)."""
    try:
        with open(path, encoding="utf-8") as fh:
            for line in fh:
                if line.startswith("# label codes of the columns:"):
                    codes = [int(v) for v in line.split(":", 1)[1].replace(",", " ").split()]
                    if len(codes) == est.n_labels:
                        return codes
    except (OSError, ValueError):
        pass
    return list(range(1, est.n_labels + 1))


def guess_reference(classes_layer, imagery_layer=None):
    """A label layer to count on: the finest single-band integer raster of the project that is neither the class
    layer nor the imagery; None when there is none (the user chooses)."""
    from .lsr_wizard import is_categorical, pixel_metres

    skip = {lyr.id() for lyr in (classes_layer, imagery_layer) if isinstance(lyr, QgsRasterLayer)}
    cands = [lyr for lyr in QgsProject.instance().mapLayers().values() if isinstance(lyr, QgsRasterLayer)
             and lyr.isValid() and lyr.id() not in skip and is_categorical(lyr)]
    return min(cands, key=pixel_metres) if cands else None


def project_layer(layer_or_path):
    """The project's raster layer for a layer or a file path (None when the project has none)."""
    if isinstance(layer_or_path, QgsRasterLayer) or layer_or_path is None:
        return layer_or_path
    want = os.path.normcase(os.path.abspath(str(layer_or_path)))
    for lyr in QgsProject.instance().mapLayers().values():
        if isinstance(lyr, QgsRasterLayer) and lyr.providerType() == "gdal" and \
                os.path.normcase(os.path.abspath(layer_file(lyr))) == want:
            return lyr
    return None


def raster_file(layer_or_path):
    """The file of a GDAL raster layer ("" for another provider), or a path as given."""
    if isinstance(layer_or_path, QgsRasterLayer):
        return layer_file(layer_or_path) if layer_or_path.providerType() == "gdal" else ""
    return str(layer_or_path or "")
