"""An estimated composition table put into the table being edited, keeping that table's labels.

epitome:estimatecomposition counts p(label | class) per reference code: its columns are the reference's label
codes, named from the reference's legend (or 'label <code>' when the reference has none). The table in the
editor already has labels - names, colours, an order that gives the output codes 1..L. The estimate is mapped
onto them:

- a reference code whose legend name is one of the table's labels (any case) goes to that label's column;
- a code without a name goes to the column of the same number (label codes are 1..L in the table's column
  order: the convention of every Epitome label raster);
- any other code gets a new column (the reference's name and colour, else 'label <code>').
When the reference names all its codes and none of those names is in the table, the reference's labels replace
the table's (the table spoke of other labels). Every label of the table stays, absent from the area or not (its
share is 0 in the estimated rows); rows of classes the estimate does not cover keep their values.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np

from .colours import default_colours
from .table import Composition


def _named(name: Optional[str], code: int) -> bool:
    return bool(name) and name.strip().lower() != f"label {code}"


@dataclass
class Merged:
    composition: Composition
    mapping: Dict[int, int]  # reference code -> column (0-based) of the result
    how: str  # 'names', 'codes', 'reference' (the reference's labels replaced the table's)
    added: List[str] = field(default_factory=list)  # labels added as new columns
    kept_rows: List[int] = field(default_factory=list)  # class codes whose rows were not estimated


def _map_labels(table: Composition, label_codes: Sequence[int], named: Dict[int, str], colours: Dict, labels: List[str],
                cols: List) -> Tuple[Dict[int, int], List[str]]:
    """The column of the table for each reference code: by name first (a name says more than a position), then by
    position (code c = the table's column c), else a new label appended to labels and cols (returned in added)."""
    low = {n.lower(): j for j, n in enumerate(table.labels)}
    mapping: Dict[int, int] = {}
    added: List[str] = []
    for c in label_codes:
        c = int(c)
        if c in named and named[c].lower() in low:
            mapping[c] = low[named[c].lower()]
    taken = set(mapping.values())
    for c in label_codes:
        c = int(c)
        if c in mapping:
            continue
        if c not in named and 1 <= c <= len(table.labels) and (c - 1) not in taken:
            mapping[c] = c - 1
            taken.add(c - 1)
            continue
        name = named.get(c) or f"label {c}"
        while name.lower() in {n.lower() for n in labels}:
            name = f"{name} ({c})"
        labels.append(name)
        cols.append(tuple(colours[c]) if colours.get(c) else default_colours(labels, fixed=cols + [None])[-1])
        mapping[c] = len(labels) - 1
        added.append(name)
    return mapping, added


def merge_estimate(table: Composition, estimate: Composition, label_codes: Sequence[int],
                   legend: Optional[Dict[int, Tuple[Optional[str], Optional[Tuple[int, int, int]]]]] = None
                   ) -> Merged:
    """The table with the estimate's rows, in the table's labels (see the module's docstring).

    label_codes: the reference code of each column of `estimate`; legend: {code: (name, colour)} of the
    reference (its own names and colours; missing or 'label <code>' names count as none)."""
    legend = dict(legend or {})
    names = {int(c): (legend.get(int(c)) or (None, None))[0] for c in label_codes}
    colours = {int(c): (legend.get(int(c)) or (None, None))[1] for c in label_codes}
    named = {c: n.strip() for c, n in names.items() if _named(n, c)}
    low = {n.lower(): j for j, n in enumerate(table.labels)}
    if named and len(named) == len(label_codes) and not any(n.lower() in low for n in named.values()):
        # the reference names other labels than the table's: its labels, names and colours are the table's now
        labels = [named.get(int(c)) or f"label {c}" for c in label_codes]
        cols = default_colours(labels, fixed=[colours.get(int(c)) for c in label_codes])
        result = Composition(list(estimate.class_codes), labels, np.array(estimate.matrix, dtype=np.float64), cols,
                             nodata_codes=list(table.nodata_codes))
        return Merged(result, {int(c): j for j, c in enumerate(label_codes)}, "reference")
    labels, cols = list(table.labels), [tuple(c) for c in table.colours]
    mapping, added = _map_labels(table, label_codes, named, colours, labels, cols)
    n = len(labels)
    est = np.asarray(estimate.matrix, dtype=np.float64)
    rows = {}
    for i, code in enumerate(estimate.class_codes):
        if int(code) in table.nodata_codes:
            continue  # "no class" in the table (e.g. NLCD's 0): no row
        row = np.zeros(n)
        for j, c in enumerate(label_codes):
            row[mapping[int(c)]] += est[i, j]
        rows[int(code)] = row
    kept = [int(c) for c in table.class_codes if int(c) not in rows]
    old = np.asarray(table.matrix, dtype=np.float64)
    for i, code in enumerate(table.class_codes):
        if int(code) not in rows:
            rows[int(code)] = np.concatenate([old[i], np.zeros(n - old.shape[1])])
    codes = sorted(rows)
    result = Composition(codes, labels, np.array([rows[c] for c in codes]), cols,
                         nodata_codes=list(table.nodata_codes))
    return Merged(result, mapping, "names" if any(c in named for c in mapping) else "codes", added, kept)
