"""Test set-up: the repo importable as package `epitome` (as QGIS imports it) and as top-level
`algorithms`; PyTorch from the plugin-managed folder (EPITOME_DEPS), as QGIS would find it.

Skips and strict mode (README, "Tests"): `make test` lists every skipped test with its reason (pytest -rs).
With EPITOME_STRICT=1 (set by .ci/run) a skipped test fails the run: in CI PyTorch, QGIS, qgis_process, the Qt
tools and the real data must all be there. The real data are read from $EPITOME_DATA, else
<checkout>/../shared/data; they are expected (a missing folder fails, it is not skipped) when EPITOME_DATA is
set, or in strict mode on a machine that has the data folder. EPITOME_DATA=none states that a machine has none,
and so does the absence of the whole data folder in strict mode (a clean clone on a machine without the data):
those tests are then reported as not run, with the reason, and strict mode accepts it.
"""

import os
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PKGROOT = os.path.join(ROOT, ".pkgroot")
link = os.path.join(PKGROOT, "epitome")
if not os.path.exists(link):
    os.makedirs(PKGROOT, exist_ok=True)
    try:
        os.symlink(ROOT, link)
    except FileExistsError:
        pass
for p in (ROOT, PKGROOT):
    if p not in sys.path:
        sys.path.insert(0, p)
from plugin.install.deps import default_folder  # noqa: E402 (the plugin's own rule for where PyTorch lives)

deps = default_folder()
if os.path.isdir(deps) and deps not in sys.path:
    sys.path.append(deps)
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

STRICT = os.environ.get("EPITOME_STRICT", "") not in ("", "0")
NO_DATA = "EPITOME_DATA=none"  # the words of the one skip strict mode accepts


def data_folder():
    """The folder of the real data sets (chesapeake-wv, real-submetre): $EPITOME_DATA, else ../shared/data."""
    return os.environ.get("EPITOME_DATA") or os.path.join(os.path.dirname(ROOT), "shared", "data")


def real_data(name):
    """The folder of one real data set, for a test that needs it: skipped with the reason when the data are
    not expected, a failure when they are (EPITOME_DATA set, or strict mode)."""
    if os.environ.get("EPITOME_DATA", "").lower() == "none":
        pytest.skip(f"{NO_DATA}: this machine has no real data ({name})")
    folder = os.path.join(data_folder(), name)
    if os.path.isdir(folder):
        return folder
    why = f"the real data {name} are not at {folder}"
    if STRICT and not os.environ.get("EPITOME_DATA") and not os.path.isdir(data_folder()):
        pytest.skip(f"{NO_DATA}: this machine has no data folder {data_folder()} ({name})")
    if os.environ.get("EPITOME_DATA") or STRICT:
        pytest.fail(f"{why}; EPITOME_DATA={os.environ.get('EPITOME_DATA', '')!r}, strict={STRICT}: set EPITOME_DATA to "
                    f"the folder holding {name}, or EPITOME_DATA=none on a machine without data", pytrace=False)
    pytest.skip(f"{why} (set EPITOME_DATA=<folder holding {name}> to run it)")


SHARED_DATA = os.path.join(data_folder(), "chesapeake-wv")


@pytest.fixture
def chesapeake_data():
    """The shared real NAIP / NLCD / truth patches (chesapeake-wv): see real_data()."""
    return real_data("chesapeake-wv")

# The Python 3.9 step of `make test` (tests/py39/run.sh) has no GDAL for that Python: it sets EPITOME_NO_GDAL=1 and
# the test files that need GDAL (tests/gdal_free.py) are not collected; the script prints which.
collect_ignore = []
if os.environ.get("EPITOME_NO_GDAL") == "1":
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    from gdal_free import needs_gdal, test_files  # noqa: E402

    for _folder in ("core", "qgis"):
        _here = os.path.join(os.path.dirname(os.path.abspath(__file__)), _folder)
        collect_ignore += [os.path.relpath(f, os.path.dirname(os.path.abspath(__file__)))
                           for f in test_files(_here) if _folder == "qgis" or needs_gdal(f)]


def pytest_configure(config):
    config.addinivalue_line("markers", "gdal: the test needs GDAL's Python bindings beyond its module's imports "
                                       "(not run in the Python 3.9 step, which has none)")


def pytest_collection_modifyitems(config, items):
    """The Python 3.9 step: tests marked gdal are deselected (and counted as such in the summary)."""
    if os.environ.get("EPITOME_NO_GDAL") != "1":
        return
    keep = [i for i in items if i.get_closest_marker("gdal") is None]
    dropped = [i for i in items if i.get_closest_marker("gdal") is not None]
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = keep
        print("\nnot run here (marked gdal): " + ", ".join(i.nodeid for i in dropped))


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    """Strict mode: every skip (but EPITOME_DATA=none) is listed as a failure of the run."""
    if not STRICT:
        return
    bad = [r for r in terminalreporter.stats.get("skipped", []) if NO_DATA not in str(r.longrepr)]
    if bad:
        terminalreporter.section("EPITOME_STRICT: skipped tests fail the run", sep="=", red=True, bold=True)
        for r in bad:
            terminalreporter.line(f"{r.nodeid}: {r.longrepr[-1] if isinstance(r.longrepr, tuple) else r.longrepr}")


def pytest_sessionfinish(session, exitstatus):
    if not STRICT:
        return
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    skipped = reporter.stats.get("skipped", []) if reporter is not None else []
    if any(NO_DATA not in str(r.longrepr) for r in skipped) and session.exitstatus == 0:
        session.exitstatus = 1
