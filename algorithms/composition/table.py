"""Composition tables p(label | coarse class): loading, validation, the shipped NLCD table.

CSV format: header `class,<label 1>,<label 2>,...`, one row per coarse class code.
Rows are renormalised on load. Label codes in output rasters are 1..L in the column order.
Optional: one row whose first cell is `colour` (or `color`) followed by one `#rrggbb` per label (an empty
cell keeps that label's default colour); files without it get default colours. Lines starting with `#`
are comments. Files from spreadsheet programs that separate columns with ';' (or tabs) are read too; with
those separators a decimal comma (0,25) is accepted. Files are always written with ','.
"""

from __future__ import annotations

import csv
import io
import os
import re
from dataclasses import dataclass, field
from typing import List, Optional, Sequence, Tuple

import numpy as np

from .. import RESOURCES
from ..errors import EpitomeError
from ..io.outputs import write_text

DEFAULT_COMPOSITION_CSV = os.path.join(RESOURCES, "compositions", "nlcd_4class.csv")

# Colours for common label names (NLCD / Chesapeake / DeepGlobe / LoveDA vocabularies); any other name gets the
# PALETTE colour most unlike the colours already taken (default_colours), so no two labels look alike.
KNOWN_COLOURS = {
    "water": (0, 112, 255),
    "forest": (38, 115, 0),
    "tree canopy": (38, 115, 0),
    "trees": (38, 115, 0),
    "field": (163, 255, 115),
    "low vegetation": (163, 255, 115),
    "grass": (163, 255, 115),
    "agriculture": (255, 211, 127),
    "cropland": (255, 211, 127),
    "rangeland": (205, 230, 100),
    "built": (230, 0, 0),
    "impervious": (230, 0, 0),
    "urban": (230, 0, 0),
    "building": (200, 0, 60),
    "buildings": (200, 0, 60),
    "road": (90, 90, 90),
    "roads": (90, 90, 90),
    "background": (225, 225, 225),
    "barren": (210, 180, 140),
    "shrub": (205, 170, 102),
    "wetland": (120, 180, 220),
}
PALETTE = [(31, 119, 180), (255, 127, 14), (44, 160, 44), (214, 39, 40), (148, 103, 189),
           (140, 86, 75), (227, 119, 194), (127, 127, 127), (188, 189, 34), (23, 190, 207),
           (255, 225, 25), (0, 0, 128), (128, 0, 0), (170, 255, 195), (240, 50, 230), (0, 128, 128),
           (250, 190, 212), (128, 128, 0), (255, 215, 180), (70, 240, 240)]
# Two label colours closer than this (CIE76 delta E in Lab) are taken for the same colour at a glance.
DISTINCT_COLOURS = 25.0

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
    nodata_codes: List[int] = field(default_factory=list)  # class codes that mean "no class" (a `nodata` row)
    notes: List[str] = field(default_factory=list)  # warnings found while reading (rows far from summing to 1)

    def __post_init__(self):
        if not self.colours:
            self.colours = default_colours(self.labels)

    @property
    def n_labels(self) -> int:
        return len(self.labels)

    def class_index(self, codes: np.ndarray, nodata_codes: Sequence[int] = (), unknown_as_nodata=False) -> np.ndarray:
        """Map class codes to row indices; -1 for nodata (the table's own nodata codes and `nodata_codes`).
        Unknown codes raise unless asked otherwise."""
        codes = np.asarray(codes)
        nodata_codes = list(self.nodata_codes) + list(nodata_codes)
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

    def to_csv(self, comments: Sequence[str] = ()) -> str:
        """CSV text: optional `# comment` lines, the header, the `colour` row, one row per class."""
        buf = io.StringIO()
        for c in comments:
            for ln in str(c).splitlines() or [""]:
                buf.write("# " + ln + "\n")
        w = csv.writer(buf, lineterminator="\n")
        w.writerow(["class"] + list(self.labels))
        w.writerow(["colour"] + [colour_to_hex(c) for c in self.colours])
        if self.nodata_codes:
            w.writerow(["nodata"] + [int(c) for c in self.nodata_codes])
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


