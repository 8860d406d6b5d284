"""Devices: auto prefers CUDA, then the Apple GPU (mps), then the CPU; mps without an Apple GPU falls back to the
CPU with a warning; every device in true fp32; MemoryFallback moves work the Apple GPU cannot do to the CPU.
The Apple GPU is simulated (torch.backends.mps.is_available patched): no Mac here."""

import pytest

torch = pytest.importorskip("torch")

from algorithms import device  # noqa: E402


@pytest.fixture
def apple_gpu(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: True)


def test_mps_is_a_device_name_and_auto_prefers_it_over_the_cpu(apple_gpu):
    assert device.is_device_name("mps") and device.is_device_name("cuda:1") and not device.is_device_name("metal")
    dev, warns = device.resolve_device("auto")
    assert dev.type == "mps" and not warns
    assert device.resolve_device("mps")[0].type == "mps"
    assert device.resolve_device("cpu")[0].type == "cpu"


def test_cuda_still_comes_first(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: True)
    assert device.resolve_device("auto")[0].type == "cuda"


def test_mps_without_an_apple_gpu_runs_on_the_cpu_with_a_warning(monkeypatch):
    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: False)
    dev, warns = device.resolve_device("mps")
    assert dev.type == "cpu" and "Apple GPU" in warns[0]
    with pytest.raises(ValueError, match="mps"):
        device.resolve_device("metal")


def test_the_fp32_rule_holds_for_every_device():
    torch.set_float32_matmul_precision("medium")
    device.configure_precision()
    assert torch.get_float32_matmul_precision() == "highest"
    assert torch.backends.cuda.matmul.allow_tf32 is False


def test_what_mps_cannot_do_continues_on_the_cpu():
    warned, seen = [], []

    def attempt(dev, block):
        seen.append((dev.type, block))
        if dev.type == "mps":
            raise TypeError("Cannot convert a MPS Tensor to float64 dtype as the MPS framework doesn't support float64")
        return "done"

    mf = device.MemoryFallback(torch.device("mps"), 1 << 22, warned.append)
    assert mf.run(attempt) == "done"
    assert seen == [("mps", 1 << 22), ("cpu", 1 << 22)] and mf.device.type == "cpu"
    assert "Apple GPU" in warned[0] and "CPU" in warned[0]


def test_mps_out_of_memory_takes_smaller_blocks_then_the_cpu(monkeypatch):
    monkeypatch.setattr(torch.mps, "empty_cache", lambda: None)
    warned, seen = [], []

    def attempt(dev, block):
        seen.append((dev.type, block))
        if dev.type == "mps":
            raise RuntimeError("MPS backend out of memory (MPS allocated: 9.00 GB)")
        return block

    mf = device.MemoryFallback(torch.device("mps"), 1 << 20, warned.append, min_block=1 << 18)
    assert mf.run(attempt) == 1 << 18
    assert seen == [("mps", 1 << 20), ("mps", 1 << 18), ("cpu", 1 << 18)]
    assert any("smaller blocks" in w for w in warned) and "continuing on the CPU" in warned[-1]


def test_the_missing_pytorch_message_ends_with_the_hint_the_plugin_sets(monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "torch", None)  # `import torch` fails as without PyTorch
    try:
        device.set_install_hint("Use Raster > Epitome > Install or update PyTorch.")
        ok, msg = device.torch_status()
        assert not ok and msg.endswith("Use Raster > Epitome > Install or update PyTorch.")
        device.set_install_hint("")
        assert device.torch_status()[1].endswith(device.DEFAULT_INSTALL_HINT)
    finally:
        device.set_install_hint("")
