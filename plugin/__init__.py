"""Everything that imports qgis: plugin class, Processing provider and algorithms, styling."""

import os as _os

ICONS = _os.path.join(_os.path.dirname(_os.path.dirname(_os.path.abspath(__file__))), "resources", "icons")
