"""Processing parameters declared once: name, type, default, bounds, title, help, advanced flag.

An algorithm lists its parameters as a tuple of declarations (PARAMETERS); base.EpitomeAlgorithm adds
them in initAlgorithm, reads the core's dataclasses from them (`core_params`) and checks them in
checkParameterValues. Parameters bound to a field of a core dataclass (CoreNumber, CoreChoice) take
their default, their number type and their range from that field's `bounded()` declaration
(algorithms/bounds.py), so the spin box, the check and the core agree by construction.

Help texts are plain text without '<', '>' or '&' (tests/qgis/test_parameters.py): qgis_process prints them as
they are and the dialogs render them as HTML, so they read the same in both places. They are still
HTML-escaped here, so a slip can never swallow the rest of a text in the dialog.

Values given on the command line are checked with messages that give the allowed range and what the
parameter does (`CoreNumber.problem`, `number_problem`); enums accept the index or the option's name
(`CoreChoice.index_of`: FUSION=3 or FUSION=smooth).
"""

import html
import math
from dataclasses import dataclass, fields
from typing import Any, Callable, Optional, Sequence, Tuple

from qgis.core import (
    QgsProcessingParameterDefinition,
    QgsProcessingParameterEnum,
    QgsProcessingParameterFile,
    QgsProcessingParameterNumber,
    QgsProcessingParameterRasterDestination,
    QgsProcessingParameterString,
)

from ...algorithms.bounds import Bounds, bounds_of, default_of
from ...algorithms.distributed.cluster import DASK_INSTALL_HINT


def plain_help(text: str) -> str:
    """Help text shown as HTML by QGIS: escaped so '<', '>' and '&' are shown as typed."""
    return html.escape(text, quote=False)


@dataclass
class Declared:
    """A parameter built by `make(name, title)` (rasters, files, outputs, ...); its help and flags are added."""

    name: str
    title: str
    help: str
    make: Callable[[str, str], QgsProcessingParameterDefinition]
    advanced: bool = False

    def definition(self, tr) -> QgsProcessingParameterDefinition:
        p = self.make(self.name, tr(self.title))
        return _finish(p, tr(self.help), self.advanced)


def first_sentence(text: str) -> str:
    """The first sentence of a help text: up to the first ';', or '.' before a capital letter, outside parentheses
    (so 'e.g. NLCD' and 'Eqs. 7-9' do not end it); without the full stop."""
    t = " ".join(str(text).split())
    depth = 0
    for i, ch in enumerate(t):
        depth += (ch == "(") - (ch == ")")
        if depth == 0 and ch in ".;" and (i + 1 == len(t) or (t[i + 1] == " " and (
                ch == ";" or t[i + 2:i + 3].isupper()))):
            return t[:i]
    return t.rstrip(".")


def explain(name: str, title: str, help_text: str) -> str:
    """' TILE_SIZE is the tile size (pixels, ...): side of the square tiles ...' - what a parameter does, for messages
    about its value."""
    what = first_sentence(help_text)
    return f" {name} = {title}: {what[:1].lower() + what[1:]}." if what else f" {name} = {title}."


def _number(raw) -> Optional[float]:
    """A value given for a number parameter as a float; None when it is not a finite number."""
    if isinstance(raw, bool):
        return None
    try:
        v = float(raw.strip() if isinstance(raw, str) else raw)
    except (TypeError, ValueError):
        return None
    return v if math.isfinite(v) else None


def _given(raw) -> bool:
    """A plain value was given (not left out, not empty, not an expression or a model's child output)."""
    return raw is not None and raw != "" and isinstance(raw, (int, float, str))


def number_problem(definition, raw, tr=lambda t: t) -> Optional[str]:
    """The message for a value a QgsProcessingParameterNumber refuses: the allowed range and what the parameter
    does (QGIS would say only 'Incorrect parameter value'); None when it is acceptable."""
    if not _given(raw):
        return None
    name = definition.name()
    lo, hi = definition.minimum(), definition.maximum()
    lo = None if lo is None or lo <= -1e300 or lo <= -(2 ** 31) else lo
    hi = None if hi is None or hi >= 1e300 or hi >= 2 ** 31 - 1 else hi

    b = Bounds(lo, hi)
    v = _number(raw)
    whole = definition.dataType() == QgsProcessingParameterNumber.Integer
    text = explain(name, definition.description(), definition.help())
    if v is None:
        return f"{name} must be a number {b.describe()} (got {raw!r})." + text
    if whole and v != int(v):
        return f"{name} must be a whole number {b.describe()} (got {raw})." + text
    msg = b.problem(name, int(v) if whole else v)
    return msg + text if msg else None


