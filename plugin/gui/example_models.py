"""Opening a shipped example model in QGIS's Model Designer: a right-click entry of the Processing Toolbox
("Open a copy in the Model Designer…") on the models listed under Epitome > Example models.

The designer gets a copy without a file: Save asks where to put it (QGIS's models folder by default), so the
plugin's own file is never overwritten, and the saved copy is listed under Models, editable from then on.
"""

from processing.gui.ContextAction import ContextAction
from processing.gui.ProviderActions import ProviderContextMenuActions
from qgis.core import QgsProcessingModelAlgorithm

from ..i18n import tr


def is_example_model(alg):
    try:
        return isinstance(alg, QgsProcessingModelAlgorithm) and alg.provider() is not None and \
            alg.provider().id() == "epitome"
    except RuntimeError:
        return False


def open_in_designer(model):
    """A Model Designer window with a copy of `model` (no file: Save asks where). Returns the window."""
    from processing.modeler.ModelerDialog import ModelerDialog

    copy = QgsProcessingModelAlgorithm()
    copy.loadVariant(model.toVariant())
    copy.setSourceFilePath("")
    dlg = ModelerDialog.create()
    dlg.setModel(copy)
    dlg.show()
    dlg.activate()
    return dlg


class OpenExampleModelAction(ContextAction):
    def __init__(self):
        super().__init__()
        self.name = tr("Open a copy in the Model Designer…")
        self.dialog = None  # the Model Designer opened last (kept alive)

    def isEnabled(self):  # noqa: N802
        return is_example_model(self.itemData)

    def execute(self):
        self.dialog = open_in_designer(self.itemData)


def register():
    """Adds the toolbox entry; returns what unregister() takes."""
    actions = [OpenExampleModelAction()]
    ProviderContextMenuActions.registerProviderContextMenuActions(actions)
    return actions


def unregister(actions):
    try:
        ProviderContextMenuActions.deregisterProviderContextMenuActions(actions or [])
    except ValueError:
        pass
