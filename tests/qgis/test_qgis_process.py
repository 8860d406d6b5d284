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


