"""`make gpu-check` (scripts/gpu_check.py) on a machine without CUDA: it runs the CPU part of every section and exits
0. Run here so that a rename in the core cannot break the script a GPU machine will run (it did: PredictOutputs)."""

import os
import subprocess
import sys

import pytest

pytest.importorskip("torch")
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


@pytest.mark.gdal  # the script writes and reads GeoTIFFs
def test_gpu_check_without_cuda_runs_every_cpu_section_and_exits_0(tmp_path):
    out = tmp_path / "gpu-check.md"
    env = dict(os.environ, CUDA_VISIBLE_DEVICES="")  # the CPU part, even on a machine with a GPU
    p = subprocess.run([sys.executable, os.path.join(ROOT, "scripts", "gpu_check.py"), "--quick", "--out", str(out)],
                       cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert p.returncode == 0, (p.stdout + p.stderr)[-3000:]
    report = out.read_text()
    assert "No CUDA GPU here" in report and "failed" not in report.lower(), report[-3000:]
    assert "## 7. Prediction speed" in report
