"""Reliability rows of docs/RELIABILITY.md that hold for every algorithm (issue 18): no output over an input or
over another output, values out of range or enums by name on the command line, nothing written beside the inputs,
help that reads well in the dialog and in qgis_process."""

import os

import pytest
from qgis.core import QgsApplication, QgsProcessingContext, QgsProcessingException, QgsProcessingFeedback

from qgis_scenes import copy_tree_files, halves, img_gt, make_imagery, md5, write_raster

LSR, BASE, EVAL, EST = "epitome:selfepitomiclsr", "epitome:baselines", "epitome:evaluate", "epitome:estimatecomposition"
TRAIN, EMBED, ELSR, PREDICT = "epitome:trainepitome", "epitome:embedlabels", "epitome:epitomiclsr", "epitome:predict"


@pytest.fixture
def inputs(tmp_path):
    """Input files in their own folder: imagery (4 bands), classes, labels, a CSV, a stand-in model file."""
    d = tmp_path / "in"
    d.mkdir()
    files = dict(
        img=write_raster(d / "imagery.tif", make_imagery(32, 32), img_gt()),
        cls=write_raster(d / "classes.tif", halves(32, 32), img_gt()),
        lab=write_raster(d / "labels.tif", halves(32, 32, 2, 3), img_gt()),
        csv=str(d / "comp.csv"), model=str(d / "m.epitome"))
    (d / "comp.csv").write_text("class,forest,field\n41,0.9,0.1\n82,0.1,0.9\n")
    (d / "m.epitome").write_bytes(b"not read: the run is refused before")
    return files


# (algorithm, parameters, the two parameters named in the message); "@x" = the input file x
COLLISIONS = [
    (LSR, dict(IMAGERY="@img", CLASSES="@cls", OUTPUT="@img"), ("OUTPUT", "IMAGERY")),
    (LSR, dict(IMAGERY="@img", CLASSES="@cls", OUTPUT="@cls"), ("OUTPUT", "CLASSES")),
    (LSR, dict(IMAGERY="@img", CLASSES="@cls", COMPOSITION="@csv", OUTPUT="@csv"), ("OUTPUT", "COMPOSITION")),
    (LSR, dict(IMAGERY="@img", CLASSES="@cls", OUTPUT="out.tif", CONFIDENCE="out.tif"), ("CONFIDENCE", "OUTPUT")),
    (LSR, dict(IMAGERY="@img", CLASSES="@cls", OUTPUT="out.tif", PROBABILITIES="@img"), ("PROBABILITIES", "IMAGERY")),
    (BASE, dict(IMAGERY="@img", CLASSES="@cls", NAIVE="@img"), ("NAIVE", "IMAGERY")),
    (BASE, dict(IMAGERY="@img", CLASSES="@cls", NAIVE="b.tif", SMOOTH="b.tif"), ("SMOOTH", "NAIVE")),
    (EVAL, dict(PREDICTION="@lab", REFERENCE="@cls", REPORT="@cls"), ("REPORT", "REFERENCE")),
    (EVAL, dict(PREDICTION="@lab", REFERENCE="@cls", REPORT="r.html", CSV="@lab"), ("CSV", "PREDICTION")),
    (EST, dict(REFERENCE="@lab", CLASSES="@cls", OUTPUT="@lab"), ("OUTPUT", "REFERENCE")),
    (EST, dict(REFERENCE="@lab", CLASSES="@cls", OUTPUT="@cls"), ("OUTPUT", "CLASSES")),
    (TRAIN, dict(IMAGERY=["@img"], MODEL="@img", SIZE=16, PATCH_MIN=5, PATCH_MAX=9), ("MODEL", "IMAGERY")),
    (TRAIN, dict(IMAGERY=["@img"], MODEL="m2.epitome", EPITOME_IMAGE="@img", SIZE=16, PATCH_MIN=5, PATCH_MAX=9),
     ("EPITOME_IMAGE", "IMAGERY")),
    (TRAIN, dict(IMAGERY=["@img"], MODEL="@model", INIT="@model"), ("MODEL", "INIT")),
    (PREDICT, dict(MODEL="@model", IMAGERY="@img", OUTPUT="@img"), ("OUTPUT", "IMAGERY")),
    (PREDICT, dict(MODEL="@model", IMAGERY="@img", OUTPUT="p.tif", NOVELTY="p.tif"), ("NOVELTY", "OUTPUT")),
    (EMBED, dict(MODEL="@model", IMAGERY=["@img"], LABELS=["@lab"], OUTPUT_MODEL="@model"), ("OUTPUT_MODEL", "MODEL")),
    (EMBED, dict(MODEL="@model", IMAGERY=["@img"], LABELS=["@lab"], OUTPUT_MODEL="e.epitome",
                 EMBEDDING_IMAGE="@lab"), ("EMBEDDING_IMAGE", "LABELS")),
    (ELSR, dict(MODEL="@model", IMAGERY=["@img"], CLASSES=["@cls"], OUTPUT_MODEL="@model"), ("OUTPUT_MODEL", "MODEL")),
    (ELSR, dict(MODEL="@model", IMAGERY=["@img"], CLASSES=["@cls"], OUTPUT_MODEL="l.epitome", OUTPUT="@cls"),
     ("OUTPUT", "CLASSES")),
]
COLLISION_IDS = [f"{a.split(':')[1]}-{x}={y}" for a, _, (x, y) in COLLISIONS]