def _lab(rgb: Sequence[int]) -> Tuple[float, float, float]:
    """sRGB (0..255) -> CIE Lab (D65): distances between colours as people see them."""
    def lin(v):
        v = v / 255.0
        return v / 12.92 if v <= 0.04045 else ((v + 0.055) / 1.055) ** 2.4

    r, g, b = (lin(float(v)) for v in tuple(rgb)[:3])
    xyz = (0.4124 * r + 0.3576 * g + 0.1805 * b) / 0.95047, 0.2126 * r + 0.7152 * g + 0.0722 * b, \
        (0.0193 * r + 0.1192 * g + 0.9505 * b) / 1.08883

    def f(t):
        return t ** (1.0 / 3.0) if t > 216.0 / 24389.0 else (24389.0 / 27.0 * t + 16.0) / 116.0

    fx, fy, fz = (f(t) for t in xyz)
    return 116.0 * fy - 16.0, 500.0 * (fx - fy), 200.0 * (fy - fz)


def colour_distance(a: Sequence[int], b: Sequence[int]) -> float:
    """Perceptual distance of two RGB colours (CIE76 delta E; about 2 is just noticeable)."""
    la, lb = _lab(a), _lab(b)
    return float(sum((x - y) ** 2 for x, y in zip(la, lb)) ** 0.5)


def distinct_colour(taken: Sequence[Tuple[int, int, int]]) -> Tuple[int, int, int]:
    """The PALETTE colour farthest from every colour taken (the first palette colour when none is)."""
    if not taken:
        return PALETTE[0]
    return max(PALETTE, key=lambda p: min(colour_distance(p, t) for t in taken))


def default_colours(labels: Sequence[str], fixed: Optional[Sequence] = None) -> List[Tuple[int, int, int]]:
    """A colour per label: the usual colour of a known name (water blue, forest green, ...) unless a label
    before it already looks like that; every other label the palette colour most unlike those taken.
    fixed: colours already chosen (None where not), kept as they are. Deterministic."""
    n = len(labels)
    out: List[Optional[Tuple[int, int, int]]] = [None] * n
    for i, c in enumerate(list(fixed or [])[:n]):
        if c is not None:
            out[i] = tuple(int(v) for v in tuple(c)[:3])
    taken = [c for c in out if c is not None]
    for i, name in enumerate(labels):
        known = KNOWN_COLOURS.get(str(name).strip().lower())
        if out[i] is None and known is not None and all(colour_distance(known, t) >= DISTINCT_COLOURS for t in taken):
            out[i] = known
            taken.append(known)
    for i in range(n):
        if out[i] is None:
            out[i] = distinct_colour(taken)
            taken.append(out[i])
    return out


COLOUR_ROW_NAMES = ("colour", "color")
NODATA_ROW_NAMES = ("nodata", "no data", "no_data")
NLCD_NODATA_CODES = (0, 255)  # NLCD's "unclassified" and "no data" (the built-in table lists them in its nodata row)
_HEX = re.compile(r"^#?([0-9a-fA-F]{6})$")


def colour_to_hex(rgb: Sequence[int]) -> str:
    """(r, g, b) -> '#rrggbb'."""
    return "#{:02x}{:02x}{:02x}".format(*(max(0, min(255, int(v))) for v in tuple(rgb)[:3]))


def hex_to_colour(text: str) -> Optional[Tuple[int, int, int]]:
    """'#rrggbb' (the '#' may be left out) -> (r, g, b); None when the text is not such a colour."""
    m = _HEX.match(text.strip())
    if not m:
        return None
    v = m.group(1)
    return int(v[0:2], 16), int(v[2:4], 16), int(v[4:6], 16)


def _nodata_codes(cells: Sequence[str], where: str, line: int) -> List[int]:
    """The codes of a `nodata` row (empty cells ignored)."""
    out = []
    for v in cells:
        if not v:
            continue
        try:
            f = float(v)
        except ValueError:
            f = float("nan")
        if not np.isfinite(f) or f != int(f):
            raise CompositionError(f"{where}, line {line}: no-data class code {v!r} is not a whole number; list the "
                                   "class codes that mean 'no data', e.g. nodata,0,255.")
        out.append(int(f))
    return sorted(set(out))


