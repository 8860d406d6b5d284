#!/usr/bin/env python3
"""Mark the plugin enabled in a QGIS profile (desktop reads [PythonPlugins] in QGIS3.ini;
qgis_process 3.22 honours the same setting)."""

import configparser
import os
import sys

profile = sys.argv[1]
ini = os.path.join(profile, "QGIS", "QGIS3.ini")
os.makedirs(os.path.dirname(ini), exist_ok=True)
cp = configparser.RawConfigParser()
cp.optionxform = str
if os.path.exists(ini):
    cp.read(ini, encoding="utf-8")
if not cp.has_section("PythonPlugins"):
    cp.add_section("PythonPlugins")
cp.set("PythonPlugins", "epitome", "true")
with open(ini, "w", encoding="utf-8") as fh:
    cp.write(fh, space_around_delimiters=False)
print(f"enabled epitome in {ini}")
