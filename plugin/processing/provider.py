"""Processing provider `epitome`."""

import os

from qgis.core import QgsProcessingProvider
from qgis.PyQt.QtGui import QIcon

from .embedlabels import EmbedLabelsAlgorithm
from .epitomiclsr import EpitomicLsrAlgorithm
from .estimatecomposition import EstimateCompositionAlgorithm
from .evaluate import EvaluateAlgorithm
from .example_models import example_models
from .predict import PredictAlgorithm
from .selfepitomiclsr import SelfEpitomicLsrAlgorithm
from .trainepitome import TrainEpitomeAlgorithm

from .. import ICONS

ICON = os.path.join(ICONS, "epitome.svg")


class EpitomeProvider(QgsProcessingProvider):
    def id(self):
        return "epitome"

    def name(self):
        return "Epitome"

    def longName(self):  # noqa: N802
        from ...algorithms import __version__

        return f"Epitome label super-resolution {__version__}"

    def icon(self):
        return QIcon(ICON)

    def svgIconPath(self):  # noqa: N802
        return ICON

    def loadAlgorithms(self):  # noqa: N802
        for alg in (SelfEpitomicLsrAlgorithm(), EvaluateAlgorithm(), TrainEpitomeAlgorithm(),
                    EstimateCompositionAlgorithm(), EmbedLabelsAlgorithm(), EpitomicLsrAlgorithm(), PredictAlgorithm(),
                    *example_models()):
            self.addAlgorithm(alg)