def _parse_header(numbered, where: str, delimiter: str) -> List[str]:
    """The label names of the header row (first column 'class')."""
    if not numbered:
        raise CompositionError(f"{where}: the file is empty. Expected a header 'class,<label 1>,<label 2>,...'.")
    line, header = numbered[0]
    header = [h.strip() for h in header]
    if len(header) < 2 or header[0].lower() not in ("class", "code", "class_code"):
        raise CompositionError(
            f"{where}, line {line}: bad header {delimiter.join(header)!r}. The first line must be "
            "'class,<label 1>,<label 2>,...' (first column named 'class'), the columns separated by commas "
            "(semicolons or tabs, as spreadsheet programs write them, work too).")
    labels = header[1:]
    if any(not lab for lab in labels):
        raise CompositionError(f"{where}, line {line}: a label name in the header is empty.")
    if len(set(lab.lower() for lab in labels)) != len(labels):
        raise CompositionError(f"{where}, line {line}: label names in the header must be unique.")
    if len(labels) > 254:
        raise CompositionError(f"{where}, line {line}: at most 254 labels are supported.")
    return labels


def _parse_colours(r: List[str], labels: List[str], colours: List, where: str, line: int):
    """A `colour` row into colours (empty cells keep the default)."""
    if len(r) > len(labels) + 1:
        raise CompositionError(
            f"{where}, line {line}: {len(r) - 1} colours, expected at most {len(labels)} (one per label).")
    for i, v in enumerate(r[1:]):
        if not v:
            continue
        rgb = hex_to_colour(v)
        if rgb is None:
            raise CompositionError(
                f"{where}, line {line}: colour {v!r} for label {labels[i]!r} is not a colour; write it as "
                "#rrggbb (hexadecimal red, green, blue, e.g. #267300) or leave the cell empty.")
        colours[i] = rgb


def _parse_class_row(r: List[str], labels: List[str], where: str, line: int, delimiter: str):
    """(code, shares) of a class row."""
    if len(r) != len(labels) + 1:
        raise CompositionError(
            f"{where}, line {line}: {len(r)} values, expected {len(labels) + 1} (class code + {len(labels)} labels).")
    try:
        code_f = float(r[0])
    except ValueError:
        raise CompositionError(f"{where}, line {line}: class code {r[0]!r} is not a number.")
    if code_f != int(code_f):
        raise CompositionError(f"{where}, line {line}: class code {r[0]!r} must be an integer.")
    vals = []
    for name, v in zip(labels, r[1:]):
        try:
            x = float(v.replace(",", ".") if delimiter != "," else v)
        except ValueError:
            raise CompositionError(f"{where}, line {line}: value {v!r} for label {name!r} is not a number.")
        if not np.isfinite(x) or x < 0:
            raise CompositionError(f"{where}, line {line}: value {v!r} for label {name!r} must be a finite "
                                   "number >= 0.")
        vals.append(x)
    if sum(vals) <= 0:
        raise CompositionError(f"{where}, line {line}: every value of class {int(code_f)} is zero; each class needs "
                               "at least one label with a positive share.")
    return int(code_f), vals