def _finish(p, help_text, advanced):
    p.setHelp(plain_help(help_text))
    if advanced:
        p.setFlags(p.flags() | QgsProcessingParameterDefinition.FlagAdvanced)
    return p


@dataclass
class CoreNumber:
    """A number bound to `core.field` (a dataclass field declared with algorithms.bounds.bounded()).

    optional: the parameter may be left out (models saved before it existed): the field's default is used.
    zero_is_none: 0 (or empty) means None ("automatic") in the core."""

    core: type
    field: str
    title: str
    help: str
    advanced: bool = False
    optional: bool = False
    zero_is_none: bool = False
    name: str = ""

    def __post_init__(self):
        b = bounds_of(self.core, self.field)
        self.name = self.name or b.name or self.field.upper()
        self.bounds = b
        self.default = default_of(self.core, self.field)
        types = {f.name: f.type for f in fields(self.core)}
        self.is_int = "int" in str(types[self.field]) and "float" not in str(types[self.field])

    def definition(self, tr):
        b = self.bounds
        kind = QgsProcessingParameterNumber.Integer if self.is_int else QgsProcessingParameterNumber.Double
        kwargs = {}
        if b.low is not None:
            kwargs["minValue"] = b.low
        if b.high is not None:
            kwargs["maxValue"] = b.high
        p = QgsProcessingParameterNumber(self.name, tr(self.title), kind, self.default,
                                         optional=self.optional or b.allow_none, **kwargs)
        return _finish(p, tr(self.help), self.advanced)

    def value(self, alg, parameters, context):
        if parameters.get(self.name) in (None, ""):
            return self.default  # left out (an older model) or empty (automatic when the default is None)
        v = alg.parameterAsInt(parameters, self.name, context) if self.is_int else \
            alg.parameterAsDouble(parameters, self.name, context)
        if self.zero_is_none and not v:
            return None
        return v

    def problem(self, raw, tr=lambda t: t) -> Optional[str]:
        """The message for a value given outside the field's range (with what the parameter does); None when it is
        valid or left out."""
        if not _given(raw):
            return None
        b = self.bounds
        v = _number(raw)
        text = explain(self.name, tr(self.title), tr(self.help))
        if v is None:
            return f"{self.name} must be a number {b.describe()} (got {raw!r})" + \
                (f": {b.hint}." if b.hint else ".") + text
        if self.zero_is_none and v == 0:
            return None
        if self.is_int and v != int(v):
            return f"{self.name} must be a whole number {b.describe()} (got {raw})" + \
                (f": {b.hint}." if b.hint else ".") + text
        msg = b.problem(self.name, int(v) if self.is_int else v)
        return msg + text if msg else None


@dataclass
class CoreChoice:
    """An enum bound to `core.field` whose values are strings: options = ((value, title), ...)."""

    core: type
    field: str
    title: str
    help: str
    options: Sequence[Tuple[str, str]] = ()
    advanced: bool = False
    name: str = ""
    optional: bool = False  # may be left out (models saved before it existed): the field's default is used

    def __post_init__(self):
        self.name = self.name or self.field.upper()
        self.default = default_of(self.core, self.field)
        self.help = self.help + " " + self.accepted()

    def definition(self, tr):
        values = [v for v, _ in self.options]
        p = QgsProcessingParameterEnum(self.name, tr(self.title), options=[tr(t) for _, t in self.options],
                                       defaultValue=values.index(self.default), optional=self.optional)
        return _finish(p, tr(self.help), self.advanced)

    def accepted(self) -> str:
        """How a value is given outside the dialog (qgis_process, scripts): the index or the name."""
        return "On the command line and in scripts give the index or the name: {}.".format(
            ", ".join(f"{i} or {v}" for i, (v, _) in enumerate(self.options)))

    def index_of(self, raw) -> int:
        """The option index of a value given as an index (3, '3') or as the option's name ('smooth', any case);
        ValueError listing both forms otherwise."""
        names = [v for v, _ in self.options]
        if isinstance(raw, str):
            t = raw.strip()
            if t.lower() in [n.lower() for n in names]:
                return [n.lower() for n in names].index(t.lower())
            raw = t
        v = None if isinstance(raw, bool) else _number(raw)
        if v is not None and v == int(v) and 0 <= int(v) < len(names):
            return int(v)
        raise ValueError(f"{self.name} must be one of {', '.join(names)} (or its index, 0 to {len(names) - 1}); got "
                         f"{raw!r}." + explain(self.name, self.title, self.help))

    def value(self, alg, parameters, context):
        raw = parameters.get(self.name)
        if raw in (None, ""):
            return self.default
        if isinstance(raw, (str, int, float)) and not isinstance(raw, bool):
            return self.options[self.index_of(raw)][0]
        return self.options[alg.parameterAsEnum(parameters, self.name, context)][0]


