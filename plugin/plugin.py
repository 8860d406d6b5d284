"""The QGIS plugin object: registers the Processing provider (also headless) and a menu."""

import os

from qgis.core import QgsApplication
from qgis.PyQt.QtCore import QCoreApplication
from qgis.PyQt.QtGui import QIcon
from qgis.PyQt.QtWidgets import QAction, QMessageBox

from .deps import add_dependency_folders

ICONS = os.path.join(os.path.dirname(os.path.dirname(__file__)), "resources", "icons")
ICON = os.path.join(ICONS, "epitome.svg")
MENU = "&Epitome"


def tr(text):
    return QCoreApplication.translate("Epitome", text)


class EpitomePlugin:
    def __init__(self, iface):
        self.iface = iface
        self.provider = None
        self.actions = []
        add_dependency_folders()

    # Called by QGIS (desktop and qgis_process) so the provider exists without a GUI.
    def initProcessing(self):  # noqa: N802
        from .provider import EpitomeProvider

        if self.provider is None:
            self.provider = EpitomeProvider()
            QgsApplication.processingRegistry().addProvider(self.provider)

    def initGui(self):  # noqa: N802
        self.initProcessing()
        if self.iface is None:
            return
        items = [
            (tr("Self-epitomic label super-resolution…"), "epitome:selfepitomiclsr", "lsr.svg"),
            (tr("Evaluate a label map…"), "epitome:evaluate", "evaluate.svg"),
            (tr("Train epitomes…"), "epitome:trainepitome", "train.svg"),
        ]
        for text, alg_id, icon in items:
            act = QAction(QIcon(os.path.join(ICONS, icon)), text, self.iface.mainWindow())
            act.triggered.connect(lambda _=False, a=alg_id: self._open(a))
            self.iface.addPluginToRasterMenu(MENU, act)
            self.actions.append(act)
        about = QAction(QIcon(ICON), tr("About Epitome"), self.iface.mainWindow())
        about.triggered.connect(self._about)
        self.iface.addPluginToRasterMenu(MENU, about)
        self.actions.append(about)

    def unload(self):
        for act in self.actions:
            if self.iface is not None:
                self.iface.removePluginRasterMenu(MENU, act)
        self.actions = []
        if self.provider is not None:
            QgsApplication.processingRegistry().removeProvider(self.provider)
            self.provider = None

    def _open(self, alg_id):
        from processing import execAlgorithmDialog

        execAlgorithmDialog(alg_id, {})

    def _about(self):
        from ..algorithms import __version__
        from ..algorithms.device import torch_status

        ok, msg = torch_status()
        QMessageBox.about(
            self.iface.mainWindow(), tr("About Epitome"),
            tr("<h3>Epitome {}</h3><p>Label super-resolution with epitomic representations: high-resolution "
               "land cover from imagery and coarse classes (Malkin, Ortiz, Jojic, ECCV 2020).</p>"
               "<p>Algorithms are in the Processing toolbox under <b>Epitome</b>.</p><p>{}</p>"
               "<p>License: GPL-2.0-or-later.</p>").format(__version__, msg))
