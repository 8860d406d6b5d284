import numpy as np
import pytest

from algorithms.composition.table import CompositionError, load_composition, parse_composition


def test_builtin_nlcd_table():
    c = load_composition(None)
    assert c.labels == ["water", "forest", "field", "built"]
    assert len(c.class_codes) == 20 and 41 in c.class_codes and 0 not in c.class_codes
    np.testing.assert_allclose(c.matrix.sum(1), 1, atol=1e-6)
    row = c.matrix[c.class_codes.index(41)]
    np.testing.assert_allclose(row, np.array([0, 0.92, 0.06, 0.01]) / 0.99, atol=1e-6)
    assert c.colours[0] == (0, 112, 255)


def test_rows_renormalised_and_roundtrip():
    c = parse_composition("class,a,b\n1,2,2\n5,0,3\n")
    np.testing.assert_allclose(c.matrix, [[0.5, 0.5], [0, 1]])
    c2 = parse_composition(c.to_csv())
    assert c2.class_codes == [1, 5] and c2.labels == ["a", "b"]
    np.testing.assert_allclose(c2.matrix, c.matrix)


@pytest.mark.parametrize("text,needle", [
    ("", "empty"),
    ("klass;a;b\n1;1;0\n", "line 1"),  # a ";" file is read, its bad header named
    ("klass,a,b\n1,1,0\n", "line 1"),
    ("class,a,b\n1,1,0\n2,x,1\n", "line 3"),
    ("class,a,b\n1,1,0\n2,-0.5,1\n", "line 3"),
    ("class,a,b\n1,0,0\n", "line 2"),
    ("class,a,b\n1,1\n", "line 2"),
    ("class,a,b\n1,1,0\n1,0,1\n", "twice"),
    ("class,a,a\n1,1,0\n", "unique"),
    ("class,a,b\n1.5,1,0\n", "integer"),
    ("class,a,b\n", "no class rows"),
])
def test_malformed_csv_errors_name_the_line(text, needle):
    with pytest.raises(CompositionError) as e:
        parse_composition(text, source="t.csv")
    assert needle in str(e.value)


def test_missing_file():
    with pytest.raises(CompositionError, match="does not exist"):
        load_composition("/nonexistent/comp.csv")


def test_class_index_unknown_codes():
    c = parse_composition("class,a,b\n1,1,0\n2,0,1\n")
    codes = np.array([[1, 2], [7, 9]])
    with pytest.raises(CompositionError) as e:
        c.class_index(codes)
    assert "7, 9" in str(e.value)
    idx = c.class_index(codes, unknown_as_nodata=True)
    assert idx.tolist() == [[0, 1], [-1, -1]]
    assert c.class_index(np.array([1, 0]), nodata_codes=[0]).tolist() == [0, -1]
    assert c.baseline_labels(np.array([0, 1, -1])).tolist() == [1, 2, 0]


# ---- ';' separated files (spreadsheet programs in many locales) ------------------------------------------

def test_semicolon_separated_csv_with_decimal_commas():
    text = "# from a spreadsheet\nclass;water;forest;field\ncolour;#0000ff;;#ffff00\n41;0;0,8;0,2\n82;0;1;3\n"
    c = parse_composition(text, source="s.csv")
    assert c.labels == ["water", "forest", "field"] and c.class_codes == [41, 82]
    np.testing.assert_allclose(c.matrix, [[0, 0.8, 0.2], [0, 0.25, 0.75]], atol=1e-6)
    assert c.colours[0] == (0, 0, 255) and c.colours[2] == (255, 255, 0)
    tabs = parse_composition("class\twater\tforest\n41\t0.5\t0.5\n")
    assert tabs.labels == ["water", "forest"]


def test_semicolon_file_loads_from_disk(tmp_path):
    p = tmp_path / "excel.csv"
    p.write_bytes("\ufeffclass;a;b\r\n1;1;0\r\n2;0,25;0,75\r\n".encode("utf-8"))
    c = load_composition(str(p))
    np.testing.assert_allclose(c.matrix[1], [0.25, 0.75])


def test_bad_header_message_mentions_the_separator():
    with pytest.raises(CompositionError) as e:
        parse_composition("klass|a|b\n1|1|0\n", source="t.csv")
    assert "line 1" in str(e.value) and "semicolon" in str(e.value) and "commas" in str(e.value)


def test_typed_cells_accept_a_decimal_comma():
    from algorithms.composition.cells import cell_value

    assert cell_value("0,25") == 0.25 and cell_value("1.5") == 1.5 and cell_value("1,2,3") is None


# ---- colours that never look alike --------------------------------------------------------------------

@pytest.mark.parametrize("labels", [
    ["background", "building", "road", "water", "barren", "forest", "agriculture"],  # LoveDA
    ["urban", "agriculture", "rangeland", "forest", "water", "barren"],  # DeepGlobe
    ["water", "forest", "field", "built"],
    [f"label {i}" for i in range(1, 13)],
    ["water", "lake", "sea", "river", "forest", "trees"],  # several names that want the same colour
])
def test_default_colours_are_distinct(labels):
    import itertools

    from algorithms.composition.colours import DISTINCT_COLOURS, colour_distance, default_colours

    cols = default_colours(labels)
    assert len(cols) == len(labels)
    worst = min(colour_distance(a, b) for a, b in itertools.combinations(cols, 2))
    assert worst >= DISTINCT_COLOURS * 0.9, (labels, cols)
    assert default_colours(labels) == cols  # deterministic


def test_known_names_keep_their_usual_colours_and_fixed_colours_are_kept():
    from algorithms.composition.colours import KNOWN_COLOURS, default_colours

    cols = default_colours(["background", "water", "road", "forest"])
    assert cols[1] == KNOWN_COLOURS["water"] and cols[3] == KNOWN_COLOURS["forest"]
    fixed = default_colours(["a", "b", "water"], fixed=[(1, 2, 3), None, None])
    assert fixed[0] == (1, 2, 3) and fixed[2] == KNOWN_COLOURS["water"]
