"""Large-scale epitome training (method.md section 2; paper section 3).

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

try:
    import torch
    import torch.nn.functional as F
except Exception:  # the plugin must load without torch
    torch = F = None

from ..errors import Cancelled, EpitomeError
from ..params import bounded, check_bounds
from .likelihood import patch_log_likelihood


def _no_grad(fn):
    """torch.no_grad() as a decorator that also works (as a no-op) when torch is missing at import."""
    return torch.no_grad()(fn) if torch is not None else fn


@dataclass
class TrainParams:
    size: int = bounded(256, 8, 4096, hint="256-512 is typical")  # N: epitome side (FFT-friendly: 256, 300, 384, 400, 480, 500, 512)
    count: int = bounded(1, 1, 64)  # E: epitomes in the mixture (per model of the cascade)
    patch_min: int = bounded(11, 1, 255, odd=True, hint="e.g. 11")
    patch_max: int = bounded(31, 1, 255, odd=True, hint="e.g. 31")
    steps: int = bounded(1000, 1)
    batch_size: int = bounded(256, 1, 65536)
    learning_rate: float = bounded(0.01, 0.0, 10.0, low_open=True)
    temperature: Optional[float] = bounded(None, 0.0, allow_none=True)  # None (or 0) = (K / 11)^2, the reference code's choice
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

    def temperature_for(self, k: int) -> float:
        return float(self.temperature) if self.temperature else (k / 11.0) ** 2


# ------------------------------------------------------------------------------------------------
# Promotion and diversification (pure functions, tested on their own)
# ------------------------------------------------------------------------------------------------

def promotion_mask(counters: "torch.Tensor", c: float) -> "torch.Tensor":
    """Windows allowed in the likelihood: counters < c / W (W = number of windows). At least one is kept."""
    W = counters.numel()
    allowed = counters < (c / W)
    if not bool(allowed.any()):
        flat = torch.zeros(W, dtype=torch.bool, device=counters.device)
        flat[int(torch.argmin(counters))] = True
        allowed = flat.reshape(counters.shape)
    return allowed


def update_counters(counters: "torch.Tensor", posterior: "torch.Tensor", c: float, delta: float):
    """counters += sum_t p(s | x_t); reset to 0 when more than (1 - delta) W windows are masked.

    posterior [B, *counters.shape] (probabilities). Returns (new counters, reset happened)."""
    counters = counters + posterior.sum(0)
    masked = int((counters >= c / counters.numel()).sum())
    if masked > (1 - delta) * counters.numel():
        return torch.zeros_like(counters), True
    return counters, False


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

class EpitomeMixture:
    """E epitomes as trainable tensors: mu [E, C, N, N], log_var [E, C, N, N], prior logits [E, N, N]."""

    def __init__(self, mu, var, prior_logits, device):
        self.mu = torch.as_tensor(mu, dtype=torch.float32, device=device).clone().requires_grad_(True)
        self.log_var = torch.log(torch.as_tensor(var, dtype=torch.float32, device=device)).clone().requires_grad_(True)
        self.prior_logits = torch.as_tensor(prior_logits, dtype=torch.float32, device=device).clone().requires_grad_(True)

    @classmethod
    def initialise(cls, patches: "torch.Tensor", n: int, count: int, gen: "torch.Generator", device):
        """Means: the mean colour of random training patches plus noise; variance 0.1; flat prior."""
        C = patches.shape[1]
        mean = patches.mean((0, 2, 3))
        mu = mean[None, :, None, None].expand(count, C, n, n).clone()
        mu += 0.05 * torch.randn(mu.shape, generator=gen).to(mu)
        var = torch.full_like(mu, 0.1)
        return cls(mu, var, torch.zeros(count, n, n), device)

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
class TrainState:
    """What a training stage accumulates besides the model: the history (one value per step), the
    promotion counters, the usage counts."""

    history: Dict[str, List[float]] = field(default_factory=lambda: dict(step=[], loss=[], worst_loss=[],
                                                                         usage=[], seconds=[]))
    usage_counts: Optional["torch.Tensor"] = None  # [E, N, N] samples whose best window covers the pixel
    counters: Optional["torch.Tensor"] = None  # [E, N, N] location-promotion counters (section 2)
    samples_seen: int = 0
    resets: int = 0

    @classmethod
    def start(cls, count: int, size: int, device) -> "TrainState":
        return cls(usage_counts=torch.zeros(count, size, size, device=device),
                   counters=torch.zeros(count, size, size, device=device))


def patch_sizes(p: TrainParams) -> List[int]:
    """The odd patch sides K drawn from, PATCH_MIN..PATCH_MAX."""
    return list(range(p.patch_min, p.patch_max + 1, 2))


def initial_model(sampler, p: TrainParams, sizes: Sequence[int], gen, device) -> EpitomeMixture:
    """A new mixture initialised from a warm-up batch of the middle patch size."""
    warm = sampler(max(16, p.batch_size), sizes[len(sizes) // 2], gen)
    return EpitomeMixture.initialise(warm, p.size, p.count, gen, device)


def draw_batch(sampler, p: TrainParams, sizes: Sequence[int], gen):
    """(K, patches [B, C, K, K]): K drawn uniformly among the odd sizes, then B random patches."""
    k = sizes[int(torch.randint(len(sizes), (1,), generator=gen))]
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


def promoted_loss(logits: "torch.Tensor", allowed: Optional["torch.Tensor"], values: int) -> "torch.Tensor":
    """-mean log sum over the allowed windows of p(x | s) p(s), in nats per value (C K K values a patch).
    logits [B', W] of the selected patches; allowed [W] bool or None (promotion off)."""
    if allowed is not None:
        logits = logits.masked_fill(~allowed[None], float("-inf"))
    return -torch.logsumexp(logits, 1).mean() / values


def sgd_step(model: EpitomeMixture, opt: "Adam", x, k: int, p: TrainParams, state: TrainState, reference):
    """One Adam step on the promoted, diversified log-likelihood. Returns (log-likelihood of every patch
    [B], posterior over (e, s) [B, W]) measured before the step."""
    T = p.temperature_for(k)
    flat = window_logits(model, x, T, p.backend)
    with torch.no_grad():
        full = torch.logsumexp(flat, 1)  # model log-likelihood (tempered) of every patch
        sel = diversified_selection(full, x, p, T, reference)
        allowed = promotion_mask(state.counters, p.promotion).reshape(-1) if p.promotion > 0 else None
        post = torch.softmax(flat, 1)
    loss = promoted_loss(flat[sel], allowed, x.shape[1] * k * k)
    opt.zero_grad()
    loss.backward()
    opt.step()
    model.constrain(p)
    return full, post


@_no_grad
def count_best_windows(state: TrainState, post: "torch.Tensor", k: int, p: TrainParams) -> "torch.Tensor":
    """Each patch's most likely window: promotion counters, usage counts. Returns hits [E*N*N]."""
    E, N = state.counters.shape[0], state.counters.shape[-1]
    best = post.argmax(1)
    hits = torch.zeros(E * N * N, device=post.device)  # samples whose best window is s
    hits.index_add_(0, best, torch.ones_like(best, dtype=hits.dtype))
    if p.promotion > 0:
        # Counters take each sample's best window (a hard posterior): with soft posteriors,
        # early flat posteriors spread a batch's mass over every window, every window crossed
        # c / W at once and the counters reset at every step (promotion never acted).
        state.counters, reset = update_counters(state.counters, hits.reshape(1, E, N, N), p.promotion,
                                                p.promotion_reset)
        state.resets += int(reset)
    cover = F.conv_transpose2d(hits.reshape(E, 1, N, N)[None, :, 0], torch.ones(E, 1, k, k, device=post.device),
                               groups=E)[0]
    # wrap the spill-over of windows crossing the torus edge back onto the epitome
    state.usage_counts += _fold_torus(cover, N)
    state.samples_seen += post.shape[0]
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
              progress=None, cancel=None, log=None, stage: str = "", on_step=None):
    """Train one EpitomeMixture. sampler(batch, k, gen) -> patches [B, C, k, k] on `device`.

    Each step: draw a batch -> posterior over all windows -> diversified, promoted loss -> Adam step ->
    count the best windows (promotion counters, usage) -> record the history.
    on_step(model, state): called after every step (a live monitor; must be cheap or subsample).
    reference: diversify by the likelihood under these (fixed) models instead of the model itself.
    Returns (model, state). Raises Cancelled with .partial = (model, state) when cancelled.
    """
    gen = gen or torch.Generator().manual_seed(p.seed)
    steps = steps or p.steps
    sizes = patch_sizes(p)
    model = init if init is not None else initial_model(sampler, p, sizes, gen, device)
    opt = Adam(model.parameters(), lr=p.learning_rate)
    state = TrainState.start(p.count, p.size, device)
    t0 = time.time()
    for it in range(steps):
        if cancel is not None and cancel():
            _raise_cancelled(model, state)
        k, x = draw_batch(sampler, p, sizes, gen)
        full, post = sgd_step(model, opt, x, k, p, state, reference)
        hits = count_best_windows(state, post, k, p)
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


