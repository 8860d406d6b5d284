"""Translation of the plugin's own strings.

`tr("text")` (and `tr("text", "disambiguation")`) is what the Qt tool pylupdate5 extracts from the
sources into i18n/epitome.ts (`make ts`): a bare tr() call goes to the context "@default", so it is
translated in that context here. Processing algorithms use their own `self.tr()`, whose context is the
class name, as pylupdate5 records it. Text is never formatted before it is translated: write
tr("... {} ...").format(value), not tr(f"... {value} ...") (tests/qgis/test_i18n.py checks).

install_translator() loads i18n/epitome_<locale>.qm for QGIS's user locale when one is shipped.
"""

import os

from qgis.PyQt.QtCore import QCoreApplication, QLocale, QSettings, QTranslator

CONTEXT = "@default"
FOLDER = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "i18n")


def tr(text, disambiguation=None):
    return QCoreApplication.translate(CONTEXT, text, disambiguation)


def user_locale():
    """QGIS's user interface locale ('de', 'pt_BR', ...)."""
    value = QSettings().value("locale/userLocale", "") or QLocale().name()
    return str(value)


def qm_file(locale=None):
    """The shipped .qm for a locale (full name first, then the language), or None."""
    locale = locale or user_locale()
    for name in (locale, locale.split("_")[0]):
        path = os.path.join(FOLDER, "epitome_{}.qm".format(name))
        if name and os.path.isfile(path):
            return path
    return None


def install_translator(locale=None):
    """Install the translation for the locale; returns the QTranslator (keep it; remove it on unload) or None."""
    path = qm_file(locale)
    if path is None:
        return None
    translator = QTranslator()
    if not translator.load(path):
        return None
    QCoreApplication.installTranslator(translator)
    return translator
