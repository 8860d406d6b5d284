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
    ("code;a;b\n1;1;0\n", "line 1"),
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