def core_fields(declarations, core) -> Any:
    """The declarations bound to the dataclass `core`."""
    return [d for d in declarations if isinstance(d, (CoreNumber, CoreChoice)) and d.core is core]


def core_params(alg, declarations, parameters, context, core, **extra):
    """An instance of the core dataclass `core` from the parameters bound to it (plus `extra` fields)."""
    values = {d.field: d.value(alg, parameters, context) for d in core_fields(declarations, core)}
    values.update(extra)
    return core(**values)


def add_all(alg, declarations: Sequence, outputs: Optional[Sequence[Tuple[str, str, Any]]] = None):
    """initAlgorithm's whole body: every declared parameter, then the plain outputs."""
    for d in declarations:
        alg.addParameter(d.definition(alg.tr))
    for name, title, cls in outputs or ():
        alg.addOutput(cls(name, alg.tr(title)))


def composition_parameter(name, title):
    """The COMPOSITION file parameter (a CSV path) with the composition editor's Edit... button in dialogs."""
    p = QgsProcessingParameterFile(name, title, behavior=QgsProcessingParameterFile.File, extension="csv",
                                   optional=True)
    # The algorithm dialog shows an "Edit..." button (plugin/gui/composition_wrapper.py); the value stays a plain
    # file path. Named by a string, so qgis_process never imports the GUI module.
    p.setMetadata({"widget_wrapper": {
        "class": __package__.rsplit(".", 1)[0] + ".gui.composition_wrapper.CompositionWidgetWrapper"}})
    return p


def optional_raster_output(name, title):
    """An optional raster destination, off unless the user asks for it."""
    return QgsProcessingParameterRasterDestination(name, title, optional=True, createByDefault=False)


# The per-pixel outputs beside a label map, the same for every algorithm that writes one.
PROBABILITIES = Declared("PROBABILITIES", "Label probabilities",
                         "Optional: L float32 bands, p(label) per pixel (-1 = nodata).", optional_raster_output)
CONFIDENCE = Declared("CONFIDENCE", "Confidence",
                      "Optional: one float32 band, the largest label probability max_l p(label) (1/L = no idea, "
                      "1 = sure; -1 = nodata).", optional_raster_output)


# Where a whole-raster algorithm runs (algorithms/distributed/cluster.py; docs/SCALING.md).
SCHEDULER = Declared(
    "SCHEDULER", "Dask scheduler (empty = this process)",
    "Where the tiles run. Empty (default): in this process, as usual. local:N - a Dask cluster of N worker "
    "processes on this machine (one per core). tcp://host:8786 - the address of a running Dask scheduler "
    "(dask scheduler, then dask worker tcp://host:8786 on each machine, with the plugin and its dependency folder on "
    "PYTHONPATH). Workers read the inputs by their paths, so on a cluster the inputs must be on a shared file "
    "system or GDAL virtual paths (/vsis3/, /vsicurl/). Finished tiles are kept in a hidden folder beside the "
    "output: running the same command again after an interruption resumes. Needs dask and distributed: "
    + DASK_INSTALL_HINT + " See docs/SCALING.md.",
    lambda n, t: QgsProcessingParameterString(n, t, optional=True), advanced=True)
