"""Composition tables p(label | coarse class): loading, validation, the shipped NLCD table.

CSV format (architecture.md): header `class,<label 1>,<label 2>,...`, one row per coarse class code.
Rows are renormalised on load. Label codes in output rasters are 1..L in the column order.
"""

from __future__ import annotations

import csv
import io
import os
from dataclasses import dataclass, field
from typing import List, Optional, Sequence, Tuple

import numpy as np

from .errors import EpitomeError

RESOURCES = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "resources")
DEFAULT_COMPOSITION_CSV = os.path.join(RESOURCES, "compositions", "nlcd_4class.csv")

# Colours for common label names; anything else gets a colour from PALETTE.
KNOWN_COLOURS = {
    "water": (0, 112, 255),
    "forest": (38, 115, 0),
    "tree canopy": (38, 115, 0),
    "trees": (38, 115, 0),
    "field": (163, 255, 115),
    "low vegetation": (163, 255, 115),
    "grass": (163, 255, 115),
    "built": (230, 0, 0),
    "impervious": (230, 0, 0),
    "barren": (210, 180, 140),
    "shrub": (205, 170, 102),
    "wetland": (120, 180, 220),
}
PALETTE = [(31, 119, 180), (255, 127, 14), (44, 160, 44), (214, 39, 40), (148, 103, 189),
           (140, 86, 75), (227, 119, 194), (127, 127, 127), (188, 189, 34), (23, 190, 207)]

NLCD_NAMES = {
    11: "Open water", 12: "Perennial ice/snow", 21: "Developed, open space", 22: "Developed, low intensity",
    23: "Developed, medium intensity", 24: "Developed, high intensity", 31: "Barren land",
    41: "Deciduous forest", 42: "Evergreen forest", 43: "Mixed forest", 51: "Dwarf scrub", 52: "Shrub/scrub",
    71: "Grassland/herbaceous", 72: "Sedge/herbaceous", 73: "Lichens", 74: "Moss", 81: "Pasture/hay",
    82: "Cultivated crops", 90: "Woody wetlands", 95: "Emergent herbaceous wetlands",
}


class CompositionError(EpitomeError):
    pass


@dataclass
class Composition:
    """p(label | class): class_codes [Cc], labels [L], matrix [Cc, L] with rows summing to 1."""

    class_codes: List[int]
    labels: List[str]
    matrix: np.ndarray
    colours: List[Tuple[int, int, int]] = field(default_factory=list)
    source: str = ""

    def __post_init__(self):
        if not self.colours:
            self.colours = default_colours(self.labels)

    @property
    def n_labels(self) -> int:
        return len(self.labels)

    def class_index(self, codes: np.ndarray, nodata_codes: Sequence[int] = (), unknown_as_nodata=False) -> np.ndarray:
        """Map class codes to row indices; -1 for nodata. Unknown codes raise unless asked otherwise."""
        codes = np.asarray(codes)
        out = np.full(codes.shape, -1, dtype=np.int64)
        known = np.zeros(codes.shape, dtype=bool)
        for i, c in enumerate(self.class_codes):
            m = codes == c
            out[m] = i
            known |= m
        nod = np.zeros(codes.shape, dtype=bool)
        for c in nodata_codes:
            nod |= codes == c
        out[nod] = -1
        unknown = ~known & ~nod
        if unknown.any() and not unknown_as_nodata:
            raise CompositionError(
                "Coarse class codes {} are not in the composition table {}. Add rows for them to the "
                "CSV, or set the option to treat unknown codes as nodata.".format(
                    ", ".join(str(int(v)) for v in np.unique(codes[unknown])[:50]), self.source or "(built-in)"))
        return out

    def to_csv(self) -> str:
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\n")
        w.writerow(["class"] + list(self.labels))
        for c, row in zip(self.class_codes, self.matrix):
            w.writerow([c] + ["%.6g" % v for v in row])
        return buf.getvalue()

    def baseline_labels(self, class_index: np.ndarray) -> np.ndarray:
        """Naive baseline: argmax p(label | class) of each pixel's class; 1..L, 0 where index < 0."""
        best = self.matrix.argmax(1) + 1
        out = np.zeros(class_index.shape, dtype=np.uint8)
        ok = class_index >= 0
        out[ok] = best[class_index[ok]]
        return out


