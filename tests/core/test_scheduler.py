"""The SCHEDULER value (algorithms/distributed/cluster.py): parsed with messages that say what to write, and
without dask a message that says how to install it. No GDAL, no dask needed (runs in the Python 3.9 step too)."""

import os
import subprocess
import sys

import pytest

from algorithms.distributed.cluster import SchedulerSpec, parse_scheduler
from algorithms.errors import EpitomeError

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


@pytest.mark.parametrize("text, spec", [
    ("", SchedulerSpec("inprocess")), (None, SchedulerSpec("inprocess")), ("  ", SchedulerSpec("inprocess")),
    ("local:2", SchedulerSpec("local", workers=2)), ("LOCAL:16", SchedulerSpec("local", workers=16)),
    ("tcp://10.0.0.5:8786", SchedulerSpec("address", address="tcp://10.0.0.5:8786")),
    ("tls://scheduler.example:8786", SchedulerSpec("address", address="tls://scheduler.example:8786")),
])
def test_scheduler_values(text, spec):
    assert parse_scheduler(text) == spec
    assert parse_scheduler(text).distributed == (spec.kind != "inprocess")


@pytest.mark.parametrize("text, words", [
    ("locl:2", "is not understood: use empty"), ("local:0", "must be 1 to 512"), ("local:two", "is not understood"),
    ("http://10.0.0.5:8786", "is not understood"), ("10.0.0.5:8786", "tcp://"),
])
def test_malformed_values_say_what_to_write(text, words):
    with pytest.raises(EpitomeError, match=words):
        parse_scheduler(text)


def test_without_dask_the_message_says_how_to_install_it():
    """A Python where dask cannot be imported (sys.modules blocks it, as an uninstalled package would)."""
    code = ("import sys; sys.modules['distributed'] = None; sys.modules['dask'] = None\n"
            f"sys.path.insert(0, {ROOT!r})\n"
            "from algorithms.distributed.cluster import dask_status, require_dask\n"
            "assert dask_status()[0] is False\n"
            "try:\n    require_dask()\nexcept Exception as e:\n    print(e)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    text = out.stdout
    assert "SCHEDULER asks for a Dask cluster" in text and "pip install --target" in text
    assert "installer dialog" in text and "leave SCHEDULER empty" in text
