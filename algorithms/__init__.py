"""The science of Epitome: numpy + torch + GDAL, importable and testable without QGIS.

No module in this package may import qgis (tests/core/test_layering.py enforces it).
torch is imported lazily by the modules that compute, so the plugin loads without it.
"""

__version__ = "0.1.0"

import os as _os

RESOURCES = _os.path.join(_os.path.dirname(_os.path.dirname(_os.path.abspath(__file__))), "resources")
