"""Outputs are styled when QGIS loads them: paletted labels with names, Viridis probabilities."""

from qgis.core import QgsProcessingContext, QgsProcessingFeedback, QgsProject, QgsRasterLayer

from epitome.algorithms.composition.table import load_composition
from epitome.plugin.processing.styling import _KEEP, style_label_output, style_probability_output


def _styled(path, attach):
    ctx = QgsProcessingContext()
    ctx.addLayerToLoadOnCompletion(path, QgsProcessingContext.LayerDetails("x", QgsProject.instance(), "x"))
    attach(ctx)
    styler = ctx.layerToLoadOnCompletionDetails(path).postProcessor()
    assert styler is not None and styler in _KEEP  # kept alive after the algorithm returns
    layer = QgsRasterLayer(path, "raw")
    assert layer.isValid()
    styler.postProcessLayer(layer, ctx, QgsProcessingFeedback())
    return layer


def test_label_and_probability_styles(run_lsr, tmp_path):
    res, _ = run_lsr(CONFIDENCE=str(tmp_path / "conf.tif"))
    comp = load_composition(None)
    layer = _styled(res["OUTPUT"], lambda ctx: style_label_output(ctx, res["OUTPUT"], comp, "High-resolution labels"))
    r = layer.renderer()
    assert r.type() == "paletted" and layer.name() == "High-resolution labels"
    assert [(c.value, c.label, c.color.name()) for c in r.classes()] == [
        (1, "water", "#0070ff"), (2, "forest", "#267300"), (3, "field", "#a3ff73"), (4, "built", "#e60000")]
    conf = _styled(res["CONFIDENCE"], lambda ctx: style_probability_output(ctx, res["CONFIDENCE"], None, "Confidence"))
    assert conf.renderer().type() == "singlebandpseudocolor" and conf.name() == "Confidence"
    assert conf.renderer().classificationMax() == 1.0


def test_no_styler_when_output_is_not_loaded(run_lsr):
    res, _ = run_lsr()
    ctx = QgsProcessingContext()
    style_label_output(ctx, res["OUTPUT"], load_composition(None), "x")  # nothing to attach: must not fail
    assert not ctx.willLoadLayerOnCompletion(res["OUTPUT"])


def test_toolbox_runs_are_named_after_the_input_and_grouped(epitome_provider, scene, qgis_iface, monkeypatch):
    """Two runs from the toolbox (temporary outputs, loaded as the dialog loads them): two groups, distinct
    names after the imagery, the label map on top and the confidence unchecked."""
    import processing
    from qgis.core import QgsLayerTreeModel
    from qgis.gui import QgsLayerTreeView

    from qgis_scenes import FAST

    prj = QgsProject.instance()
    prj.removeAllMapLayers()
    prj.layerTreeRoot().removeAllChildren()
    view = QgsLayerTreeView()  # the Layers panel
    view.setModel(QgsLayerTreeModel(prj.layerTreeRoot(), view))
    try:
        for _ in range(2):
            processing.runAndLoadResults("epitome:selfepitomiclsr", dict(
                FAST, IMAGERY=scene.imagery, CLASSES=scene.classes, OUTPUT="TEMPORARY_OUTPUT",
                CONFIDENCE="TEMPORARY_OUTPUT"))
        groups = prj.layerTreeRoot().children()
        assert [g.name() for g in groups] == ["imagery – Epitome LSR (2)", "imagery – Epitome LSR"]
        assert [n.name() for n in groups[1].children()] == ["imagery labels", "imagery confidence"]
        assert [n.name() for n in groups[0].children()] == ["imagery labels (2)", "imagery confidence (2)"]
        assert groups[0].children()[0].isVisible() and not groups[0].children()[1].isVisible()
        assert groups[0].children()[0].layer().renderer().type() == "paletted"
        assert all(view.isExpanded(view.node2index(g)) for g in groups)  # the new legends show
    finally:
        prj.removeAllMapLayers()
        prj.layerTreeRoot().removeAllChildren()


def test_a_named_output_is_named_after_its_file(epitome_provider, scene, tmp_path):
    import processing

    from qgis_scenes import FAST

    prj = QgsProject.instance()
    prj.removeAllMapLayers()
    prj.layerTreeRoot().removeAllChildren()
    try:
        processing.runAndLoadResults("epitome:selfepitomiclsr", dict(
            FAST, IMAGERY=scene.imagery, CLASSES=scene.classes, OUTPUT=str(tmp_path / "wv_landcover.tif")))
        assert [n.name() for n in prj.layerTreeRoot().children()] == ["wv_landcover labels"]  # one layer: no group
    finally:
        prj.removeAllMapLayers()
        prj.layerTreeRoot().removeAllChildren()


