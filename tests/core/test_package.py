"""make package builds a zip that meets the QGIS plugin repository rules."""

import configparser
import os
import subprocess
import sys
import zipfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def test_package_zip(tmp_path):
    subprocess.run([sys.executable, os.path.join(ROOT, "scripts", "package.py"), "--out", str(tmp_path)], check=True,
                   capture_output=True)
    z = zipfile.ZipFile(tmp_path / "epitome.zip")
    names = z.namelist()
    assert {n.split("/")[0] for n in names} == {"epitome"}  # one top folder
    assert not [n for n in names if "__pycache__" in n or n.endswith(".pyc") or "/.git" in n or "/tests/" in n]
    assert not [n for n in names if "synthetic" in n or n.endswith("scene.py")]  # demo/test data generator stays out
    assert not [n for n in names if os.path.splitext(n)[1].lower() in (".so", ".dll", ".exe", ".pyd", ".tif")]
    for required in ("epitome/__init__.py", "epitome/metadata.txt", "epitome/LICENSE",
                     "epitome/plugin/processing/provider.py", "epitome/algorithms/lsr/tile.py",
                     "epitome/resources/compositions/nlcd_4class.csv", "epitome/resources/icons/epitome.svg",
                     "epitome/i18n/epitome.ts", "epitome/plugin/i18n.py",
                     "epitome/resources/models/lsr_and_evaluate.model3",
                     "epitome/resources/models/lsr_with_estimated_composition.model3"):
        assert required in names
    meta = configparser.ConfigParser()
    meta.read_string(z.read("epitome/metadata.txt").decode("utf-8"))
    g = meta["general"]
    for key in ("name", "qgisMinimumVersion", "description", "about", "version", "author", "email", "repository",
                "tracker"):
        assert g.get(key, "").strip(), key
    assert g["hasProcessingProvider"] == "yes" and g["qgisMinimumVersion"] == "3.22"
    assert "PyTorch" in g["about"]  # dependencies stated in `about`
    assert "epitome/" + g["icon"] in names
    assert b"GNU GENERAL PUBLIC LICENSE" in z.read("epitome/LICENSE")
