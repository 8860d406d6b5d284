"""The QGIS plugin object: registers the Processing provider (also headless) and a menu."""

import os

from qgis.core import QgsApplication
from qgis.PyQt.QtGui import QIcon
from qgis.PyQt.QtWidgets import QAction, QMessageBox

from . import ICONS
from .i18n import install_translator, tr
from .install.deps import add_dependency_folders

ICON = os.path.join(ICONS, "epitome.svg")
MENU = "&Epitome"




class EpitomePlugin:
    def __init__(self, iface):
        self.iface = iface
        self.provider = None
        self.actions = []
        self.monitor = self.toolbar = self.options_factory = self.dep_dialog = self.wizard = None
        self.model_actions = None
        self.translator = None
        add_dependency_folders()

    # Called by QGIS (desktop and qgis_process) so the provider exists without a GUI.
    def initProcessing(self):  # noqa: N802
        from .processing.provider import EpitomeProvider

        if self.translator is None:
            self.translator = install_translator()  # i18n/epitome_<locale>.qm when one is shipped
        reg = QgsApplication.processingRegistry()
        if self.provider is None and reg.providerById("epitome") is None:  # not twice (a test harness may have)
            self.provider = EpitomeProvider()
            reg.addProvider(self.provider)

    def initGui(self):  # noqa: N802
        self.initProcessing()
        if self.iface is None:
            return
        from .processing.training_hub import hub

        hub()  # the relay lives in the GUI thread
        win = self.iface.mainWindow()
        self.toolbar = self.iface.addToolBar(tr("Epitome"))
        self.toolbar.setObjectName("EpitomeToolbar")

        wizard = QAction(QIcon(os.path.join(ICONS, "lsr.svg")), tr("Label super-resolution wizard…"), win)
        wizard.setToolTip(tr("Imagery + coarse classes -> a high-resolution label map, step by step"))
        wizard.triggered.connect(self.open_wizard)
        self.iface.addPluginToRasterMenu(MENU, wizard)
        self.toolbar.addAction(wizard)
        self.actions.append(wizard)

        self._add_monitor(win)

        items = [
            (tr("Self-epitomic label super-resolution (algorithm)…"), "epitome:selfepitomiclsr", "lsr.svg"),
            (tr("Estimate composition from a labelled area…"), "epitome:estimatecomposition", "epitome.svg"),
            (tr("Evaluate a label map…"), "epitome:evaluate", "evaluate.svg"),
            (tr("Train epitomes…"), "epitome:trainepitome", "train.svg"),
        ]
        for text, alg_id, icon in items:
            act = QAction(QIcon(os.path.join(ICONS, icon)), text, win)
            act.triggered.connect(lambda _=False, a=alg_id: self._open(a))
            self.iface.addPluginToRasterMenu(MENU, act)
            self.actions.append(act)

        deps = QAction(QIcon(ICON), tr("Install or update PyTorch…"), win)
        deps.triggered.connect(self.open_dependencies)
        self.iface.addPluginToRasterMenu(MENU, deps)
        self.actions.append(deps)
        about = QAction(QIcon(ICON), tr("About Epitome"), win)
        about.triggered.connect(self._about)
        self.iface.addPluginToRasterMenu(MENU, about)
        self.actions.append(about)

        from .gui.settings_page import register_options_page
        from .install.dependencies import startup_check

        self.options_factory = register_options_page(self.iface)
        from .gui import example_models

        self.model_actions = example_models.register()  # toolbox: right-click > Open a copy in the Model Designer
        startup_check(self.iface, self.open_dependencies)

    def _add_monitor(self, win):
        """The training monitor dock (hidden) and its toggle in the menu and the toolbar."""
        from qgis.PyQt.QtCore import Qt

        from .gui.training_monitor import TrainingMonitorDock

        self.monitor = TrainingMonitorDock(win, open_training_dialog=lambda: self._open("epitome:trainepitome"))
        self.iface.addDockWidget(Qt.RightDockWidgetArea, self.monitor)
        self.monitor.hide()
        monitor = self.monitor.toggleViewAction()
        monitor.setIcon(QIcon(os.path.join(ICONS, "train.svg")))
        monitor.setText(tr("Training monitor"))
        monitor.setToolTip(tr("Show the live curves and epitome of running trainings"))
        self.iface.addPluginToRasterMenu(MENU, monitor)
        self.toolbar.addAction(monitor)
        self.actions.append(monitor)

    def unload(self):
        for act in self.actions:
            if self.iface is not None:
                self.iface.removePluginRasterMenu(MENU, act)
        self.actions = []
        if getattr(self, "monitor", None) is not None:
            self.monitor.shutdown()
            self.iface.removeDockWidget(self.monitor)
            self.monitor.deleteLater()
            self.monitor = None
        if getattr(self, "toolbar", None) is not None:
            self.toolbar.deleteLater()
            self.toolbar = None
        if getattr(self, "wizard", None) is not None:
            self.wizard.shutdown()  # a run still going is stopped without a question
            self.wizard = None
        if getattr(self, "dep_dialog", None) is not None:
            self.dep_dialog.close()
            self.dep_dialog = None
        if getattr(self, "model_actions", None):
            from .gui import example_models

            example_models.unregister(self.model_actions)
            self.model_actions = None
        from .gui.device_choice import stop_shared_probe

        stop_shared_probe()
        if getattr(self, "options_factory", None) is not None:
            from .gui.settings_page import unregister_options_page

            unregister_options_page(self.iface, self.options_factory)
            self.options_factory = None
        if self.provider is not None:
            QgsApplication.processingRegistry().removeProvider(self.provider)
            self.provider = None
        if getattr(self, "translator", None) is not None:
            from qgis.PyQt.QtCore import QCoreApplication

            QCoreApplication.removeTranslator(self.translator)
            self.translator = None

    def open_wizard(self):
        from .gui.lsr_wizard import LsrWizard

        # one wizard at a time: a visible one, or one whose run goes on in the background, comes up again
        if self.wizard is None or not (self.wizard.isVisible() or self.wizard.running()):
            self.wizard = LsrWizard(self.iface, self.iface.mainWindow())
        self.wizard.show()
        self.wizard.raise_()
        return self.wizard

    def open_dependencies(self):
        from .install.installer_dialog import DependencyDialog

        if self.dep_dialog is None or not self.dep_dialog.isVisible():
            self.dep_dialog = DependencyDialog(self.iface.mainWindow())
        self.dep_dialog.show()
        self.dep_dialog.raise_()
        return self.dep_dialog

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
