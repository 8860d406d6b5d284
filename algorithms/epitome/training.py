"""Large-scale epitome training (docs/METHOD.md, "Training at scale"; paper section 3).

SGD (Adam) on mini-batches of random K x K patches (K drawn per batch, odd, in PATCH_MIN..PATCH_MAX),
with
  * location promotion: counters[e, s] += [s is the best window of x_t] (the hard posterior; see
    count_best_windows) for every sample; a window takes part in
    the likelihood only while counters[e, s] < c / W (W = E * N^2 windows in all). When more than
    (1 - delta) W windows are masked the counters reset; at least one window is always unmasked;
  * diversification: only the worst-modelled quantile of each batch (lowest log-likelihood under the
    model being trained, or under a reference model for the cascade) is optimised;
  * the cascade of the paper: E0 self-diversifying; E1 on the worst quantile under E0; E2 on the worst
    quantile under E1; E1 and E2 kept as a uniform mixture.
Constraints after every step: variances within [var_min, var_max] (data scaled to [0, 1]), prior
logits re-centred and bounded. Log-sum-exp runs jointly over epitomes and positions. Deterministic
given the seed (CPU; cuDNN/FFT on GPU may differ in the last bits).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Callable, Dict, List, Optional, Sequence

import numpy as np

try:
    import torch
    import torch.nn.functional as F
except Exception:  # the plugin must load without torch
    torch = F = None

from ..bounds import bounded, check_bounds
from ..errors import Cancelled, EpitomeError
from .likelihood import patch_log_likelihood


def _no_grad(fn):
    """torch.no_grad() as a decorator that also works (as a no-op) when torch is missing at import."""
    return torch.no_grad()(fn) if torch is not None else fn


@dataclass
class TrainParams:
    # N: epitome side (FFT-friendly: 256, 300, 384, 400, 480, 500, 512)
    size: int = bounded(256, 8, 4096, hint="256-512 is typical")
    count: int = bounded(1, 1, 64)  # E: epitomes in the mixture (per model of the cascade)
    patch_min: int = bounded(11, 1, 255, odd=True, hint="e.g. 11")
    patch_max: int = bounded(31, 1, 255, odd=True, hint="e.g. 31")
    steps: int = bounded(1000, 1)
    batch_size: int = bounded(256, 1, 65536)
    learning_rate: float = bounded(0.01, 0.0, 10.0, low_open=True)
    # None (or 0) = (K / 11)^2, the reference code's choice
    temperature: Optional[float] = bounded(None, 0.0, allow_none=True)
    promotion: float = bounded(0.5, 0.0, 1.0, high_open=True, hint="0 turns location promotion off")  # c
    promotion_reset: float = bounded(0.05, 0.0, 1.0, low_open=True, high_open=True)  # delta
    diversify: float = bounded(0.25, 0.0, 1.0, high_open=True,
                               hint="the worst-modelled share of each batch; 0 = off")  # optimised quantile
    cascade: int = bounded(0, 0, 2, hint="0 (one self-diversifying model) or 2 (E0 -> E1 -> E2)")
    var_min: float = 0.01
    var_max: float = 1.0
    prior_bound: float = 10.0
    backend: str = "auto"
    seed: int = bounded(0, 0)
    # How a new epitome starts: "data" (random crops of the imagery, the default) or "flat" (the mean colour
    # plus noise, variance 0.1: the earlier start, kept to measure what the data-driven start brings)
    start: str = "data"

    def validate(self, n_bands: int = 1):
        """ValueError naming the parameter and what to change (ranges: the bounded() declarations above)."""
        check_bounds(self)
        if self.patch_min > self.patch_max:
            raise ValueError("PATCH_MIN must not exceed PATCH_MAX.")
        if self.patch_max > self.size:
            raise ValueError("PATCH_MAX must not exceed the epitome SIZE.")
        if self.cascade not in (0, 2):
            raise ValueError("CASCADE must be 0 (one self-diversifying model) or 2 (E0 -> E1 -> E2).")
        if not (0 < self.var_min < self.var_max):
            raise ValueError("variance bounds must satisfy 0 < min < max.")
        if self.start not in ("data", "flat"):
            raise ValueError("start must be 'data' or 'flat'.")

    def temperature_for(self, k: int) -> float:
        return float(self.temperature) if self.temperature else (k / 11.0) ** 2


# ------------------------------------------------------------------------------------------------
# Promotion and diversification (pure functions, tested on their own)
# ------------------------------------------------------------------------------------------------

def promotion_mask(counters: "torch.Tensor", samples: float, c: float) -> "torch.Tensor":
    """Windows allowed in the likelihood: those whose share of the samples since the last reset is below
    c times the uniform share, counters / samples < c / W (W = number of windows; every window while no
    sample has been counted). At least one window is kept."""
    W = counters.numel()
    if samples <= 0:
        return torch.ones_like(counters, dtype=torch.bool)
    allowed = counters < (c * samples / W)
    if not bool(allowed.any()):
        flat = torch.zeros(W, dtype=torch.bool, device=counters.device)
        flat[int(torch.argmin(counters))] = True
        allowed = flat.reshape(counters.shape)
    return allowed


def update_counters(counters: "torch.Tensor", samples: float, batch_counts: "torch.Tensor", batch_size: int,
                    c: float, delta: float):
    """counters += sum_t p(s | x_t) over a batch of B samples, samples += B; both reset to 0 when more than
    (1 - delta) W windows are masked (share of the samples since the last reset at least c / W).

    counters, batch_counts [*S] (W windows; batch_counts = sum_t p(s | x_t), soft or hard posteriors).
    Returns (counters, samples, reset happened)."""
    counters = counters + batch_counts
    samples = samples + batch_size
    masked = int((counters >= c * samples / counters.numel()).sum())
    if masked > (1 - delta) * counters.numel():
        return torch.zeros_like(counters), 0, True
    return counters, samples, False


def worst_quantile(loglik: "torch.Tensor", q: float) -> "torch.Tensor":
    """Indices of the ceil(q * B) samples with the lowest log-likelihood (all when q == 0)."""
    B = loglik.shape[0]
    if q <= 0:
        return torch.arange(B, device=loglik.device)
    n = max(1, int(math.ceil(q * B)))
    return torch.topk(loglik, n, largest=False).indices


# ------------------------------------------------------------------------------------------------
# Model
# ------------------------------------------------------------------------------------------------

def local_variance(x: "torch.Tensor", radius: int) -> "torch.Tensor":
    """Per-band variance over (2 radius + 1)^2 neighbourhoods (edges replicated): x [M, C, S, S] -> same shape."""
    if radius <= 0:
        return torch.zeros_like(x)
    k = 2 * radius + 1
    pad = F.pad(x, (radius,) * 4, mode="replicate")
    mean = F.avg_pool2d(pad, k, stride=1)
    return (F.avg_pool2d(pad * pad, k, stride=1) - mean * mean).clamp_min(0)


def tile_crops(crops: "torch.Tensor", count: int, per: int, n: int) -> "torch.Tensor":
    """crops [count * per * per, C, S, S] laid out row by row into count epitomes, cut to n: [count, C, n, n]."""
    _, C, S, _ = crops.shape
    grid = crops.reshape(count, per, per, C, S, S).permute(0, 3, 1, 4, 2, 5).reshape(count, C, per * S, per * S)
    return grid[:, :, :n, :n].contiguous()


class EpitomeMixture:
    """E epitomes as trainable tensors: mu [E, C, N, N], log_var [E, C, N, N], prior logits [E, N, N]."""

    def __init__(self, mu, var, prior_logits, device):
        self.mu = torch.as_tensor(mu, dtype=torch.float32, device=device).clone().requires_grad_(True)
        self.log_var = torch.log(torch.as_tensor(var, dtype=torch.float32, device=device)).clone().requires_grad_(True)
        self.prior_logits = torch.as_tensor(prior_logits, dtype=torch.float32,
                                            device=device).clone().requires_grad_(True)

    @classmethod
    def from_crops(cls, crops: "torch.Tensor", n: int, count: int, var_min: float, var_max: float, device,
                   var_radius: int = 1):
        """A data-driven start: each epitome tiled with random crops of the imagery (crops [M, C, S, S],
        M >= count * ceil(n / S)^2, read row by row), variances the local variance of each crop (per band,
        over (2 var_radius + 1)^2 neighbourhoods) plus var_min, within [var_min, var_max]; flat prior."""
        M, C, S, _ = crops.shape
        per = -(-n // S)
        need = count * per * per
        if M < need:
            raise ValueError(f"{need} crops of side {S} are needed to tile {count} epitome(s) of {n}, got {M}.")
        var = (local_variance(crops[:need], var_radius) + var_min).clamp(var_min, var_max)
        mu, var = (tile_crops(a, count, per, n) for a in (crops[:need], var))
        return cls(mu, var, torch.zeros(count, n, n), device)

    @classmethod
    def flat(cls, patches: "torch.Tensor", n: int, count: int, gen: "torch.Generator", device):
        """The earlier start: the mean colour of random patches [B, C, K, K] plus noise, variance 0.1."""
        C = patches.shape[1]
        mu = patches.mean((0, 2, 3))[None, :, None, None].expand(count, C, n, n).clone()
        mu += 0.05 * torch.randn(mu.shape, generator=gen).to(mu)
        return cls(mu, torch.full_like(mu, 0.1), torch.zeros(count, n, n), device)

    PARAMETER_NAMES = ("mu", "log_var", "prior_logits")

    def parameters(self):
        return [self.mu, self.log_var, self.prior_logits]

    def var(self):
        return torch.exp(self.log_var)

    def log_prior(self):
        flat = self.prior_logits.reshape(-1)
        return torch.log_softmax(flat, 0).reshape(self.prior_logits.shape)

    def loglik(self, x: "torch.Tensor", backend: str) -> "torch.Tensor":
        """log p(x_b | e, s): [B, E, N, N]."""
        var = self.var()
        return torch.stack([patch_log_likelihood(x, self.mu[e], var[e], backend) for e in range(self.mu.shape[0])], 1)

    @_no_grad
    def constrain(self, p: TrainParams):
        self.log_var.clamp_(math.log(p.var_min), math.log(p.var_max))
        self.mu.clamp_(-0.5, 1.5)
        self.prior_logits.sub_(self.prior_logits.mean()).clamp_(-p.prior_bound, p.prior_bound)


def mixture_log_likelihood(models: Sequence[EpitomeMixture], x, backend, temperature=1.0):
    """log sum_{e,s} p(x | e, s)^(1/T) p(e, s) over a uniform mixture of several EpitomeMixtures: [B]."""
    parts = []
    for m in models:
        z = m.loglik(x, backend) / temperature + m.log_prior()[None]
        parts.append(torch.logsumexp(z.reshape(z.shape[0], -1), 1) - math.log(len(models)))
    return torch.logsumexp(torch.stack(parts, 1), 1)


# ------------------------------------------------------------------------------------------------
# Training loop
# ------------------------------------------------------------------------------------------------

class Adam:
    """Adam (Kingma and Ba) on a list of tensors. Written out because torch.optim imports sympy through
    torch._dynamo, and QGIS's Debian sympy is older than torch needs (the plugin never shadows it)."""

    def __init__(self, params, lr, betas=(0.9, 0.999), eps=1e-8):
        self.params, self.lr, self.b1, self.b2, self.eps = list(params), lr, betas[0], betas[1], eps
        self.m = [torch.zeros_like(t) for t in self.params]
        self.v = [torch.zeros_like(t) for t in self.params]
        self.t = 0

    def zero_grad(self):
        for t in self.params:
            t.grad = None

    def state_arrays(self, names: Sequence[str]) -> Dict[str, np.ndarray]:
        """The moments as arrays m_<name>, v_<name> (names: one per parameter, in order)."""
        out = {}
        for n, m, v in zip(names, self.m, self.v):
            out["m_" + n], out["v_" + n] = m.detach().cpu().numpy(), v.detach().cpu().numpy()
        return out

    def load_state_arrays(self, arrays: Dict[str, np.ndarray], names: Sequence[str], steps: int) -> bool:
        """Restore the moments saved by state_arrays and the step count; False (nothing changed) when the
        arrays do not match the parameters."""
        pairs = [(arrays.get("m_" + n), arrays.get("v_" + n)) for n in names]
        if any(m is None or v is None or tuple(m.shape) != tuple(t.shape) or tuple(v.shape) != tuple(t.shape)
               for (m, v), t in zip(pairs, self.params)):
            return False
        for (m, v), mt, vt in zip(pairs, self.m, self.v):
            mt.copy_(torch.as_tensor(m, dtype=mt.dtype))
            vt.copy_(torch.as_tensor(v, dtype=vt.dtype))
        self.t = int(steps)
        return True

    @_no_grad
    def step(self):
        self.t += 1
        c1, c2 = 1 - self.b1 ** self.t, 1 - self.b2 ** self.t
        for t, m, v in zip(self.params, self.m, self.v):
            if t.grad is None:
                continue
            m.mul_(self.b1).add_(t.grad, alpha=1 - self.b1)
            v.mul_(self.b2).addcmul_(t.grad, t.grad, value=1 - self.b2)
            t.addcdiv_(m / c1, (v / c2).sqrt_().add_(self.eps), value=-self.lr)

