"""PyTorch for QGIS's Python: where it lives, checking it safely, the installer dialog."""
