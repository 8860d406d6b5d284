"""Shared glue: feedback adapter, layer paths, torch checks, the base algorithm class."""

import os
import re
from typing import Sequence

from qgis.core import QgsProcessingAlgorithm, QgsProcessingException
from qgis.PyQt.QtCore import QCoreApplication
from qgis.PyQt.QtGui import QIcon

from ...algorithms.errors import EpitomeError
from ...algorithms.feedback import Feedback
from .. import ICONS
from .params import add_all, core_params


class QgsFeedbackAdapter(Feedback):
    def __init__(self, feedback):
        self.fb = feedback

    def info(self, msg):
        self.fb.pushInfo(msg)

    def warn(self, msg):
        if hasattr(self.fb, "pushWarning"):
            self.fb.pushWarning(msg)
        else:
            self.fb.reportError(msg, fatalError=False)

    def progress(self, percent):
        self.fb.setProgress(percent)

    def is_canceled(self):
        return self.fb.isCanceled()


def require_torch():
    from ...algorithms.device import torch_status

    ok, msg = torch_status()
    if not ok:
        raise QgsProcessingException(msg)


def device_setting(value):
    """DEVICE parameter -> device: 'auto' (or empty) follows Settings › Options › Epitome."""
    from ..settings import resolve_device

    return resolve_device(value)


def block_elements_setting(default):
    """Logits held at once by label super-resolution, from the memory budget of the settings."""
    from ...algorithms.lsr.params import block_elements_for_budget
    from ..settings import memory_budget_mb

    return block_elements_for_budget(memory_budget_mb(), default)


def raster_path(layer, name):
    """File path of a GDAL raster layer, or a clear error."""
    if layer is None:
        raise QgsProcessingException(f"{name}: no raster layer given, or it could not be loaded.")
    if layer.providerType() != "gdal":
        raise QgsProcessingException(
            f"{name}: layer '{layer.name()}' comes from the '{layer.providerType()}' provider; Epitome reads "
            "file rasters (GeoTIFF etc.). Save it first with Raster > Conversion > Translate.")
    src = layer.source().split("|")[0]
    return src


class EpitomeAlgorithm(QgsProcessingAlgorithm):
    """Base of the Epitome algorithms: parameters declared once (PARAMETERS, plugin/processing/params.py),
    plain outputs as (name, title, QgsProcessingOutput class) in OUTPUTS, early checks in check()."""

    icon_name = "epitome.svg"
    group_id = "lsr"  # the toolbox group: "lsr" (label super-resolution) or "epitomes" (trained epitomes)
    PARAMETERS: Sequence = ()
    OUTPUTS: Sequence = ()

    def tr(self, text):
        return QCoreApplication.translate(self.__class__.__name__, text)

    def initAlgorithm(self, config=None):  # noqa: N802
        add_all(self, self.PARAMETERS, self.OUTPUTS)

    def core_params(self, parameters, context, core, **extra):
        """The core dataclass `core` filled from the parameters declared for it (plus `extra` fields)."""
        return core_params(self, self.PARAMETERS, parameters, context, core, **extra)

    def checkParameterValues(self, parameters, context):  # noqa: N802
        ok, msg = super().checkParameterValues(parameters, context)
        if not ok:
            return ok, msg
        try:
            self.check(parameters, context)
        except (ValueError, EpitomeError) as e:
            return False, str(e)
        return True, ""

    def check(self, parameters, context):
        """Checks beyond types and ranges, before the run: raise ValueError or EpitomeError saying what to change."""

    def createInstance(self):  # noqa: N802
        return self.__class__()

    def postProcessAlgorithm(self, context, feedback):  # noqa: N802
        from .styling import drop_unset_outputs

        drop_unset_outputs(context)  # batch mode: optional outputs left empty are no layers to load
        return {}

    def icon(self):
        return QIcon(os.path.join(ICONS, self.icon_name))

    def group(self):
        # the base class's own context (pylupdate5 files these calls under EpitomeAlgorithm)
        titles = {"lsr": QCoreApplication.translate("EpitomeAlgorithm", "Label super-resolution"),
                  "epitomes": QCoreApplication.translate("EpitomeAlgorithm", "Epitomes")}
        return titles[self.group_id]

    def groupId(self):  # noqa: N802
        return self.group_id

    def helpUrl(self):  # noqa: N802
        return "https://github.com/epitome-qgis/epitome#readme"


def check_device_name(value):
    """ValueError for a DEVICE value that is not auto, cpu, cuda, cuda:N or mps."""
    from ...algorithms.device import is_device_name

    dev = value or "auto"
    if not is_device_name(dev):
        raise ValueError(f"DEVICE {dev!r} is not one of auto, cpu, cuda, cuda:N (N = GPU index) or mps.")


def parse_int_list(text, name):
    """'1, 2,3' -> [1, 2, 3]; '' -> []. Raises ValueError with a message naming the parameter."""
    if text is None:
        return []
    if isinstance(text, (list, tuple)):
        items = [str(v) for v in text]
    else:
        items = [t for t in re.split(r"[,;\s]+", str(text).strip()) if t]
    out = []
    for t in items:
        try:
            v = float(t)
        except ValueError:
            raise ValueError(f"{name}: {t!r} is not a whole number; give comma-separated numbers, e.g. 1,2,3.")
        if v != int(v):
            raise ValueError(f"{name}: {t!r} is not a whole number; give comma-separated numbers, e.g. 1,2,3.")
        out.append(int(v))
    return out
