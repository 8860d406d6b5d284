"""The example graphical models shipped in resources/models, listed in the toolbox under the provider."""

import glob
import os

from qgis.core import QgsProcessingModelAlgorithm

from ...algorithms import RESOURCES

MODELS = os.path.join(RESOURCES, "models")


def example_models():
    """One model algorithm per resources/models/*.model3 that loads (a broken file is skipped)."""
    out = []
    for path in sorted(glob.glob(os.path.join(MODELS, "*.model3"))):
        m = QgsProcessingModelAlgorithm()
        if m.fromFile(path):
            m.setSourceFilePath(path)
            out.append(m)
    return out
