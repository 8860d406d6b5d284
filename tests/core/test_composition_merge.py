"""An estimated table put into the edited one (algorithms/composition/merge.py): the table's label names, colours
and columns stay; the reference's codes are mapped onto them (by name, else by code); absent labels stay."""

import numpy as np
import pytest

from algorithms.composition.merge import merge_estimate
from algorithms.composition.table import Composition, load_composition


def estimate(codes=(1, 2, 3)):
    # classes 41 and 82 counted on a labelled area whose labels are codes 1..3 (no 4 = built in the area)
    m = np.array([[0.0, 0.9, 0.1], [0.05, 0.15, 0.8]])[:, :len(codes)]
    return Composition([41, 82], [f"label {c}" for c in codes], m / m.sum(1, keepdims=True))


def test_a_reference_without_names_keeps_the_tables_labels_and_colours():
    table = load_composition(None)  # water, forest, field, built; NLCD rows
    merged = merge_estimate(table, estimate(), [1, 2, 3], legend={})
    comp = merged.composition
    assert comp.labels == table.labels and comp.colours == table.colours  # built stays, absent from the area
    assert merged.how == "codes" and merged.mapping == {1: 0, 2: 1, 3: 2} and not merged.added
    i41 = comp.class_codes.index(41)
    np.testing.assert_allclose(comp.matrix[i41], [0.0, 0.9, 0.1, 0.0])
    i11 = comp.class_codes.index(11)  # a class the area does not have: its row is the table's own
    np.testing.assert_allclose(comp.matrix[i11], table.matrix[table.class_codes.index(11)])
    assert 11 in merged.kept_rows and 41 not in merged.kept_rows
    assert comp.nodata_codes == table.nodata_codes


def test_named_codes_go_to_the_labels_of_that_name():
    table = load_composition(None)
    legend = {1: ("Field", (1, 2, 3)), 2: ("forest", None), 3: (None, None)}
    merged = merge_estimate(table, estimate(), [1, 2, 3], legend)
    # code 3 has no name and its column (field) is taken by the name of code 1: a column of its own
    assert merged.mapping == {1: 2, 2: 1, 3: 4} and merged.composition.labels == table.labels + ["label 3"]
    np.testing.assert_allclose(merged.composition.matrix[merged.composition.class_codes.index(41)],
                               [0.0, 0.9, 0.0, 0.0, 0.1])


def test_codes_beyond_the_table_get_new_columns():
    table = Composition([41, 82], ["forest", "field"], np.array([[0.9, 0.1], [0.2, 0.8]]))
    merged = merge_estimate(table, estimate(), [1, 2, 3], legend={3: ("wetland", (0, 100, 200))})
    comp = merged.composition
    assert comp.labels == ["forest", "field", "wetland"] and comp.colours[2] == (0, 100, 200)
    assert merged.added == ["wetland"] and merged.mapping == {1: 0, 2: 1, 3: 2}


def test_a_reference_with_other_label_names_brings_its_own_labels():
    table = load_composition(None)
    legend = {1: ("Tree canopy", (0, 90, 0)), 2: ("Low vegetation", None), 3: ("Barren", None)}
    merged = merge_estimate(table, estimate(), [1, 2, 3], legend)
    assert merged.how == "reference"
    assert merged.composition.labels == ["Tree canopy", "Low vegetation", "Barren"]
    assert merged.composition.colours[0] == (0, 90, 0) and merged.composition.class_codes == [41, 82]


def test_rows_of_the_tables_nodata_codes_are_not_added():
    table = load_composition(None)  # nodata 0 and 255
    est = Composition([0, 41], ["label 1", "label 2"], np.array([[1.0, 0.0], [0.1, 0.9]]))
    comp = merge_estimate(table, est, [1, 2], {}).composition
    assert 0 not in comp.class_codes and comp.nodata_codes == [0, 255]
    assert comp.to_csv()  # a valid table
    pytest.importorskip("osgeo")
