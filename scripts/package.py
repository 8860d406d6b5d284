#!/usr/bin/env python3
"""Build dist/epitome.zip for the QGIS plugin repository: one top folder `epitome/`, only source
and resources (no .pyc/__pycache__/.git, no binaries, no tests or dev tooling)."""

import argparse
import configparser
import os
import sys
import zipfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
INCLUDE_DIRS = ["algorithms", "plugin", "resources", "i18n"]  # i18n: the .ts template and any .qm
INCLUDE_FILES = ["__init__.py", "metadata.txt", "LICENSE", "README.md", "CHANGELOG.md"]
ALLOWED_EXT = {".py", ".txt", ".md", ".csv", ".svg", ".qml", ".model3", ".html", ".png", ".ui", ".json", ".ts", ".qm"}
REQUIRED_META = ["name", "qgisMinimumVersion", "description", "about", "version", "author", "email",
                 "repository", "tracker", "license"]


def check_metadata():
    cp = configparser.ConfigParser()
    cp.read(os.path.join(ROOT, "metadata.txt"), encoding="utf-8")
    missing = [k for k in REQUIRED_META if not cp.get("general", k, fallback="").strip()]
    if missing:
        sys.exit(f"metadata.txt lacks {missing}")
    return cp


def files():
    for f in INCLUDE_FILES:
        p = os.path.join(ROOT, f)
        if not os.path.isfile(p):
            sys.exit(f"missing {f}")
        yield p, f
    for d in INCLUDE_DIRS:
        for dirpath, dirnames, filenames in os.walk(os.path.join(ROOT, d)):
            dirnames[:] = sorted(x for x in dirnames if x != "__pycache__" and not x.startswith("."))
            for fn in sorted(filenames):
                ext = os.path.splitext(fn)[1].lower()
                if fn.startswith(".") or ext not in ALLOWED_EXT:
                    continue
                full = os.path.join(dirpath, fn)
                yield full, os.path.relpath(full, ROOT)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default=os.path.join(ROOT, "dist"))
    a = ap.parse_args()
    cp = check_metadata()
    os.makedirs(a.out, exist_ok=True)
    target = os.path.join(a.out, "epitome.zip")
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as z:
        for full, rel in files():
            z.write(full, os.path.join("epitome", rel))
    print(f"{target}: Epitome {cp.get('general', 'version')}, {len(zipfile.ZipFile(target).namelist())} files")


if __name__ == "__main__":
    main()
