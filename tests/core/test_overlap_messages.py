"""Every overlap message names the layers it is about: the evaluation says PREDICTION and REFERENCE (not 'the
imagery and the class layer', the words of label super-resolution)."""

import numpy as np
import pytest

from algorithms.errors import EpitomeError
from algorithms.evaluate.accuracy import evaluate_rasters

from rasters import write_raster


def write(path, x0, epsg=26917):
    return write_raster(path, np.ones((16, 16), np.uint8), (x0, 1.0, 0.0, 4390000.0, 0.0, -1.0), epsg)


def test_evaluation_of_layers_that_do_not_overlap_names_them(tmp_path):
    pred = write(tmp_path / "pred.tif", 560000.0)
    ref = write(tmp_path / "ref.tif", 700000.0)
    with pytest.raises(EpitomeError) as e:
        evaluate_rasters(pred, ref)
    msg = str(e.value)
    assert msg.startswith("PREDICTION and REFERENCE do not overlap")
    assert "imagery" not in msg and "class layer" not in msg
