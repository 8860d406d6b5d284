"""algorithms.bounds: ranges declared once on the core's dataclasses, checked with messages that say what to change."""

from dataclasses import dataclass

import pytest

from algorithms.bounds import Bounds, bounded, bounds_of, check_bounds, parameter_name
from algorithms.epitome.training import TrainParams
from algorithms.lsr.job import LsrJob
from algorithms.lsr.params import LsrParams


@dataclass
class Example:
    k: int = bounded(7, 1, 31, odd=True, hint="e.g. 5 or 7")
    share: float = bounded(0.5, 0.0, 1.0, low_open=True)
    c: float = bounded(0.1, 0.0, 1.0, high_open=True)
    auto: float = bounded(None, 0.0, allow_none=True, name="TEMPERATURE")


@pytest.mark.parametrize("kw, message", [
    (dict(k=8), "K must be an odd whole number between 1 and 31 (got 8): e.g. 5 or 7."),
    (dict(k=33), "K must be an odd whole number between 1 and 31 (got 33)"),
    (dict(share=0.0), "SHARE must be greater than 0 and at most 1 (got 0)"),
    (dict(c=1.0), "C must be at least 0 and less than 1 (got 1)"),
    (dict(auto=-1.0), "TEMPERATURE must be at least 0 (got -1)"),
])
def test_out_of_range_values_are_named_with_their_range(kw, message):
    with pytest.raises(ValueError) as e:
        check_bounds(Example(**kw))
    assert str(e.value).startswith(message)


def test_valid_values_and_none_where_allowed_pass():
    check_bounds(Example())
    check_bounds(Example(k=1, share=1.0, c=0.0, auto=None))


def test_bounds_are_read_from_the_field():
    assert bounds_of(Example, "k") == Bounds(1, 31, odd=True, hint="e.g. 5 or 7")
    assert parameter_name(Example, "auto") == "TEMPERATURE" and parameter_name(Example, "k") == "K"


@pytest.mark.parametrize("obj, message", [
    (LsrParams(patch_size=8), "PATCH_SIZE must be an odd whole number"),
    (LsrParams(samples=0.0), "SAMPLES must be greater than 0"),
    (LsrParams(downsample=0), "DOWNSAMPLE must be between 1 and 32"),
    (TrainParams(promotion=1.0), "PROMOTION must be at least 0 and less than 1"),
    (TrainParams(patch_min=4), "PATCH_MIN must be an odd whole number"),
])
def test_core_parameters_use_their_declared_ranges(obj, message):
    with pytest.raises(ValueError, match=message):
        obj.validate()


def test_job_tile_size_is_bounded():
    assert bounds_of(LsrJob, "tile_size").low == 32
