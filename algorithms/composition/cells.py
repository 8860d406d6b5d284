"""Composition tables as a person types them in the editor (plugin/gui/composition_editor.py): cells kept as text,
checked cell by cell (what is wrong, where), rows normalised, made into a Composition. The CSV format itself is
composition/table.py."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from typing import List, Optional, Sequence, Tuple

import numpy as np

from .colours import default_colours, hex_to_colour
from .table import (
    COLOUR_ROW_NAMES,
    NLCD_NAMES,
    NODATA_ROW_NAMES,
    Composition,
    CompositionError,
    _nodata_codes,
    parse_composition,
    sniff_delimiter,
)


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
