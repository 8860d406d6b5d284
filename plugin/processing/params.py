"""Processing parameters declared once: name, type, default, bounds, title, help, advanced flag.

An algorithm lists its parameters as a tuple of declarations (PARAMETERS); base.EpitomeAlgorithm adds
them in initAlgorithm, reads the core's dataclasses from them (`core_params`) and checks them in
checkParameterValues. Parameters bound to a field of a core dataclass (CoreNumber, CoreChoice) take
their default, their number type and their range from that field's `bounded()` declaration
(algorithms/params.py), so the spin box, the check and the core agree by construction.

Help texts are plain text: they are HTML-escaped here (QGIS renders help as HTML, so a '<' would
otherwise swallow the rest of the text).
"""

import html
from dataclasses import dataclass, fields
from typing import Any, Callable, Optional, Sequence, Tuple

from qgis.core import (QgsProcessingParameterDefinition, QgsProcessingParameterEnum, QgsProcessingParameterFile,
                       QgsProcessingParameterNumber, QgsProcessingParameterRasterDestination)

from ...algorithms.params import bounds_of, default_of


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


def _finish(p, help_text, advanced):
    p.setHelp(plain_help(help_text))
    if advanced:
        p.setFlags(p.flags() | QgsProcessingParameterDefinition.FlagAdvanced)
    return p


@dataclass
class CoreNumber:
    """A number bound to `core.field` (a dataclass field declared with algorithms.params.bounded()).

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

    def __post_init__(self):
        self.name = self.name or self.field.upper()
        self.default = default_of(self.core, self.field)

    def definition(self, tr):
        values = [v for v, _ in self.options]
        p = QgsProcessingParameterEnum(self.name, tr(self.title), options=[tr(t) for _, t in self.options],
                                       defaultValue=values.index(self.default))
        return _finish(p, tr(self.help), self.advanced)

    def value(self, alg, parameters, context):
        if parameters.get(self.name) in (None, ""):
            return self.default
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
