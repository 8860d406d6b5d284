#!/usr/bin/env python3
"""docs/real_patch.png: one shared real NAIP/NLCD patch (../shared/data/chesapeake-wv) through qgis_process, as
make demo does for the generated scene: epitome:selfepitomiclsr, epitome:baselines and epitome:evaluate at their
defaults, then imagery | NLCD | smooth baseline | Epitome | truth.

Run with QGIS's interpreter after `make install`: /usr/bin/python3 scripts/real_patch_figure.py [--patch N]
"""

from _bootstrap import DATA as SHARED_DATA
from _bootstrap import ROOT  # first: the checkout and PyTorch on sys.path

import argparse
import os
import sys
import tempfile

from demo import figure, qgis_process  # noqa: E402

DATA = os.path.join(SHARED_DATA, "chesapeake-wv")


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--patch", type=int, default=0)
    ap.add_argument("--out", default=os.path.join(ROOT, "docs", "real_patch.png"))
    a = ap.parse_args()
    stem = os.path.join(DATA, f"wv-train-{a.patch}")
    if not os.path.exists(stem + "_naip.tif"):
        sys.exit(f"The shared NAIP patches are not at {DATA}: nothing to draw.")
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    with tempfile.TemporaryDirectory() as tmp:
        result, smooth = os.path.join(tmp, "epitome.tif"), os.path.join(tmp, "smooth.tif")
        common = {"IMAGERY": stem + "_naip.tif", "CLASSES": stem + "_nlcd_30m.tif"}
        qgis_process("epitome:selfepitomiclsr", dict(common, OUTPUT=result), env)
        qgis_process("epitome:baselines", dict(common, NAIVE=os.path.join(tmp, "naive.tif"), SMOOTH=smooth), env)
        ev = qgis_process("epitome:evaluate", {"PREDICTION": result, "REFERENCE": stem + "_truth.tif",
                                               "CLASSES": stem + "_nlcd_30m.tif",
                                               "REPORT": os.path.join(tmp, "report.html")}, env)["results"]
        figure({"imagery": stem + "_naip.tif", "classes": stem + "_nlcd_30m.tif", "baseline": smooth,
                "result": result, "truth": stem + "_truth.tif"}, a.out,
               f"Real NAIP 2014 patch wv-train-{a.patch} (256 x 256 m): Epitome {ev['OVERALL_ACCURACY']:.1%}, "
               f"naive {ev['NAIVE_ACCURACY']:.1%}, smooth {ev['SMOOTH_ACCURACY']:.1%}",
               classes_title="NLCD 2011, 30 m, EPSG:5070")
    print(f"wrote {a.out}")


if __name__ == "__main__":
    main()
