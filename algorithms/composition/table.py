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
from dataclasses import dataclass, field
from typing import List, Optional, Sequence, Tuple

import numpy as np

from .. import RESOURCES
from ..errors import EpitomeError
from ..io.outputs import write_text
from .colours import colour_to_hex, default_colours, hex_to_colour

DEFAULT_COMPOSITION_CSV = os.path.join(RESOURCES, "compositions", "nlcd_4class.csv")


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


COLOUR_ROW_NAMES = ("colour", "color")
NODATA_ROW_NAMES = ("nodata", "no data", "no_data")
NLCD_NODATA_CODES = (0, 255)  # NLCD's "unclassified" and "no data" (the built-in table lists them in its nodata row)


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