def test_epitome_image_gets_a_name_and_never_an_unknown_crs(tmp_path):
    """An epitome image has no CRS (it is a picture): loaded, it takes the project's CRS and its file's name."""
    from qgis.core import QgsCoordinateReferenceSystem

    from epitome.plugin.processing.styling import style_epitome_image

    from qgis_scenes import make_imagery, write_raster

    path = write_raster(tmp_path / "naip_model_image.tif", make_imagery(32, 32, 8).astype("float32"), None, None)  # C=3: 2C+2 bands
    prj = QgsProject.instance()
    old = prj.crs()
    prj.setCrs(QgsCoordinateReferenceSystem("EPSG:26917"))
    try:
        layer = _styled(path, lambda ctx: style_epitome_image(ctx, path, "Epitome"))
        assert layer.crs().authid() == "EPSG:26917" and layer.name() == "naip_model_image epitome"
        assert layer.renderer().type() == "multibandcolor"
    finally:
        prj.setCrs(old)


def qgis_app_rules(prj, view):
    """What the QGIS desktop (QgisApp) does around the Layers panel, which pytest-qgis has not: it selects a layer
    it adds (autoSelectAddedLayer), and adds the next layers above the selected node - into it when it is a
    group, else into the selected layer's group (layerTreeInsertionPoint, recomputed when the selection moves)."""
    from qgis.core import QgsLayerTree, QgsLayerTreeRegistryBridge

    bridge = prj.layerTreeRegistryBridge()

    def update(*_):
        node = view.currentNode()
        if node is None:
            point = QgsLayerTreeRegistryBridge.InsertionPoint(prj.layerTreeRoot(), 0)
        elif QgsLayerTree.isGroup(node):
            point = QgsLayerTreeRegistryBridge.InsertionPoint(node, 0)
        else:
            point = QgsLayerTreeRegistryBridge.InsertionPoint(node.parent(), node.parent().children().index(node))
        bridge.setLayerInsertionPoint(point)

    def select(layers):
        if layers:
            view.setCurrentLayer(layers[0])

    view.selectionModel().currentChanged.connect(update)
    bridge.addedLayersToLayerTree.connect(select)
    return lambda: bridge.addedLayersToLayerTree.disconnect(select)


def test_layers_added_after_a_toolbox_run_go_above_its_group(epitome_provider, scene, monkeypatch):
    """QGIS selects the result it loads; once the result is moved into the run's group, new layers would land in
    that group. They go above it, where QGIS put the result; the label map stays selected."""
    import processing
    from qgis.core import QgsLayerTreeModel
    from qgis.gui import QgsLayerTreeView

    from epitome.plugin.processing import styling

    from qgis_scenes import FAST

    prj = QgsProject.instance()
    prj.removeAllMapLayers()
    prj.layerTreeRoot().removeAllChildren()
    view = QgsLayerTreeView()
    view.setModel(QgsLayerTreeModel(prj.layerTreeRoot(), view))
    monkeypatch.setattr(styling, "layer_tree_view", lambda: view, raising=False)
    undo = qgis_app_rules(prj, view)
    try:
        prj.addMapLayer(QgsRasterLayer(scene.imagery, "naip"))
        processing.runAndLoadResults("epitome:selfepitomiclsr", dict(
            FAST, IMAGERY=scene.imagery, CLASSES=scene.classes, OUTPUT="TEMPORARY_OUTPUT",
            CONFIDENCE="TEMPORARY_OUTPUT"))
        group = prj.layerTreeRoot().children()[0]
        assert group.name() == "naip – Epitome LSR" and view.currentLayer().name() == "naip labels"
        later = QgsRasterLayer(scene.truth, "added later")
        prj.addMapLayer(later)
        node = prj.layerTreeRoot().findLayer(later.id())
        assert node.parent() is prj.layerTreeRoot(), node.parent().name()
        assert [n.name() for n in prj.layerTreeRoot().children()] == ["added later", group.name(), "naip"]
    finally:
        undo()
        prj.removeAllMapLayers()
        prj.layerTreeRoot().removeAllChildren()