@dataclass
class Resume:
    """What INIT carries into a new run besides the epitome: Adam's moments and step count, the promotion
    counters with the samples counted since their last reset, the usage counts."""

    adam: Optional[Dict[str, np.ndarray]] = None  # m_<param>, v_<param> (Adam.state_arrays)
    adam_steps: int = 0
    counters: Optional[np.ndarray] = None  # [E, N, N]
    samples_since_reset: int = 0
    usage_counts: Optional[np.ndarray] = None  # [E, N, N]
    samples_seen: int = 0
    resets: int = 0


@dataclass
class TrainState:
    """What a training stage accumulates besides the model: the history (one value per step), the
    promotion counters, the usage counts."""

    history: Dict[str, List[float]] = field(default_factory=lambda: dict(step=[], loss=[], worst_loss=[],
                                                                         usage=[], seconds=[]))
    usage_counts: Optional["torch.Tensor"] = None  # [E, N, N] samples whose best window covers the pixel
    # [E, N, N] location-promotion counters (docs/METHOD.md, "Training at scale")
    counters: Optional["torch.Tensor"] = None
    samples_since_reset: int = 0  # samples counted in `counters`
    samples_seen: int = 0
    resets: int = 0
    optimizer: Optional["Adam"] = None  # the stage's Adam (its moments are saved with the model)

    @classmethod
    def start(cls, count: int, size: int, device, resume: Optional[Resume] = None) -> "TrainState":
        """Zero counters, or those carried by resume (when their shapes match)."""
        state = cls(usage_counts=torch.zeros(count, size, size, device=device),
                    counters=torch.zeros(count, size, size, device=device))
        if resume is not None:
            for name, arr in (("counters", resume.counters), ("usage_counts", resume.usage_counts)):
                if arr is not None and tuple(arr.shape) == (count, size, size):
                    setattr(state, name, torch.as_tensor(arr, dtype=torch.float32, device=device).clone())
            state.samples_since_reset = int(resume.samples_since_reset) if resume.counters is not None else 0
            state.samples_seen = int(resume.samples_seen) if resume.usage_counts is not None else 0
            state.resets = int(resume.resets)
        return state


