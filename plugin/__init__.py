"""Everything that imports qgis: plugin class, Processing provider and algorithms, styling."""
