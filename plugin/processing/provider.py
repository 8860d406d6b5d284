"""Processing provider `epitome`: the algorithms, and the example graphical models shipped in
resources/models/ (listed in the toolbox under Epitome > Example models, runnable like any algorithm, with
stable ids named after their files - epitome:lsr_and_evaluate, ...; right-click > Open a copy in the Model
Designer to change one: plugin/gui/example_models.py)."""

import os

from qgis.core import QgsProcessingModelAlgorithm, QgsProcessingProvider
from qgis.PyQt.QtGui import QIcon

from .. import ICONS
from .aligncoarse import AlignCoarseAlgorithm
from .baselines import BaselinesAlgorithm
from .embedlabels import EmbedLabelsAlgorithm
from .epitomiclsr import EpitomicLsrAlgorithm
from .estimatecomposition import EstimateCompositionAlgorithm
from .evaluate import EvaluateAlgorithm
from .predict import PredictAlgorithm
from .selfepitomiclsr import SelfEpitomicLsrAlgorithm
from .trainepitome import TrainEpitomeAlgorithm

ICON = os.path.join(ICONS, "epitome.svg")
MODELS = os.path.join(os.path.dirname(ICONS), "models")


class ExampleModel(QgsProcessingModelAlgorithm):
    """A shipped example model: its id is its file's name (epitome:lsr_and_evaluate), stable and without spaces,
    whatever its title; its help says where the file is and how to change a copy."""

    def __init__(self, path=""):
        super().__init__()
        self.path = path
        self.model_id = os.path.splitext(os.path.basename(path))[0] if path else ""

    def load(self):
        ok = self.fromFile(self.path)
        self.setSourceFilePath(self.path)
        return ok

    def name(self):
        return self.model_id  # the title stays the display name (QgsProcessingModelAlgorithm.displayName)

    def createInstance(self):  # noqa: N802
        m = ExampleModel(self.path)
        m.loadVariant(self.toVariant())
        m.setSourceFilePath(self.path)
        return m

    def shortHelpString(self):  # noqa: N802
        from ..i18n import tr

        return (super().shortHelpString() or "") + tr(
            "<p><b>To change it</b>: right-click this model in the Processing Toolbox > Open a copy in the Model "
            "Designer, then save the copy under your own name (it is listed under Models). The file shipped with "
            "the plugin: {}</p>").format(self.path)


def example_models(folder=MODELS):
    """The shipped .model3 files as model algorithms (a file that does not load is left out)."""
    out = []
    for name in sorted(os.listdir(folder)) if os.path.isdir(folder) else []:
        if name.endswith(".model3"):
            m = ExampleModel(os.path.join(folder, name))
            if m.load():
                out.append(m)
    return out


def set_install_hint():
    """Every algorithm's "PyTorch missing" message points to this plugin's installer (menu and message bar) and
    gives the exact command for this platform (plugin/install/dependencies.install_hint_text)."""
    from ...algorithms.device import set_install_hint as set_hint
    from ..install.dependencies import install_hint_text

    try:
        set_hint(install_hint_text())
    except Exception:  # noqa: BLE001 - the core's own words stay
        pass


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
        from .base import quiet_inputs_of_a_command_line_run

        quiet_inputs_of_a_command_line_run()
        set_install_hint()
        for alg in (SelfEpitomicLsrAlgorithm(), BaselinesAlgorithm(), EvaluateAlgorithm(), TrainEpitomeAlgorithm(),
                    EstimateCompositionAlgorithm(), EmbedLabelsAlgorithm(), EpitomicLsrAlgorithm(), PredictAlgorithm(),
                    AlignCoarseAlgorithm()):
            self.addAlgorithm(alg)
        for model in example_models():
            self.addAlgorithm(model)
