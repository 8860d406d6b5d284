"""Processing provider `epitome`."""

import os

from qgis.core import QgsProcessingProvider
from qgis.PyQt.QtGui import QIcon

from .alg_estimatecomposition import EstimateCompositionAlgorithm
from .alg_evaluate import EvaluateAlgorithm
from .alg_selfepitomiclsr import SelfEpitomicLsrAlgorithm
from .alg_trainepitome import TrainEpitomeAlgorithm

ICON = os.path.join(os.path.dirname(os.path.dirname(__file__)), "resources", "icons", "epitome.svg")


class EpitomeProvider(QgsProcessingProvider):
    def id(self):
        return "epitome"

    def name(self):
        return "Epitome"

    def longName(self):  # noqa: N802
        from ..algorithms import __version__

        return f"Epitome label super-resolution {__version__}"

    def icon(self):
        return QIcon(ICON)

    def svgIconPath(self):  # noqa: N802
        return ICON

    def loadAlgorithms(self):  # noqa: N802
        for alg in (SelfEpitomicLsrAlgorithm(), EvaluateAlgorithm(), TrainEpitomeAlgorithm(),
                    EstimateCompositionAlgorithm()):
            self.addAlgorithm(alg)