def default_colours(labels: Sequence[str]) -> List[Tuple[int, int, int]]:
    out = []
    for i, name in enumerate(labels):
        out.append(KNOWN_COLOURS.get(name.strip().lower(), PALETTE[i % len(PALETTE)]))
    return out


def parse_composition(text: str, source: str = "") -> Composition:
    """Parse and validate composition CSV text. Errors name the line and what to change."""
    where = source or "composition CSV"
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    numbered = [(i + 1, r) for i, r in enumerate(rows) if r and any(cell.strip() for cell in r)
                and not r[0].strip().startswith("#")]
    if not numbered:
        raise CompositionError(f"{where}: the file is empty. Expected a header 'class,<label 1>,<label 2>,...'.")
    line, header = numbered[0]
    header = [h.strip() for h in header]
    if len(header) < 2 or header[0].lower() not in ("class", "code", "class_code"):
        raise CompositionError(
            f"{where}, line {line}: bad header {','.join(header)!r}. The first line must be "
            "'class,<label 1>,<label 2>,...' (first column named 'class').")
    labels = header[1:]
    if any(not lab for lab in labels):
        raise CompositionError(f"{where}, line {line}: a label name in the header is empty.")
    if len(set(l.lower() for l in labels)) != len(labels):
        raise CompositionError(f"{where}, line {line}: label names in the header must be unique.")
    if len(labels) > 254:
        raise CompositionError(f"{where}, line {line}: at most 254 labels are supported.")
    codes, mat = [], []
    for line, r in numbered[1:]:
        r = [c.strip() for c in r]
        if len(r) != len(header):
            raise CompositionError(
                f"{where}, line {line}: {len(r)} values, expected {len(header)} (class code + {len(labels)} labels).")
        try:
            code_f = float(r[0])
        except ValueError:
            raise CompositionError(f"{where}, line {line}: class code {r[0]!r} is not a number.")
        if code_f != int(code_f):
            raise CompositionError(f"{where}, line {line}: class code {r[0]!r} must be an integer.")
        code = int(code_f)
        if code in codes:
            raise CompositionError(f"{where}, line {line}: class code {code} appears twice.")
        vals = []
        for name, v in zip(labels, r[1:]):
            try:
                x = float(v)
            except ValueError:
                raise CompositionError(f"{where}, line {line}: value {v!r} for label {name!r} is not a number.")
            if not np.isfinite(x) or x < 0:
                raise CompositionError(f"{where}, line {line}: value {v!r} for label {name!r} must be a finite "
                                       "number >= 0.")
            vals.append(x)
        if sum(vals) <= 0:
            raise CompositionError(f"{where}, line {line}: every value of class {code} is zero; each class needs "
                                   "at least one label with a positive share.")
        codes.append(code)
        mat.append(vals)
    if not codes:
        raise CompositionError(f"{where}: no class rows after the header.")
    m = np.asarray(mat, dtype=np.float64)
    m /= m.sum(1, keepdims=True)
    return Composition(codes, labels, m.astype(np.float32), source=source)


def load_composition(path: Optional[str] = None) -> Composition:
    """Load a composition CSV; None or '' loads the shipped NLCD -> water/forest/field/built table."""
    path = path or DEFAULT_COMPOSITION_CSV
    if not os.path.isfile(path):
        raise CompositionError(f"Composition file {path!r} does not exist. Choose an existing CSV, or leave the "
                               "parameter empty for the built-in NLCD table.")
    try:
        with open(path, encoding="utf-8-sig") as fh:
            text = fh.read()
    except (OSError, UnicodeDecodeError) as e:
        raise CompositionError(f"Cannot read composition file {path!r}: {e}. It must be a UTF-8 CSV text file.")
    return parse_composition(text, source=path)
