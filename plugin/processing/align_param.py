"""ALIGN, ALIGNED_CLASSES and the offset outputs, declared once for every algorithm that reads a coarse map
(selfepitomiclsr, epitomiclsr, baselines, estimatecomposition) and for aligncoarse. Glue only: the estimate is
algorithms/registration."""

import contextlib

from qgis.core import QgsProcessingException, QgsProcessingOutputNumber, QgsProcessingOutputString

from ...algorithms.errors import Cancelled, EpitomeError
from ...algorithms.registration.apply import registered, registered_pairs
from ...algorithms.registration.estimate import ALIGN_MODES, AlignParams
from .base import QgsFeedbackAdapter
from .declarations import CoreChoice, CoreNumber, Declared, optional_raster_output
from .styling import style_coarse_output

ALIGN_TITLES = {
    "off": "Off: use the coarse map where it lies",
    "estimate": "Estimate and report the offset only",
    "correct": "Estimate, and correct the offset when the data support it (default)",
}

SIGN = ("The offset is where the coarse map lies relative to the imagery (a map moved 15 m east is reported as "
        "+15 m east); the correction moves it back by as much.")

ALIGN = CoreChoice(
    AlignParams, "mode", "Registration of the coarse map (ALIGN)",
    "Coarse maps rarely sit exactly on the imagery (NLCD comes from Landsat: 10-15 m off is ordinary; old maps are "
    "off by tens of metres). Correct (default): the offset of the coarse map is estimated from the data (the shift "
    "that makes its classes most consistent with the imagery, within 2 coarse cells) and the map is moved back "
    "only when the data support it: the shift beats no shift in 90% of bootstrap replicates, is at least a quarter "
    "of a cell, and is not at the edge of the search. A map already in place stays in place. Estimate: the offset "
    "is reported (log and outputs) but not applied. Off: nothing is estimated. " + SIGN,
    options=tuple((m, ALIGN_TITLES[m]) for m in ALIGN_MODES), advanced=False, optional=True, name="ALIGN")

MAX_SHIFT = CoreNumber(AlignParams, "max_shift_cells", "Largest offset searched (coarse cells)",
                       "The offset is searched within this many coarse cells in each direction (2 = 60 m for 30 m "
                       "cells). An offset found at the edge of the search is not corrected.", advanced=True,
                       optional=True)

ALIGNED_CLASSES = Declared(
    "ALIGNED_CLASSES", "Corrected coarse map",
    "Optional: the coarse map as the run used it, a GeoTIFF copy with its origin moved back by the offset (the map "
    "as given when no correction was made). " + SIGN, optional_raster_output)

PARAMETERS = (ALIGN, MAX_SHIFT, ALIGNED_CLASSES)

OUTPUTS = (("SHIFT_EAST", "Offset of the coarse map found: metres east", QgsProcessingOutputNumber),
           ("SHIFT_NORTH", "Offset of the coarse map found: metres north", QgsProcessingOutputNumber),
           ("SHIFT_UNCERTAINTY", "Uncertainty of the offset (metres, bootstrap standard deviation)",
            QgsProcessingOutputNumber),
           ("SHIFT_APPLIED", "1 when the coarse map was moved back by the offset, 0 otherwise",
            QgsProcessingOutputNumber),
           ("ALIGN_REPORT", "Registration of the coarse map: what was found and done", QgsProcessingOutputString))


def _on_a_cluster(alg, parameters, context) -> bool:
    """SCHEDULER set: the job's tiles run in other processes, which cannot read this process's in-memory files."""
    return alg.parameterDefinition("SCHEDULER") is not None and bool(
        alg.parameterAsString(parameters, "SCHEDULER", context))


@contextlib.contextmanager
def align_run(alg, parameters, context, feedback, imagery, classes, **kw):
    """The core's registered() for this run: yields (the class raster path to read, the Registration or None with
    ALIGN off); the core's errors as QgsProcessingException; ALIGNED_CLASSES styled. With SCHEDULER set, the moved
    map is one the Dask workers can open (portable)."""
    kw.setdefault("portable", _on_a_cluster(alg, parameters, context))
    out = aligned_output(alg, parameters, context)
    try:
        params = alg.core_params(parameters, context, AlignParams)
        params.validate()
        with registered(imagery, classes, None, QgsFeedbackAdapter(feedback), params, corrected=out, **kw) as r:
            yield r
    except Cancelled:
        raise QgsProcessingException("Cancelled by the user: no output was written.")
    except (EpitomeError, ValueError) as e:
        raise QgsProcessingException(str(e))
    if out:
        layer = alg.parameterAsRasterLayer(parameters, "CLASSES", context)
        style_coarse_output(context, out, alg.tr("{} aligned").format(layer.name() if layer else "coarse map"))


@contextlib.contextmanager
def align_run_pairs(alg, parameters, context, feedback, imagery, classes, **kw):
    """align_run for several (imagery, classes) pairs (epitomiclsr): yields (class paths, Registrations)."""
    kw.setdefault("portable", _on_a_cluster(alg, parameters, context))
    try:
        params = alg.core_params(parameters, context, AlignParams)
        params.validate()
        with registered_pairs(imagery, classes, QgsFeedbackAdapter(feedback), params, **kw) as r:
            yield r
    except Cancelled:
        raise QgsProcessingException("Cancelled by the user: no output was written.")
    except (EpitomeError, ValueError) as e:
        raise QgsProcessingException(str(e))


def pairs_results(regs, parameters, context, alg) -> dict:
    """The offset outputs of several pairs: the numbers of the first, ALIGN_REPORT one line per pair."""
    res = align_results(regs[0] if regs else None, parameters, context, alg)
    res.pop("ALIGNED_CLASSES")
    if regs and regs[0] is not None:
        res["ALIGN_REPORT"] = "\n".join(f"Pair {i + 1}: {r.describe()}" for i, r in enumerate(regs))
    return res


def aligned_output(alg, parameters, context):
    """The ALIGNED_CLASSES path, or None when it is not asked for."""
    if parameters.get("ALIGNED_CLASSES") in (None, ""):
        return None
    return alg.parameterAsOutputLayer(parameters, "ALIGNED_CLASSES", context) or None


def align_results(reg, parameters, context, alg) -> dict:
    """The offset outputs of a run (NaN with ALIGN off or when nothing could be estimated)."""
    nan = float("nan")
    out = aligned_output(alg, parameters, context)
    if reg is None:
        return {"SHIFT_EAST": nan, "SHIFT_NORTH": nan, "SHIFT_UNCERTAINTY": nan, "SHIFT_APPLIED": 0,
                "ALIGN_REPORT": "ALIGN off: the coarse map was used where it lies.", "ALIGNED_CLASSES": out}
    est = reg.estimated
    return {"SHIFT_EAST": reg.east_m if est else nan, "SHIFT_NORTH": reg.north_m if est else nan,
            "SHIFT_UNCERTAINTY": reg.uncertainty_m if est else nan, "SHIFT_APPLIED": int(reg.applied),
            "ALIGN_REPORT": reg.describe(), "ALIGNED_CLASSES": out}
