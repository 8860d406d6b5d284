"""Shared glue: feedback adapter, layer paths, torch checks, the base algorithm class."""

import os
import re
import time
from typing import Sequence

from qgis.core import (
    QgsApplication,
    QgsProcessingAlgorithm,
    QgsProcessingException,
    QgsProcessingParameterFile,
    QgsProcessingParameterFileDestination,
    QgsProcessingParameterMapLayer,
    QgsProcessingParameterMultipleLayers,
    QgsProcessingParameterNumber,
    QgsProcessingParameterRasterDestination,
    QgsProcessingParameterRasterLayer,
)
from qgis.PyQt.QtCore import QCoreApplication, QThread
from qgis.PyQt.QtGui import QIcon

from ...algorithms import device as devices  # (looked up at call time: tests replace torch_status)
from ...algorithms.distributed.cluster import parse_scheduler, require_dask
from ...algorithms.errors import Cancelled, EpitomeError
from ...algorithms.feedback import Feedback
from ...algorithms.io.outputs import check_distinct_paths
from ...algorithms.io.raster import no_sidecars, sidecars_off_until_run, sidecars_on
from ...algorithms.lsr.params import block_elements_for_budget
from .. import ICONS
from ..layer_files import layer_file
from ..settings import memory_budget_mb, resolve_device
from .declarations import CoreChoice, CoreNumber, add_all, core_params, number_problem
from .styling import drop_unset_outputs

PUMP_INTERVAL_S = 0.2  # how often a command-line run lets qgis_process see Ctrl+C


def command_line_main_thread() -> bool:
    """True when this code runs on the main thread of qgis_process: the algorithm then blocks the event loop through
    which qgis_process turns Ctrl+C (SIGINT) into feedback.cancel()."""

    app = QCoreApplication.instance()
    return QgsApplication.platform() == "qgis_process" and app is not None and QThread.currentThread() == app.thread()


class QgsFeedbackAdapter(Feedback):
    """The core's Feedback on a QgsProcessingFeedback. In qgis_process, asking whether the run is cancelled also lets
    the event loop deliver Ctrl+C (at most every PUMP_INTERVAL_S): without it SIGINT waited for the run's end."""

    def __init__(self, feedback):
        self.fb = feedback
        self._pump = command_line_main_thread()
        self._pumped = 0.0

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
        if self._pump:
            now = time.monotonic()
            if now - self._pumped >= PUMP_INTERVAL_S:
                self._pumped = now
                QCoreApplication.processEvents()  # qgis_process's SIGINT watcher calls feedback.cancel() from here
        return self.fb.isCanceled()


def require_torch():
    """QgsProcessingException with how to install PyTorch when it is missing."""
    ok, msg = devices.torch_status()
    if not ok:
        raise QgsProcessingException(msg)


def run_job(run, job, feedback):
    """run(job, feedback) with the core's errors as QgsProcessingException (cancel: no output left)."""
    try:
        return run(job, QgsFeedbackAdapter(feedback))
    except Cancelled:
        raise QgsProcessingException("Cancelled by the user: no output was written.")
    except (EpitomeError, ValueError) as e:
        raise QgsProcessingException(str(e))


def device_setting(value):
    """DEVICE parameter -> device: 'auto' (or empty) follows Settings › Options › Epitome."""

    return resolve_device(value)


def block_elements_setting(default):
    """Logits held at once by label super-resolution, from the memory budget of the settings."""

    return block_elements_for_budget(memory_budget_mb(), default)


def quiet_inputs_of_a_command_line_run():
    """`qgis_process run epitome:...` loads every raster input as a QGIS layer (its check for missing parameters)
    before any code of the algorithm runs, and QGIS computes statistics for the layer's renderer, which GDAL would
    write beside the input (.aux.xml). In that one case GDAL's auxiliary files stay off from the plugin's start until
    the algorithm starts (EpitomeAlgorithm.prepareAlgorithm); any other process is left as it is."""

    if QgsApplication.platform() != "qgis_process":
        return
    args = [str(a) for a in QCoreApplication.arguments()[1:]]
    if "run" in args and any(a.startswith("epitome:") for a in args[args.index("run") + 1:args.index("run") + 3]):
        sidecars_off_until_run()


def memory_budget():
    """The memory budget of Settings > Options > Epitome in MiB (0 = automatic: half of the machine's memory)."""

    return memory_budget_mb()


def raster_path(layer, name):
    """File path of a GDAL raster layer, or a clear error."""
    if layer is None:
        raise QgsProcessingException(f"{name}: no raster layer given, or it could not be loaded.")
    if layer.providerType() != "gdal":
        raise QgsProcessingException(
            f"{name}: layer '{layer.name()}' comes from the '{layer.providerType()}' provider; Epitome reads "
            "file rasters (GeoTIFF etc.). Save it first with Raster > Conversion > Translate.")
    return layer_file(layer)


