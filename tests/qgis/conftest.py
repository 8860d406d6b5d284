"""QGIS-side fixtures: the Epitome provider in the Processing registry, small generated scenes.

pytest-qgis (2.1.0, works with QGIS 3.22) provides `qgis_app` (a QgsApplication) and
`qgis_processing` (processing initialised); the provider is registered once per session on top.
"""

import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from qgis_scenes import FAST, PKGROOT, ROOT, Scene  # noqa: E402


@pytest.fixture(scope="session")
def scene(tmp_path_factory):
    """Read-only inputs shared by the session: 96 x 96 4-band uint8 imagery (EPSG:26917, 1 m), NLCD
    classes 41 | 82 at 30 m in EPSG:5070, truth labels 2 | 3 on the imagery grid."""
    return Scene(tmp_path_factory.mktemp("scene"))


@pytest.fixture(scope="session")
def epitome_provider(qgis_app, qgis_processing):
    """The Epitome provider, registered once through the Processing registry."""
    for p in (ROOT, PKGROOT):
        if p not in sys.path:
            sys.path.insert(0, p)
    from qgis.core import QgsApplication

    from epitome.plugin.processing.provider import EpitomeProvider

    reg = QgsApplication.processingRegistry()
    provider = reg.providerById("epitome")
    added = None
    if provider is None:
        added = EpitomeProvider()
        assert reg.addProvider(added)
        provider = added
    yield provider
    if added is not None:
        reg.removeProvider(added)


@pytest.fixture
def processing_runner(epitome_provider, recording_feedback):
    """processing_runner(alg_id, defaults) -> run(feedback=None, **params) -> (results, feedback).
    params override the defaults; a parameter given as None is left out. The feedback records messages."""
    import processing
    from qgis.core import QgsProcessingContext

    def make(alg_id, defaults):
        def run(feedback=None, **params):
            p = {k: v for k, v in dict(defaults, **params).items() if v is not None}
            fb = feedback or recording_feedback()
            ctx = QgsProcessingContext()
            ctx.setFeedback(fb)
            return processing.run(alg_id, p, feedback=fb, context=ctx), fb

        return run

    return make


@pytest.fixture
def recording_feedback():
    """Factory of QgsProcessingFeedback subclasses recording info, warnings and errors."""
    from qgis.core import QgsProcessingFeedback

    class Recording(QgsProcessingFeedback):
        def __init__(self):
            super().__init__()
            self.infos, self.warnings, self.errors = [], [], []

        def pushInfo(self, msg):  # noqa: N802
            self.infos.append(msg)

        def pushWarning(self, msg):  # noqa: N802
            self.warnings.append(msg)

        def reportError(self, msg, fatalError=False):  # noqa: N802,N803
            self.errors.append(msg)

        def text(self):
            return "\n".join(self.infos + self.warnings + self.errors)

    return Recording


@pytest.fixture
def cancelling_feedback(recording_feedback):
    """A recording feedback that cancels at the first progress report; .cancelled_at holds the time.
    The signal is disconnected afterwards (no feedback <-> closure cycle left for the final GC)."""
    import time

    fb = recording_feedback()
    fb.cancelled_at = []

    def on_progress(p):
        if p > 0 and not fb.isCanceled():
            fb.cancelled_at.append(time.time())
            fb.cancel()

    fb.progressChanged.connect(on_progress)
    yield fb
    fb.progressChanged.disconnect(on_progress)


@pytest.fixture
def run_lsr(processing_runner, scene, tmp_path):
    """run_lsr(**params) -> (results, feedback); defaults: the scene and FAST settings, OUTPUT in tmp_path."""
    return processing_runner("epitome:selfepitomiclsr", dict(
        {"IMAGERY": scene.imagery, "CLASSES": scene.classes, "OUTPUT": str(tmp_path / "labels.tif")}, **FAST))


@pytest.fixture(autouse=True)
def collect_qt_garbage():
    """Collect reference cycles (dialogs, runs and their lambdas) after each test, while the
    QgsApplication still exists: Qt objects collected after exitQgis crash the interpreter."""
    yield
    import gc

    gc.collect()