def parse_composition(text: str, source: str = "") -> Composition:
    """Parse and validate composition CSV text: header, optional `colour` and `nodata` rows, class rows.
    Errors name the line and what to change."""
    where = source or "composition CSV"
    text = text.lstrip("\ufeff")
    delimiter = sniff_delimiter(text)
    rows = list(csv.reader(io.StringIO(text), delimiter=delimiter))
    numbered = [(i + 1, r) for i, r in enumerate(rows) if r and any(cell.strip() for cell in r)
                and not r[0].strip().startswith("#")]
    labels = _parse_header(numbered, where, delimiter)
    codes, mat = [], []
    colours = list(default_colours(labels))
    seen = {}  # special row kind -> its line
    nodata: List[int] = []
    for line, r in numbered[1:]:
        r = [c.strip() for c in r]
        kind = "nodata" if r[0].lower() in NODATA_ROW_NAMES else "colour" if r[0].lower() in COLOUR_ROW_NAMES else None
        if kind is not None:
            if kind in seen:
                raise CompositionError(f"{where}, line {line}: a second '{r[0]}' row (the first is on line "
                                       f"{seen[kind]}); keep one such row.")
            seen[kind] = line
            if kind == "nodata":
                nodata = _nodata_codes(r[1:], where, line)
            else:
                _parse_colours(r, labels, colours, where, line)
            continue
        code, vals = _parse_class_row(r, labels, where, line, delimiter)
        if code in codes:
            raise CompositionError(f"{where}, line {line}: class code {code} appears twice.")
        codes.append(code)
        mat.append(vals)
    if not codes:
        raise CompositionError(f"{where}: no class rows after the header.")
    both = sorted(set(codes) & set(nodata))
    if both:
        raise CompositionError(f"{where}, line {seen['nodata']}: code(s) {', '.join(map(str, both))} are both a "
                               "class row and in the nodata row; keep each code in one place.")
    m = np.asarray(mat, dtype=np.float64)
    notes = row_sum_notes(m.sum(1), codes, [line for line, r in numbered[1:]
                                            if r[0].strip().lower() not in NODATA_ROW_NAMES + COLOUR_ROW_NAMES],
                          where)
    m /= m.sum(1, keepdims=True)
    return Composition(codes, labels, m.astype(np.float32), colours=colours, source=source, nodata_codes=nodata,
                       notes=notes)


ROW_SUM_TOLERANCE = 0.1  # a row summing to more than 10% away from 1 (or from 100 in a table of percentages)


def row_sum_notes(sums: Sequence[float], codes: Sequence[int], lines: Sequence[int], where: str) -> List[str]:
    """Warnings for class rows whose shares sum far from 1: rows are renormalised, so a typing slip (20 for 0.20)
    would otherwise change the table silently. A table whose rows all sum to about 100 is read as percentages."""
    sums = [float(v) for v in sums]
    unit = 100.0 if sums and all(abs(v / 100.0 - 1) <= ROW_SUM_TOLERANCE for v in sums) else 1.0
    far = [(line, code, v) for line, code, v in zip(lines, codes, sums) if abs(v / unit - 1) > ROW_SUM_TOLERANCE]
    if not far:
        return []
    listed = "; ".join(f"line {line} (class {code}) sums to {v:g}" for line, code, v in far[:10])
    more = f" and {len(far) - 10} more" if len(far) > 10 else ""
    return [f"{where}: the shares of a class row should sum to {unit:g}, but {listed}{more}. Each row is divided by "
            f"its "
            "sum, so such a row still counts as a distribution: check it for a typing slip (e.g. 20 for 0.20)."]


@dataclass
class TypedTable:
    """A composition CSV as a person typed it: cells kept as text (problems are for the editor to show)."""

    class_codes: List[int]
    labels: List[str]
    cells: List[List[str]]
    colours: List[Optional[Tuple[int, int, int]]]
    source: str = ""
    nodata_codes: List[int] = field(default_factory=list)