def resolve(params, files, out_dir):
    """'@x' -> the input file x; other file names -> out_dir/name."""
    def one(v):
        if isinstance(v, str) and v.startswith("@"):
            return files[v[1:]]
        if isinstance(v, str) and "." in v:
            return str(out_dir / v)
        return v
    return {k: [one(x) for x in v] if isinstance(v, list) else one(v) for k, v in params.items()}


@pytest.mark.parametrize("alg_id, params, names", COLLISIONS, ids=COLLISION_IDS)
def test_output_over_an_input_or_another_output_is_refused(epitome_provider, inputs, tmp_path, alg_id, params, names):
    """Every algorithm refuses, before any work, to write an output over an input of the same run or over another
    of its outputs, naming both parameters; the user's files are untouched and nothing is written."""
    import processing

    before = copy_tree_files(os.path.dirname(inputs["img"]))
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    with pytest.raises(QgsProcessingException) as e:
        processing.run(alg_id, dict(resolve(params, inputs, out_dir), DEVICE="cpu") if alg_id not in (BASE, EVAL, EST)
                       else resolve(params, inputs, out_dir))
    msg = str(e.value)
    assert all(n in msg for n in names) and "same file" in msg, msg
    assert copy_tree_files(os.path.dirname(inputs["img"])) == before
    assert os.listdir(out_dir) == []


def test_paths_are_compared_resolved(epitome_provider, inputs, tmp_path):
    """A symlink to the input, a path through '..' and './', and a symlinked folder all name the input."""
    import processing

    link = tmp_path / "link.tif"
    os.symlink(inputs["img"], link)
    folder_link = tmp_path / "folder_link"
    os.symlink(os.path.dirname(inputs["img"]), folder_link)
    dotted = os.path.join(os.path.dirname(inputs["img"]), ".", "..", "in", "imagery.tif")
    before = md5(inputs["img"])
    for out in (str(link), dotted, str(folder_link / "imagery.tif")):
        with pytest.raises(QgsProcessingException) as e:
            processing.run(BASE, {"IMAGERY": inputs["img"], "CLASSES": inputs["cls"], "NAIVE": out})
        assert "NAIVE and IMAGERY are the same file" in str(e.value), (out, str(e.value))
    assert md5(inputs["img"]) == before


def test_collision_refused_on_every_run_path(epitome_provider, inputs):
    """A run that skips checkParameterValues (the task manager, models) is refused in prepareAlgorithm."""
    alg = QgsApplication.processingRegistry().createAlgorithmById(BASE)
    before = md5(inputs["img"])
    fb = QgsProcessingFeedback()
    errors = []
    fb.reportError = lambda msg, fatal=False: errors.append(msg)
    ok = alg.prepare({"IMAGERY": inputs["img"], "CLASSES": inputs["cls"], "NAIVE": inputs["img"]},
                     QgsProcessingContext(), fb)
    assert ok is False
    assert md5(inputs["img"]) == before


# --------------------------------------------------------------------------------------------
# qgis_process: SIGTERM while writing
# --------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def qp(tmp_path_factory):
    from qgis_scenes import QGIS_PROCESS, qgis_process_runner

    if not os.path.exists(QGIS_PROCESS):
        pytest.skip("qgis_process.bin not installed")
    run = qgis_process_runner(tmp_path_factory.mktemp("qgis_process_reliability"))
    enabled = run("plugins", "enable", "epitome")
    assert enabled.returncode == 0 or "already" in (enabled.stdout + enabled.stderr).lower(), enabled.stderr
    return run


@pytest.mark.timeout(300)
def test_sigterm_during_writing_leaves_no_partial_file(qp, tmp_path):
    """qgis_process ended by SIGTERM while the label map is being written: no hidden .partial.tif is left, no
    output appears, and the process ends as SIGTERM ends it."""
    import signal
    import subprocess
    import time

    from qgis_scenes import QGIS_PROCESS

    img = write_raster(tmp_path / "img.tif", make_imagery(384, 384), img_gt())
    cls = write_raster(tmp_path / "cls.tif", halves(384, 384), img_gt())
    out = tmp_path / "out"
    out.mkdir()
    env = dict(os.environ, QGIS_PLUGINPATH=os.path.join(qp.base, "plugins"), HOME=os.path.join(qp.base, "home"),
               QT_QPA_PLATFORM="offscreen", XDG_RUNTIME_DIR=str(qp.base))
    from qgis_scenes import deps_dir

    env["EPITOME_DEPS"] = deps_dir()
    for k in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV"):
        env.pop(k, None)
    p = subprocess.Popen([QGIS_PROCESS, "run", LSR, "--", f"IMAGERY={img}", f"CLASSES={cls}", "TILE_SIZE=64",
                          "PATCH_SIZE=5", "SAMPLES=0.2", "EM_ITERATIONS=30", "APPEARANCE_WEIGHT=1", "DEVICE=cpu",
                          f"OUTPUT={out / 'labels.tif'}", f"PROBABILITIES={out / 'p.tif'}"],
                         env=env, cwd=str(qp.base), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        t_end = time.time() + 120
        while time.time() < t_end and p.poll() is None and not [n for n in os.listdir(out) if ".partial" in n]:
            time.sleep(0.05)
        assert p.poll() is None, "the run ended before writing could be interrupted"
        assert [n for n in os.listdir(out) if ".partial" in n], "no partial file seen"
        time.sleep(0.5)  # well inside the writing
        p.send_signal(signal.SIGTERM)
        assert p.wait(timeout=30) == -signal.SIGTERM
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
    assert os.listdir(out) == [], os.listdir(out)
