"""Smoke test of the headless command line: qgis_process (QGIS 3.22) with the plugin from this tree.

/usr/bin/qgis_process is a wrapper that passes a flag 3.22 rejects: the binary qgis_process.bin is used.
The plugin is found through QGIS_PLUGINPATH (a temporary folder with a symlink `epitome` -> the repo) and
HOME is a temporary folder, so neither the user's profile nor an installed copy of the plugin plays a part.
"""

import json
import os

import numpy as np
import pytest

from qgis_scenes import QGIS_PROCESS, halves, img_gt, qgis_process_runner, read, small_pair, write_raster

pytestmark = [
    pytest.mark.timeout(300),
    pytest.mark.skipif(not os.path.exists(QGIS_PROCESS), reason="qgis_process.bin not installed"),
]


@pytest.fixture(scope="module")
def qp(tmp_path_factory):
    """qp(*args) -> CompletedProcess of qgis_process.bin in an isolated profile with the plugin enabled."""
    run = qgis_process_runner(tmp_path_factory.mktemp("qgis_process"))
    listing = run("plugins")
    assert listing.returncode == 0, listing.stderr
    assert "epitome" in listing.stdout, "the plugin in QGIS_PLUGINPATH is not seen:\n" + listing.stdout
    enabled = run("plugins", "enable", "epitome")
    assert enabled.returncode == 0 or "already" in (enabled.stdout + enabled.stderr).lower(), enabled.stderr
    return run


def test_plugins_list_shows_epitome_enabled(qp):
    p = qp("plugins")
    line = [ln for ln in p.stdout.splitlines() if ln.strip().endswith("epitome")]
    assert line and line[0].strip().startswith("*"), p.stdout


def test_list_shows_algorithms(qp):
    p = qp("list")
    assert p.returncode == 0, p.stderr
    assert "epitome:selfepitomiclsr" in p.stdout and "epitome:evaluate" in p.stdout


def test_help_shows_parameters(qp):
    p = qp("help", "epitome:selfepitomiclsr")
    assert p.returncode == 0, p.stderr
    for name in ("IMAGERY", "BANDS", "CLASSES", "COMPOSITION", "TILE_SIZE", "DOWNSAMPLE", "PATCH_SIZE", "SAMPLES",
                 "VARIANCE", "EM_ITERATIONS", "APPEARANCE_ITERATIONS", "FUSION", "FUSION_WEIGHT", "UNKNOWN_AS_NODATA", "DEVICE", "SEED",
                 "OUTPUT", "PROBABILITIES", "CONFIDENCE"):
        assert f"\n{name}: " in p.stdout, f"{name} missing from help"
    assert "self-epitomic" in p.stdout.lower()


def test_run_json(qp, tmp_path):
    img, cls = small_pair(tmp_path)
    out = tmp_path / "labels.tif"
    p = qp("run", "epitome:selfepitomiclsr", "--json", "--", f"IMAGERY={img}", f"CLASSES={cls}", "TILE_SIZE=64",
           "PATCH_SIZE=5", "SAMPLES=0.1", "EM_ITERATIONS=15", "DEVICE=cpu", f"OUTPUT={out}")
    assert p.returncode == 0, p.stdout[-3000:] + p.stderr[-3000:]
    data = json.loads(p.stdout[p.stdout.index("{"):])
    res = data["results"]
    assert res["OUTPUT"] == str(out) and out.is_file()
    assert res["DEVICE_USED"] == "cpu" and int(res["TILES"]) == 1
    assert (tmp_path / "labels.qml").is_file()
    lab = read(out)
    assert lab.shape == (64, 64) and set(np.unique(lab)) <= {1, 2, 3, 4}
    assert np.mean(lab[:, :32] == 2) > 0.85 and np.mean(lab[:, 32:] == 3) > 0.85
    assert data["provider_details"]["long_name"].startswith("Epitome")


def test_run_error_is_clear(qp, tmp_path):
    img, _ = small_pair(tmp_path)
    far = write_raster(tmp_path / "far.tif", halves(64, 64), img_gt(600000.0, 4000000.0))
    out = tmp_path / "labels.tif"
    p = qp("run", "epitome:selfepitomiclsr", "--", f"IMAGERY={img}", f"CLASSES={far}", "TILE_SIZE=64",
           f"OUTPUT={out}")
    assert p.returncode != 0
    text = p.stdout + p.stderr
    assert "do not overlap" in text and "Traceback" not in text, text[-3000:]
    assert not out.exists()
    assert not [n for n in os.listdir(tmp_path) if ".partial" in n]


def test_aligncoarse_json(qp, tmp_path):
    """epitome:aligncoarse at the defaults from the command line: the map moved 15 m east and north is moved back,
    and the offset is in the JSON results (models and scripts read it there)."""
    from synthetic.registration import write_shifted_scene

    img, cls = write_shifted_scene(str(tmp_path / "moved"), 15.0, 15.0)
    out = tmp_path / "aligned.tif"
    p = qp("run", "epitome:aligncoarse", "--json", "--", f"IMAGERY={img}", f"CLASSES={cls}", f"OUTPUT={out}")
    assert p.returncode == 0, p.stdout[-3000:] + p.stderr[-3000:]
    res = json.loads(p.stdout[p.stdout.index("{"):])["results"]
    assert int(res["SHIFT_APPLIED"]) == 1 and abs(res["SHIFT_EAST"] - 15) < 5 and abs(res["SHIFT_NORTH"] - 15) < 5
    assert out.is_file()


def test_make_demo_leaves_the_users_qgis_profile_alone(tmp_path):
    """`make demo` runs qgis_process in a throwaway profile under its output folder: it neither reinstalls the
    plugin in the user's profile nor edits the user's QGIS3.ini."""
    import importlib.util
    import subprocess as sp

    from qgis_scenes import ROOT

    dry = sp.run(["make", "-n", "demo"], cwd=ROOT, capture_output=True, text=True, timeout=60).stdout
    assert "scripts/demo.py" in dry and "enable_plugin.py" not in dry and "unzip -q" not in dry
    assert "python/plugins/epitome" not in dry  # no plugin folder of the user's profile

    real_ini = os.path.join(os.path.expanduser("~"), ".local", "share", "QGIS", "QGIS3", "profiles", "default", "QGIS",
                            "QGIS3.ini")
    before = open(real_ini, "rb").read() if os.path.isfile(real_ini) else None
    spec = importlib.util.spec_from_file_location("demo_script", os.path.join(ROOT, "scripts", "demo.py"))
    demo = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(demo)
    env = demo.throwaway_profile(str(tmp_path))
    assert env["HOME"] == str(tmp_path / "qgis-home") and env["QGIS_PLUGINPATH"] == str(tmp_path / "plugins")
    assert os.path.realpath(str(tmp_path / "plugins" / "epitome")) == os.path.realpath(ROOT)
    ini = tmp_path / "qgis-home" / "qgis-settings" / "profiles" / "default" / "QGIS" / "QGIS3.ini"
    assert "epitome=true" in ini.read_text()  # enabled in the throwaway profile
    after = open(real_ini, "rb").read() if os.path.isfile(real_ini) else None
    assert after == before  # the user's own profile: untouched