def read_table_cells(text: str, source: str = "") -> TypedTable:
    """The cells of a composition CSV that parse_composition refuses, for fixing them in the editor: values are
    kept as typed (not numbers, negative, all zero, duplicate codes: the editor shows them in red), short rows
    are padded with empty cells. CompositionError only when the file has no usable structure (no header line
    'class,...', a class code that is not an integer, a row longer than the header)."""
    where = source or "composition CSV"
    text = text.lstrip("\ufeff")
    delimiter = sniff_delimiter(text)
    rows = list(csv.reader(io.StringIO(text), delimiter=delimiter))
    numbered = [(i + 1, [c.strip() for c in r]) for i, r in enumerate(rows) if r and any(c.strip() for c in r)
                and not r[0].strip().startswith("#")]
    if not numbered:
        raise CompositionError(f"{where}: the file is empty. Expected a header 'class,<label 1>,<label 2>,...'.")
    line, header = numbered[0]
    if len(header) < 2 or header[0].lower() not in ("class", "code", "class_code"):
        parse_composition(text, source)  # raises the header message
    labels = header[1:]
    colours: List[Optional[Tuple[int, int, int]]] = [None] * len(labels)
    codes, cells = [], []
    nodata: List[int] = []
    for line, r in numbered[1:]:
        if r[0].lower() in COLOUR_ROW_NAMES:
            for i, v in enumerate(r[1:len(labels) + 1]):
                colours[i] = hex_to_colour(v) if v else None
            continue
        if r[0].lower() in NODATA_ROW_NAMES:
            nodata = _nodata_codes(r[1:], where, line)
            continue
        if len(r) > len(header):
            raise CompositionError(f"{where}, line {line}: {len(r)} values, expected {len(header)} (class code + "
                                   f"{len(labels)} labels).")
        try:
            code_f = float(r[0])
            if code_f != int(code_f):
                raise ValueError(r[0])
        except ValueError:
            raise CompositionError(f"{where}, line {line}: class code {r[0]!r} is not an integer.")
        codes.append(int(code_f))
        cells.append(list(r[1:]) + [""] * (len(header) - len(r)))
    return TypedTable(codes, labels, cells, colours, source, nodata)


def sniff_delimiter(text: str) -> str:
    """The column separator of a composition CSV: ',' unless the header line (the first line that is neither
    empty nor a '#' comment) holds more ';' or tabs than commas."""
    for ln in text.splitlines():
        t = ln.strip()
        if not t or t.startswith("#"):
            continue
        counts = {d: t.count(d) for d in (",", ";", "\t")}
        best = max(counts, key=lambda d: (counts[d], d == ","))
        return best if counts[best] else ","
    return ","


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


# ------------------------------------------------------------------------------------------------
# Tables typed by a person (the composition editor): cells as text, every problem located
# ------------------------------------------------------------------------------------------------

@dataclass
class TableProblem:
    """One problem of an edited table: row / col index (-1 = the whole row / column / table)."""

    row: int
    col: int
    message: str


def cell_value(text) -> Optional[float]:
    """A typed cell as a number: empty = 0; None when it is not a finite number."""
    if text is None:
        return 0.0
    if isinstance(text, (int, float, np.floating, np.integer)):
        x = float(text)
    else:
        t = str(text).strip().replace("\u2212", "-")
        if not t:
            return 0.0
        if t.count(",") == 1 and "." not in t:
            t = t.replace(",", ".")  # a decimal comma, as typed in many locales
        try:
            x = float(t)
        except ValueError:
            return None
    return x if np.isfinite(x) else None


def check_table(class_codes: Sequence[int], labels: Sequence[str], cells: Sequence[Sequence],
                class_name=str) -> List[TableProblem]:
    """Problems of a table p(label | class) as typed: label names, class codes, cell values.

    cells [Cc][L]: text or numbers (empty = 0). class_name(code) names a row in the messages.
    """
    out: List[TableProblem] = []
    if not labels:
        out.append(TableProblem(-1, -1, "The table has no label: add at least one label (column)."))
    if len(labels) > 254:
        out.append(TableProblem(-1, -1, f"{len(labels)} labels: at most 254 are supported."))
    seen = {}
    for j, name in enumerate(labels):
        n = (name or "").strip()
        if not n:
            out.append(TableProblem(-1, j, f"Label {j + 1} has no name: give every label a name."))
        elif n.lower() in seen:
            out.append(TableProblem(-1, j, f"Label name {n!r} is used twice (labels {seen[n.lower()] + 1} and "
                                           f"{j + 1}): label names must be unique."))
        else:
            seen[n.lower()] = j
        if "\n" in n:
            out.append(TableProblem(-1, j, f"Label name {n!r} contains a line break."))
    if not class_codes:
        out.append(TableProblem(-1, -1, "The table has no class row: add the coarse class codes (rows)."))
    codes_seen = {}
    for i, code in enumerate(class_codes):
        if code in codes_seen:
            out.append(TableProblem(i, -1, f"Class code {code} appears twice (rows {codes_seen[code] + 1} and "
                                           f"{i + 1})."))
        codes_seen.setdefault(code, i)
    for i, code in enumerate(class_codes):
        row = list(cells[i]) if i < len(cells) else []
        total, bad = 0.0, False
        for j, name in enumerate(labels):
            v = row[j] if j < len(row) else ""
            x = cell_value(v)
            if x is None:
                out.append(TableProblem(i, j, f"Class {class_name(code)}, label {name!r}: {str(v).strip()!r} is not "
                                              "a number; type a share >= 0 (e.g. 0.25), or leave it empty for 0."))
                bad = True
            elif x < 0:
                out.append(TableProblem(i, j, f"Class {class_name(code)}, label {name!r}: {str(v).strip()} is "
                                              "negative; shares must be >= 0."))
                bad = True
            else:
                total += x
        if not bad and labels and total <= 0:
            out.append(TableProblem(i, -1, f"Class {class_name(code)}: every value is zero; give at least one "
                                           "label a positive share (or remove the row)."))
    return out