class EpitomeAlgorithm(QgsProcessingAlgorithm):
    """Base of the Epitome algorithms: parameters declared once (PARAMETERS, plugin/processing/declarations.py),
    plain outputs as (name, title, QgsProcessingOutput class) in OUTPUTS, early checks in check()."""

    icon_name = "epitome.svg"
    needs_torch = False  # True: canExecute says how to install PyTorch when it is missing
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

    def declared_value(self, parameters, context, name):
        """The value of the CoreNumber / CoreChoice declared as `name`, read as the core reads it (left out or empty:
        the field's default, e.g. None for an automatic TILE_SIZE - parameterAsInt would give 0)."""
        return next(d for d in self.PARAMETERS if d.name == name).value(self, parameters, context)

    # Inputs are loaded as QGIS layers without GDAL writing statistics (.aux.xml) beside them.
    def parameterAsRasterLayer(self, parameters, name, context):  # noqa: N802
        with no_sidecars():
            return super().parameterAsRasterLayer(parameters, name, context)

    def parameterAsLayerList(self, parameters, name, context):  # noqa: N802
        with no_sidecars():
            return super().parameterAsLayerList(parameters, name, context)

    def checkParameterValues(self, parameters, context):  # noqa: N802
        """Values in range (with the range and what the parameter does), enums by index or name, QGIS's own checks,
        the algorithm's check(), and no output over an input or over another output."""
        try:
            parameters = self.normalised(parameters)
        except ValueError as e:
            return False, str(e)
        with no_sidecars():
            ok, msg = super().checkParameterValues(parameters, context)
        if not ok:
            return ok, msg
        try:
            check_distinct_paths(*self.file_paths(parameters, context))
            self.check(parameters, context)
        except (ValueError, EpitomeError) as e:
            return False, str(e)
        return True, ""

    def normalised(self, parameters):
        """A copy of `parameters` in which enums given by name are given by index (what QGIS's own check accepts);
        ValueError with the allowed values, or with the range and what the parameter does, for a value QGIS
        would refuse with 'Incorrect parameter value'."""
        out = dict(parameters)
        declared = {d.name: d for d in self.PARAMETERS}
        for p in self.parameterDefinitions():
            raw, d = out.get(p.name()), declared.get(p.name())
            if isinstance(d, CoreChoice):
                if isinstance(raw, (str, int, float)) and raw != "" and not isinstance(raw, bool):
                    out[p.name()] = d.index_of(raw)
                continue
            msg = d.problem(raw, self.tr) if isinstance(d, CoreNumber) else \
                number_problem(p, raw, self.tr) if isinstance(p, QgsProcessingParameterNumber) else None
            if msg:
                raise ValueError(msg)
        return out

    def file_paths(self, parameters, context):
        """([(name, path)] of the files read, [(name, path)] of the files written) by a run with these parameters."""
        inputs, outputs = [], []
        for p in self.parameterDefinitions():
            name = p.name()
            if parameters.get(name) in (None, ""):
                continue
            try:
                if isinstance(p, QgsProcessingParameterRasterDestination):
                    outputs.append((name, self.parameterAsOutputLayer(parameters, name, context)))
                elif isinstance(p, QgsProcessingParameterFileDestination):
                    outputs.append((name, self.parameterAsFileOutput(parameters, name, context)))
                elif isinstance(p, QgsProcessingParameterRasterLayer):
                    layer = self.parameterAsRasterLayer(parameters, name, context)
                    if layer is not None:
                        inputs.append((name, layer_file(layer)))
                elif isinstance(p, QgsProcessingParameterMapLayer):
                    layer = self.parameterAsLayer(parameters, name, context)
                    if layer is not None:
                        inputs.append((name, layer_file(layer)))
                elif isinstance(p, QgsProcessingParameterMultipleLayers):
                    inputs += [(name, layer_file(lyr))
                               for lyr in self.parameterAsLayerList(parameters, name, context)]
                elif isinstance(p, QgsProcessingParameterFile):
                    inputs.append((name, self.parameterAsFile(parameters, name, context)))
            except QgsProcessingException:
                continue  # a value QGIS cannot resolve is reported by its own check
        return inputs, outputs

    def prepareAlgorithm(self, parameters, context, feedback):  # noqa: N802
        """Every run path (toolbox, qgis_process, models, the plugin's dialogs) passes here before any work."""
        sidecars_on()  # the inputs are open (quiet_inputs_of_a_command_line_run); the outputs get their .aux.xml
        try:
            check_distinct_paths(*self.file_paths(parameters, context))
        except EpitomeError as e:
            raise QgsProcessingException(str(e))
        return True

    def check(self, parameters, context):
        """Checks beyond types and ranges, before the run: raise ValueError or EpitomeError saying what to change."""

    def canExecute(self):  # noqa: N802
        return devices.torch_status() if self.needs_torch else super().canExecute()

    def createInstance(self):  # noqa: N802
        return self.__class__()

    def postProcessAlgorithm(self, context, feedback):  # noqa: N802

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
    dev = value or "auto"
    if not devices.is_device_name(dev):
        raise ValueError(f"DEVICE {dev!r} is not one of auto, cpu, cuda, cuda:N (N = GPU index) or mps.")


def check_scheduler(value):
    """SCHEDULER: well formed, and dask installed when it asks for a cluster (EpitomeError saying what to do;
    an unreachable address is found when the run starts, within seconds)."""
    spec = parse_scheduler(value)
    if spec.distributed:
        require_dask()
    return spec


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
