"""Data-parallel epitome training with real torch.distributed ranks (gloo, separate processes): one step of two
ranks equals one step of one process on their batches put together; the launcher's outputs, cancel, failures."""

import multiprocessing as mp
import os
import socket
import threading
import time

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from algorithms.distributed.launch import free_port, launch_local  # noqa: E402
from algorithms.distributed.training import (  # noqa: E402
    check_ranks,
    init_ranks,
    job_to_dict,
    run_rank,
)
from algorithms.epitome.model_file import load_model  # noqa: E402
from algorithms.epitome.train_job import TrainJob  # noqa: E402
from algorithms.epitome.training import EpitomeMixture, TrainParams, train_one  # noqa: E402
from algorithms.errors import Cancelled, EpitomeError  # noqa: E402
from algorithms.feedback import Feedback  # noqa: E402

G, K, C, N, STEPS = 16, 5, 3, 12, 4  # patches a step (all ranks), patch side, bands, epitome side, steps
PARAMS = dict(size=N, count=1, patch_min=K, patch_max=K, steps=STEPS, batch_size=G, learning_rate=0.05,
              promotion=0.5, promotion_reset=0.05, diversify=0.25, backend="conv", seed=0)


class PoolSampler:
    """Step i: patches [rank * n, (rank + 1) * n) of the i-th group of G fixed random patches (n = G / world)."""

    def __init__(self, rank, world):
        self.rank, self.world, self.i = rank, world, 0
        self.pool = torch.rand(STEPS, G, C, K, K, generator=torch.Generator().manual_seed(7))

    def __call__(self, n, k, gen):
        assert k == K and n == G // self.world
        out = self.pool[self.i, self.rank * n:(self.rank + 1) * n]
        self.i += 1
        return out


def start_arrays():
    g = torch.Generator().manual_seed(3)
    return torch.rand(1, C, N, N, generator=g), 0.05 + 0.1 * torch.rand(1, C, N, N, generator=g), torch.zeros(1, N, N)


