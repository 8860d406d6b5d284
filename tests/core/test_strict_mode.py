"""`make test` says why a test was skipped (-rs), and in strict mode (EPITOME_STRICT=1, set by .ci/run) a skip
fails the run; the real data are expected when EPITOME_DATA is set or in strict mode, unless EPITOME_DATA=none
(tests/conftest.py). Checked by running pytest on the probe below in a child process."""

import os
import subprocess
import sys

import pytest

HERE = os.path.abspath(__file__)
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(HERE)))


def test_probe(request):
    """Does nothing in a normal run; the child runs below make it skip or ask for the real data."""
    what = os.environ.get("EPITOME_STRICT_PROBE", "")
    if what == "skip":
        pytest.skip("probe: PyTorch is missing (simulated)")
    if what == "data":
        request.getfixturevalue("chesapeake_data")


def run(probe, **env):
    e = {k: v for k, v in os.environ.items() if k not in ("EPITOME_STRICT", "EPITOME_DATA")}
    e.update(env, EPITOME_STRICT_PROBE=probe)
    p = subprocess.run([sys.executable, "-m", "pytest", "-q", "-rs", "-p", "no:cacheprovider",
                        HERE + "::test_probe"], cwd=ROOT, env=e, capture_output=True, text=True, timeout=120)
    return p.returncode, p.stdout + p.stderr


def test_skip_reasons_are_printed_and_strict_mode_fails_on_a_skip():
    rc, out = run("skip")
    assert rc == 0 and "SKIPPED" in out and "probe: PyTorch is missing (simulated)" in out
    rc, out = run("skip", EPITOME_STRICT="1")
    assert rc != 0 and "EPITOME_STRICT: skipped tests fail the run" in out and "PyTorch is missing" in out


def test_real_data_are_expected_in_strict_mode_or_when_named(tmp_path):
    missing = str(tmp_path / "no-data-here")
    rc, out = run("data", EPITOME_DATA=missing)
    assert rc != 0 and "not at" in out and "failed" in out  # named: a failure, not a skip
    rc, out = run("data", EPITOME_DATA="none", EPITOME_STRICT="1")
    assert rc == 0 and "EPITOME_DATA=none" in out  # a machine without data says so, and strict mode accepts it