def train_epitome(sampler, p: TrainParams, device, init: Optional[EpitomeMixture] = None, progress=None,
                  cancel=None, log=None, step_offset: int = 0, on_step=None):
    """Train per p.cascade. Returns (list of trained EpitomeMixture kept as a uniform mixture, state
    of the last stage, history of all stages). Cancel raises Cancelled with .partial = (models, state).

    on_step(model, state, stage, earlier): after every step; stage = 0, 1, 2 (cascade), earlier = the
    history of the stages already finished (state.history is the current stage's)."""
    p.validate()
    gen = torch.Generator().manual_seed(p.seed)
    torch.manual_seed(p.seed)
    stages = 1 if p.cascade == 0 else 3
    if init is not None and stages > 1:
        raise EpitomeError("INIT (continue training) works with CASCADE 0 only.")
    history: Dict[str, List[float]] = {}
    done = []
    state = None

    def stage_progress(i):
        return (lambda f, h: progress((i + f) / stages, h)) if progress else None

    for i in range(stages):
        ref = [done[-1]] if (i > 0) else None
        try:
            model, state = train_one(sampler, p, device, reference=ref, init=init if i == 0 else None,
                                     gen=gen, step_offset=step_offset + i * p.steps, progress=stage_progress(i),
                                     cancel=cancel, log=log, stage=f"E{i}: " if stages > 1 else "",
                                     on_step=(lambda m, st, i=i: on_step(m, st, i, history)) if on_step else None)
        except Cancelled as exc:
            m, st = exc.partial
            exc.partial = ((done[1:] + [m]) if stages > 1 and done[1:] else [m], st)
            raise
        for key, vals in state.history.items():
            history.setdefault(key, []).extend(vals)
        done.append(model)
    kept = done if stages == 1 else done[1:]  # the paper keeps E1 and E2
    return kept, state, history


def mixture_arrays(models: Sequence[EpitomeMixture]):
    """Uniform mixture of trained models as arrays: mu, var [E', C, N, N], log_prior [E', N, N]."""
    mu = torch.cat([m.mu.detach() for m in models]).cpu().numpy()
    var = torch.cat([m.var().detach() for m in models]).cpu().numpy()
    lp = torch.cat([m.log_prior().detach() - math.log(len(models)) for m in models]).cpu().numpy()
    return mu, var, lp