def train_steps(rank, world, comm):
    """STEPS steps of train_one from the fixed start: the arrays to compare."""
    p = TrainParams(**dict(PARAMS, batch_size=G // world))
    init = EpitomeMixture(*start_arrays(), "cpu")
    if comm is not None and rank != 0:  # the broadcast must bring rank 0's start
        init = EpitomeMixture(torch.zeros(1, C, N, N), torch.ones(1, C, N, N), torch.ones(1, N, N), "cpu")
    grads = []

    def keep_grads(model, state):  # the gradient of the step just taken (averaged over the ranks)
        grads.append(torch.cat([t.grad.reshape(-1) for t in model.parameters()]).numpy().copy())

    model, state = train_one(PoolSampler(rank, world), p, "cpu", init=init, gen=torch.Generator().manual_seed(rank),
                             comm=comm, kgen=torch.Generator().manual_seed(0) if comm else None, on_step=keep_grads)
    return dict(grads=np.stack(grads), mu=model.mu.detach().numpy(), log_var=model.log_var.detach().numpy(),
                prior=model.prior_logits.detach().numpy(), counters=state.counters.numpy(),
                samples=np.array(state.samples_since_reset), usage=state.usage_counts.numpy(),
                loss=np.array(state.history["loss"]), worst=np.array(state.history["worst_loss"]),
                resets=np.array(state.resets))


def _rank_steps(rank, world, port, out):
    torch.set_num_threads(1)
    comm = init_ranks("gloo", rank, world, f"tcp://127.0.0.1:{port}", timeout_s=60)
    try:
        np.savez(os.path.join(out, f"rank{rank}.npz"), **train_steps(rank, world, comm))
    finally:
        torch.distributed.destroy_process_group()


def _rank_job(rank, world, port, spec, out):
    spec = dict(spec, model_path=os.path.join(out, f"rank{rank}.epitome"))
    result = run_rank(spec, rank, world, f"tcp://127.0.0.1:{port}", threads=1)
    np.save(os.path.join(out, f"result{rank}.npy"), np.array([result["status"] == "done"]))


def spawn_ranks(target, world, *args):
    ctx = mp.get_context("spawn")
    port = free_port()
    procs = [ctx.Process(target=target, args=(r, world, port) + args) for r in range(world)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(180)
    assert [p.exitcode for p in procs] == [0] * world


def test_two_ranks_match_one_process_on_the_joined_batches(tmp_path):
    """2 ranks x G/2 patches, gradients averaged and promotion counts summed == 1 process x G patches (4 Adam
    steps with diversification over both batches and location promotion): the real numeric check.

    The averaged gradient of a step equals the one-process gradient to float rounding while the models are
    the same (steps 1 and 2: after step 1 they are bit-identical); afterwards Adam's division by the root of
    tiny second moments magnifies the rounding of near-zero gradients, so the models are compared within a
    small share of one Adam step (learning rate 0.05)."""
    spawn_ranks(_rank_steps, 2, str(tmp_path))
    r0, r1 = (dict(np.load(tmp_path / f"rank{r}.npz")) for r in (0, 1))
    one = train_steps(0, 1, None)
    for key in ("grads", "mu", "log_var", "prior", "counters", "usage", "samples", "resets"):
        np.testing.assert_array_equal(r0[key], r1[key], err_msg=f"ranks differ in {key}")
    scale = np.abs(one["grads"][:2]).max()
    np.testing.assert_allclose(r0["grads"][:2], one["grads"][:2], rtol=0, atol=1e-5 * scale, err_msg="gradients")
    for key in ("mu", "log_var", "prior"):
        np.testing.assert_allclose(r0[key], one[key], rtol=0, atol=5e-3, err_msg=key)
    for key in ("loss", "worst"):
        np.testing.assert_allclose(r0[key], one[key], rtol=1e-4, err_msg=key)
    for key in ("counters", "usage", "samples", "resets"):  # all-reduced: every patch of both ranks counted
        np.testing.assert_array_equal(r0[key], one[key], err_msg=key)
    assert r0["samples"] + r0["resets"] > 0 and r0["usage"].sum() > 0
    assert not np.allclose(r0["mu"], start_arrays()[0].numpy())  # it trained


@pytest.fixture
def scene(tmp_path, geotiff):
    rng = np.random.default_rng(0)
    arr = np.concatenate([rng.integers(20, 80, (3, 40, 20)), rng.integers(150, 230, (3, 40, 20))], 2)
    return geotiff(tmp_path / "scene.tif", arr.astype(np.uint8))


def small_job(scene, model, **over):
    p = TrainParams(**dict(dict(size=12, count=1, patch_min=3, patch_max=5, steps=6, batch_size=8, seed=0), **over))
    return TrainJob(imagery=[scene], model_path=str(model), params=p, device="cpu")


def test_only_rank_zero_writes(tmp_path, scene):
    out = tmp_path / "out"
    out.mkdir()
    spawn_ranks(_rank_job, 2, job_to_dict(small_job(scene, out / "unused.epitome")), str(out))
    assert sorted(os.listdir(out)) == ["rank0.epitome", "result0.npy", "result1.npy"]
    m = load_model(str(out / "rank0.epitome"))
    assert m.settings["ranks"] == 2 and m.settings["batch_size"] == 8 and m.settings["complete"] is True
    assert m.steps_done == 6


class Events(Feedback):
    def __init__(self, cancel_after=None):
        self.infos, self.percents, self.cancel_after = [], [], cancel_after

    def info(self, msg):
        self.infos.append(msg)

    def progress(self, percent):
        self.percents.append(percent)

    def is_canceled(self):
        return self.cancel_after is not None and bool(self.percents) and self.percents[-1] >= self.cancel_after


def test_launch_local_two_ranks_writes_model_image_and_report(tmp_path, scene):
    job = small_job(scene, tmp_path / "m.epitome")
    job.epitome_image, job.report_csv = str(tmp_path / "epi.tif"), str(tmp_path / "r.csv")
    fb = Events()
    stats = launch_local(job, 2, fb, threads=1)
    m = load_model(job.model_path)
    assert m.settings["ranks"] == 2 and m.settings["complete"] is True and m.steps_done == 6
    assert len(m.history["loss"]) == 6 and all(np.isfinite(m.history["loss"]))
    assert stats["steps"] == 6 and stats["patches_per_second"] > 0
    with open(job.report_csv) as fh:
        assert os.path.isfile(job.epitome_image) and len(fh.readlines()) == 7
    assert fb.percents and fb.percents[-1] == pytest.approx(100.0)
    assert any("Training 1 epitome" in s for s in fb.infos)  # rank 0's messages came through
    assert sorted(os.listdir(tmp_path)) == ["epi.tif", "m.epitome", "r.csv", "scene.tif"]


def test_cancel_stops_every_rank_and_keeps_the_model_so_far(tmp_path, scene):
    job = small_job(scene, tmp_path / "m.epitome", steps=100000)
    t0 = time.time()
    with pytest.raises(Cancelled):
        launch_local(job, 2, Events(cancel_after=0.001), threads=1)
    assert time.time() - t0 < 60
    m = load_model(job.model_path)  # complete file, the model so far (as one process leaves it)
    assert m.settings["complete"] is False and 0 < m.steps_done < 100000
    assert sorted(os.listdir(tmp_path)) == ["m.epitome", "scene.tif"]


def test_failed_rank_stops_the_others_and_writes_nothing(tmp_path, scene):
    job = small_job(scene, tmp_path / "m.epitome")
    job.imagery = [str(tmp_path / "missing.tif")]  # every rank fails to open it, before any output
    with pytest.raises(EpitomeError, match="rank 0 of 2 ended with status 1; nothing was written \\(rank 1: status 1"):
        launch_local(job, 2, Events(), threads=1)
    assert sorted(os.listdir(tmp_path)) == ["scene.tif"]


def rank_pids(rank):
    """Process ids of the train_cli processes of this test run's rank `rank` (from /proc)."""
    out = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as fh:
                args = fh.read().split(b"\0")
        except OSError:
            continue
        if b"algorithms.distributed.train_cli" not in args or args[args.index(b"--rank") + 1] != str(rank).encode():
            continue
        with open(f"/proc/{pid}/stat", "rb") as fh:
            parent = int(fh.read().rsplit(b")", 1)[1].split()[1])
        if parent == os.getpid():  # started by this test's launcher
            out.append(int(pid))
    return out


@pytest.mark.skipif(not os.path.isdir("/proc/self"), reason="needs /proc to find the rank processes")
def test_killed_rank_stops_the_others_and_writes_nothing(tmp_path, scene):
    """Rank 1 killed in the middle of the training: rank 0 (blocked in a collective) is stopped, the run ends
    with rank 1's status within seconds, and MODEL is not written."""
    import signal

    class KillRankOne(Events):
        def progress(self, percent):
            super().progress(percent)
            if len(self.percents) == 1:
                for pid in rank_pids(1):
                    os.kill(pid, signal.SIGKILL)

    job = small_job(scene, tmp_path / "m.epitome", steps=100000)
    t0 = time.time()
    with pytest.raises(EpitomeError, match="rank 1 of 2 was killed \\(signal 9\\)"):
        launch_local(job, 2, KillRankOne(), threads=1)
    assert time.time() - t0 < 60
    assert sorted(os.listdir(tmp_path)) == ["scene.tif"]


def test_batch_must_be_shared_evenly():
    with pytest.raises(EpitomeError, match="multiple of 3"):
        check_ranks(3, 256)
    check_ranks(2, 256)


def test_busy_port_is_a_clear_error():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen(1)
        port = s.getsockname()[1]
        box = {}

        def join():
            try:
                init_ranks("gloo", 0, 2, f"tcp://127.0.0.1:{port}", timeout_s=5)
            except EpitomeError as e:
                box["error"] = str(e)

        t = threading.Thread(target=join, daemon=True)
        t.start()
        t.join(60)
    assert "could not join" in box.get("error", "") and "port" in box["error"]



def test_dask_cluster_two_ranks(tmp_path, scene):
    """SCHEDULER local:2: one rank per Dask worker; the model comes back as bytes and is written here."""
    pytest.importorskip("distributed")
    from algorithms.distributed.cluster import parse_scheduler
    from algorithms.distributed.dask_training import launch_dask

    job = small_job(scene, tmp_path / "m.epitome")
    job.report_csv = str(tmp_path / "r.csv")
    fb = Events()
    stats = launch_dask(job, 2, parse_scheduler("local:2"), fb)
    m = load_model(job.model_path)
    assert m.settings["ranks"] == 2 and m.settings["complete"] is True and m.steps_done == 6
    assert stats["steps"] == 6 and fb.percents and fb.percents[-1] == pytest.approx(100.0)
    assert any("rendezvous" in s for s in fb.infos) and any("Training 1 epitome" in s for s in fb.infos)
    assert sorted(os.listdir(tmp_path)) == ["m.epitome", "r.csv", "scene.tif"]


def test_dask_cluster_too_few_workers(tmp_path, scene):
    pytest.importorskip("distributed")
    from algorithms.distributed.cluster import parse_scheduler
    from algorithms.distributed.dask_training import launch_dask

    with pytest.raises(EpitomeError, match="one Dask worker per rank; the cluster has 1"):
        launch_dask(small_job(scene, tmp_path / "m.epitome"), 2, parse_scheduler("local:1"))
    assert sorted(os.listdir(tmp_path)) == ["scene.tif"]


def test_dask_cluster_cancel(tmp_path, scene):
    """The cancel reaches rank 0 through a Dask Variable; every rank stops, MODEL holds the model so far."""
    pytest.importorskip("distributed")
    from algorithms.distributed.cluster import parse_scheduler
    from algorithms.distributed.dask_training import launch_dask

    job = small_job(scene, tmp_path / "m.epitome", steps=100000)
    t0 = time.time()
    with pytest.raises(Cancelled):
        launch_dask(job, 2, parse_scheduler("local:2"), Events(cancel_after=0.001))
    assert time.time() - t0 < 60
    m = load_model(job.model_path)
    assert m.settings["complete"] is False and 0 < m.steps_done < 100000
    assert sorted(os.listdir(tmp_path)) == ["m.epitome", "scene.tif"]