def problems_summary(problems: Sequence[TableProblem]) -> str:
    """The first problem and how many more: 'Class 41, ...: ... (2 more problems)'; '' when there is none."""
    if not problems:
        return ""
    more = len(problems) - 1
    return problems[0].message + (f" ({more} more problems)" if more > 1 else " (1 more problem)" if more else "")


def normalise_rows(cells: Sequence[Sequence]) -> List[List[Optional[float]]]:
    """Rows divided by their sums (rows summing to 0, or holding a non-number, are left as they are)."""
    out = []
    for row in cells:
        vals = [cell_value(v) for v in row]
        if any(v is None for v in vals) or any(v < 0 for v in vals):
            out.append(vals)
            continue
        s = float(sum(vals))
        out.append([v / s for v in vals] if s > 0 else vals)
    return out


def composition_from_table(class_codes: Sequence[int], labels: Sequence[str], cells: Sequence[Sequence],
                           colours: Optional[Sequence[Tuple[int, int, int]]] = None, source: str = "",
                           class_name=str, nodata_codes: Sequence[int] = ()) -> Composition:
    """A Composition from a typed table (rows renormalised); CompositionError naming the first problem."""
    problems = check_table(class_codes, labels, cells, class_name)
    if problems:
        raise CompositionError(problems_summary(problems))
    m = np.array([[cell_value(v) for v in list(row)[:len(labels)]] for row in cells[:len(class_codes)]],
                 dtype=np.float64)
    m /= m.sum(1, keepdims=True)
    labels = [lab.strip() for lab in labels]
    cols = list(colours) if colours else []
    cols = [tuple(int(v) for v in c[:3]) for c in cols[:len(labels)]]
    if len(cols) < len(labels):
        cols += default_colours(labels)[len(cols):]
    return Composition([int(c) for c in class_codes], labels, m.astype(np.float32), colours=cols, source=source,
                       nodata_codes=[int(c) for c in nodata_codes])


def class_display_name(code: int) -> str:
    """'41 - Deciduous forest' for NLCD codes, else the code."""
    name = NLCD_NAMES.get(int(code))
    return f"{int(code)} - {name}" if name else str(int(code))


def row_sums(cells: Sequence[Sequence]) -> List[Optional[float]]:
    """Sum of each typed row (empty = 0); None for a row holding a non-number."""
    out = []
    for row in cells:
        vals = [cell_value(v) for v in row]
        out.append(None if any(v is None for v in vals) else float(sum(vals)))
    return out


def save_composition(comp: Composition, path: str, comments: Sequence[str] = ()) -> str:
    """Write comp as CSV atomically (io.outputs: never a half-written file). Returns the absolute path.

    Raises CompositionError saying what to change when the path cannot be written.
    """
    if not path:
        raise CompositionError("No file name given for the composition table; choose where to save the CSV.")
    path = os.path.abspath(path)
    if os.path.isdir(path):
        raise CompositionError(f"{path!r} is a folder; give a file name ending in .csv.")
    try:
        write_text(path, comp.to_csv(comments=comments), "composition CSV")
    except EpitomeError as e:
        raise CompositionError(f"{e} Choose a writable place for the CSV.")
    return path