def patch_sizes(p: TrainParams) -> List[int]:
    """The odd patch sides K drawn from, PATCH_MIN..PATCH_MAX."""
    return list(range(p.patch_min, p.patch_max + 1, 2))


def initial_model(sampler, p: TrainParams, gen, device) -> EpitomeMixture:
    """A new mixture started from the data (EpitomeMixture.from_crops): crops of side PATCH_MAX + 1
    (at most SIZE) drawn by the sampler at random places, variances from their local variance
    (p.start "flat": EpitomeMixture.flat from a batch of the middle patch size)."""
    if p.start == "flat":
        sizes = patch_sizes(p)
        return EpitomeMixture.flat(sampler(max(16, p.batch_size), sizes[len(sizes) // 2], gen), p.size, p.count, gen,
                                   device)
    side = min(p.size, p.patch_max + 1)
    per = -(-p.size // side)
    crops = sampler(p.count * per * per, side, gen)
    return EpitomeMixture.from_crops(crops, p.size, p.count, p.var_min, p.var_max, device)


def draw_batch(sampler, p: TrainParams, sizes: Sequence[int], gen, kgen=None):
    """(K, patches [B, C, K, K]): K drawn uniformly among the odd sizes (from kgen when given: the generator
    all ranks of a distributed training share, so they draw the same K), then B random patches."""
    k = sizes[int(torch.randint(len(sizes), (1,), generator=kgen or gen))]
    return k, sampler(p.batch_size, k, gen)


def window_logits(model: EpitomeMixture, x: "torch.Tensor", temperature: float, backend: str) -> "torch.Tensor":
    """log p(x_b | e, s) / T + log p(e, s), flattened over (e, s): [B, E*N*N]."""
    z = model.loglik(x, backend) / temperature + model.log_prior()[None]
    return z.reshape(z.shape[0], -1)


@_no_grad
def diversified_selection(loglik: "torch.Tensor", x, p: TrainParams, temperature: float,
                          reference: Optional[Sequence[EpitomeMixture]]) -> "torch.Tensor":
    """Indices of the patches optimised this step: the worst-modelled share p.diversify of the batch,
    by the (tempered) log-likelihood under the model itself (loglik [B]) or under the reference models
    (cascade)."""
    if reference is not None:
        loglik = mixture_log_likelihood(reference, x, p.backend, temperature)
    return worst_quantile(loglik, p.diversify)


def promoted_loss(logits: "torch.Tensor", allowed: Optional["torch.Tensor"], values: int,
                  scale: Optional[float] = None) -> "torch.Tensor":
    """-mean log sum over the allowed windows of p(x | s) p(s), in nats per value (C K K values a patch).
    logits [B', W] of the selected patches; allowed [W] bool or None (promotion off). scale: the sum times
    scale instead of the mean (distributed training: world / patches selected on all ranks)."""
    if allowed is not None:
        logits = logits.masked_fill(~allowed[None], float("-inf"))
    lse = torch.logsumexp(logits, 1)
    return -(lse.mean() if scale is None else lse.sum() * scale) / values


def sgd_step(model: EpitomeMixture, opt: "Adam", x, k: int, p: TrainParams, state: TrainState, reference,
             comm=None):
    """One Adam step on the promoted, diversified log-likelihood. Returns (log-likelihood of every patch
    [B], posterior over (e, s) [B, W]) measured before the step.

    comm (distributed training, algorithms/distributed/training.RankComm; None in one process): the worst
    quantile is taken over the batches of all ranks, gradients are averaged over the ranks before the Adam
    step, and the log-likelihoods returned are those of all ranks' patches [world * B]."""
    T = p.temperature_for(k)
    flat = window_logits(model, x, T, p.backend)
    scale = None
    with torch.no_grad():
        full = torch.logsumexp(flat, 1)  # model log-likelihood (tempered) of every patch
        if comm is None:
            sel = diversified_selection(full, x, p, T, reference)
        else:
            score = full if reference is None else mixture_log_likelihood(reference, x, p.backend, T)
            sel, scale = comm.select_worst(score, p.diversify)
        allowed = (promotion_mask(state.counters, state.samples_since_reset, p.promotion).reshape(-1)
                   if p.promotion > 0 else None)
        post = torch.softmax(flat, 1)
    loss = promoted_loss(flat[sel], allowed, x.shape[1] * k * k, scale)
    opt.zero_grad()
    loss.backward()
    if comm is not None:
        comm.average_grads(model.parameters())
        full = comm.gather(full)
    opt.step()
    model.constrain(p)
    return full, post


@_no_grad
def count_best_windows(state: TrainState, post: "torch.Tensor", k: int, p: TrainParams, comm=None) -> "torch.Tensor":
    """Each patch's most likely window: promotion counters, usage counts. Returns hits [E*N*N].
    comm (distributed training): the hits are summed over the ranks (every rank then holds the same
    counters, those of one process training on all ranks' patches)."""
    E, N = state.counters.shape[0], state.counters.shape[-1]
    best = post.argmax(1)
    hits = torch.zeros(E * N * N, device=post.device)  # samples whose best window is s
    hits.index_add_(0, best, torch.ones_like(best, dtype=hits.dtype))
    batch = post.shape[0]
    if comm is not None:
        hits, batch = comm.sum(hits), batch * comm.world
    if p.promotion > 0:
        # Counters take each sample's best window (a hard posterior): with soft posteriors, early flat
        # posteriors give every window about the uniform share, all are masked at once (c < 1) and the
        # counters reset at every step (promotion never acted).
        state.counters, state.samples_since_reset, reset = update_counters(
            state.counters, state.samples_since_reset, hits.reshape(E, N, N), batch, p.promotion,
            p.promotion_reset)
        state.resets += int(reset)
    cover = F.conv_transpose2d(hits.reshape(E, 1, N, N)[None, :, 0], torch.ones(E, 1, k, k, device=post.device),
                               groups=E)[0]
    # wrap the spill-over of windows crossing the torus edge back onto the epitome
    state.usage_counts += _fold_torus(cover, N)
    state.samples_seen += batch
    return hits


@_no_grad
def record_step(state: TrainState, step: int, full: "torch.Tensor", hits: "torch.Tensor", values: int, seconds: float):
    """Append the step's loss, worst-quarter loss (worst_loss) and share of windows used to the history."""
    worst = -(full[worst_quantile(full, 0.25)].mean()) / values
    h = state.history
    h["step"].append(step)
    h["loss"].append(float(-(full.mean()) / values))
    h["worst_loss"].append(float(worst))
    h["usage"].append(float((hits > 0).float().mean()))
    h["seconds"].append(seconds)


def _raise_cancelled(model, state):
    exc = Cancelled()
    exc.partial = (model, state)
    raise exc


def train_one(sampler: Callable[[int, int, "torch.Generator"], "torch.Tensor"], p: TrainParams, device,
              reference: Optional[Sequence[EpitomeMixture]] = None, init: Optional[EpitomeMixture] = None,
              steps: Optional[int] = None, step_offset: int = 0, gen: Optional["torch.Generator"] = None,
              progress=None, cancel=None, log=None, stage: str = "", on_step=None, resume: Optional[Resume] = None,
              comm=None, kgen: Optional["torch.Generator"] = None):
    """Train one EpitomeMixture. sampler(batch, k, gen) -> patches [B, C, k, k] on `device`.

    Each step: draw a batch -> posterior over all windows -> diversified, promoted loss -> Adam step ->
    count the best windows (promotion counters, usage) -> record the history.
    on_step(model, state): called after every step (a live monitor; must be cheap or subsample).
    reference: diversify by the likelihood under these (fixed) models instead of the model itself.
    resume: Adam moments and counters carried from an earlier run (with init).
    comm, kgen (distributed training): rank 0's start is broadcast to every rank, K is drawn from kgen (the
    same on all ranks), gradients and promotion counts are reduced over the ranks (sgd_step,
    count_best_windows), a cancel seen by any rank stops all of them at the same step.
    Returns (model, state). Raises Cancelled with .partial = (model, state) when cancelled.
    """
    gen = gen or torch.Generator().manual_seed(p.seed)
    steps = steps or p.steps
    sizes = patch_sizes(p)
    model = init if init is not None else initial_model(sampler, p, gen, device)
    if comm is not None:
        comm.broadcast_model(model)
    opt = Adam(model.parameters(), lr=p.learning_rate)
    state = TrainState.start(p.count, p.size, device, resume)
    state.optimizer = opt
    if resume is not None and resume.adam is not None:
        if not opt.load_state_arrays(resume.adam, EpitomeMixture.PARAMETER_NAMES, resume.adam_steps) and log:
            log("INIT's optimizer moments do not match the model; Adam starts afresh.")
    t0 = time.time()
    for it in range(steps):
        stop = cancel is not None and bool(cancel())
        if (comm.agree(stop) if comm is not None else stop):
            _raise_cancelled(model, state)
        k, x = draw_batch(sampler, p, sizes, gen, kgen)
        full, post = sgd_step(model, opt, x, k, p, state, reference, comm)
        hits = count_best_windows(state, post, k, p, comm)
        record_step(state, step_offset + it + 1, full, hits, x.shape[1] * k * k, time.time() - t0)
        if progress is not None:
            progress((it + 1) / steps, state.history)
        if on_step is not None:
            on_step(model, state)
        if log is not None and ((it + 1) % max(1, steps // 10) == 0 or it == 0):
            h = state.history
            log(f"{stage}step {it + 1}/{steps}: loss {h['loss'][-1]:.4f} nats/value, worst quarter "
                f"{h['worst_loss'][-1]:.4f}, windows used this batch {100 * h['usage'][-1]:.1f}%, "
                f"resets {state.resets}")
    return model, state


def _fold_torus(a: "torch.Tensor", n: int) -> "torch.Tensor":
    """[E, M, M] with M >= n -> [E, n, n]: rows/columns beyond n added back at the start (mod n)."""
    out = a[:, :n, :n].clone()
    m = a.shape[-1]
    if m > n:
        out[:, : m - n, :] += a[:, n:, :n]
        out[:, :, : m - n] += a[:, :n, n:]
        out[:, : m - n, : m - n] += a[:, n:, n:]
    return out


def stage_seed(seed: int, step_offset: int) -> int:
    """The sampling seed of a run that continues after step_offset steps (INIT): a new stream, so a
    continued run does not replay the batches of the first one; the seed itself when starting."""
    return int(seed) if step_offset == 0 else int(seed) * 1000003 + int(step_offset)


def train_epitome(sampler, p: TrainParams, device, init: Optional[EpitomeMixture] = None, progress=None,
                  cancel=None, log=None, step_offset: int = 0, on_step=None, resume: Optional[Resume] = None,
                  comm=None):
    """Train per p.cascade. Returns (the trained EpitomeMixtures kept as a uniform mixture, their states
    (one per kept model: history of its stage, usage, counters, optimizer), the history of all stages).
    Cancel raises Cancelled with .partial = (models, states).

    on_step(model, state, stage, earlier): after every step; stage = 0, 1, 2 (cascade), earlier = the
    history of the stages already finished (state.history is the current stage's).
    comm (distributed training, algorithms/distributed/training.RankComm): each rank samples its own patches
    (seed + rank), p.batch_size of them a step; the K of each step is drawn from the shared seed."""
    p.validate()
    seed = stage_seed(p.seed, step_offset)
    gen = torch.Generator().manual_seed(seed + (comm.rank if comm is not None else 0))
    kgen = torch.Generator().manual_seed(seed) if comm is not None else None
    torch.manual_seed(seed)
    stages = 1 if p.cascade == 0 else 3
    if init is not None and stages > 1:
        raise EpitomeError("INIT (continue training) works with CASCADE 0 only.")
    history: Dict[str, List[float]] = {}
    done, states = [], []

    def stage_progress(i):
        return (lambda f, h: progress((i + f) / stages, h)) if progress else None

    for i in range(stages):
        ref = [done[-1]] if (i > 0) else None
        try:
            model, state = train_one(sampler, p, device, reference=ref, init=init if i == 0 else None,
                                     gen=gen, step_offset=step_offset + i * p.steps, progress=stage_progress(i),
                                     cancel=cancel, log=log, stage=f"E{i}: " if stages > 1 else "",
                                     on_step=(lambda m, st, i=i: on_step(m, st, i, history)) if on_step else None,
                                     resume=resume if i == 0 else None, comm=comm, kgen=kgen)
        except Cancelled as exc:
            m, st = exc.partial
            exc.partial = (done[1:] + [m], states[1:] + [st]) if stages > 1 else ([m], [st])
            raise
        for key, vals in state.history.items():
            history.setdefault(key, []).extend(vals)
        done.append(model)
        states.append(state)
    if stages == 1:
        return done, states, history
    return done[1:], states[1:], history  # the paper keeps E1 and E2


def mixture_arrays(models: Sequence[EpitomeMixture]):
    """Uniform mixture of trained models as arrays: mu, var [E', C, N, N], log_prior [E', N, N]."""
    mu = torch.cat([m.mu.detach() for m in models]).cpu().numpy()
    var = torch.cat([m.var().detach() for m in models]).cpu().numpy()
    lp = torch.cat([m.log_prior().detach() - math.log(len(models)) for m in models]).cpu().numpy()
    return mu, var, lp
