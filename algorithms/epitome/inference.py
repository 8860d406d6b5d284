"""A trained epitome applied to image patches: posteriors over its windows, the label embedding (Eq. 6),
the class embedding (Eqs. 10-11) and the label prediction (Eq. 2) - docs/METHOD.md, "The epitome", "Putting
labels into the epitome" and "Prediction with a trained epitome".

Shapes: B patches, C bands, K patch side, Q side of a patch's centre block (the part of a patch whose
labels are embedded or predicted), o = (K - Q) / 2 the centre block's offset in the patch, E epitomes,
N epitome side, L labels, Cc coarse classes. Window s = (e, s1, s2) generates the patch pixel (i, j)
from epitome pixel (e, (s1 + i) mod N, (s2 + j) mod N).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

try:
    import torch
    import torch.nn.functional as F
except Exception:  # the plugin must load without torch
    torch = F = None

from ..lsr.em import positions_of_classes
from .likelihood import masked_patch_log_likelihood, patch_log_likelihood


@dataclass
class EpitomeTensors:
    """A trained mixture on a device: mu, var [E, C, N, N] (data scaled to [0, 1]), log_prior [E, N, N]."""

    mu: "torch.Tensor"
    var: "torch.Tensor"
    log_prior: "torch.Tensor"

    @classmethod
    def from_model(cls, model, device) -> "EpitomeTensors":
        def t(a):
            return torch.as_tensor(a, dtype=torch.float32, device=device)

        return cls(t(model.mu), t(model.var), t(model.log_prior))

    @property
    def shape(self):
        return tuple(self.mu.shape)


def window_log_likelihoods(ep: EpitomeTensors, patches: "torch.Tensor", mask: Optional["torch.Tensor"] = None,
                           backend: str = "auto") -> "torch.Tensor":
    """log p(x_b | e, s) for every window of every epitome: [B, E, N, N] (Eq. 5; over the valid pixels
    only when a mask [B, K, K] with missing pixels is given)."""
    full = mask is None or bool(mask.all())
    out = []
    for e in range(ep.mu.shape[0]):
        if full:
            out.append(patch_log_likelihood(patches, ep.mu[e], ep.var[e], backend))
        else:
            out.append(masked_patch_log_likelihood(patches, mask, ep.mu[e], ep.var[e], backend))
    return torch.stack(out, 1)


def window_logits(loglik: "torch.Tensor", log_prior: "torch.Tensor", temperature: float) -> "torch.Tensor":
    """log p(x_b | e, s) / T + log p(e, s): the log posterior over (e, s) up to a constant per patch [B, E, N, N]."""
    return loglik / temperature + log_prior[None]


def window_posteriors(loglik: "torch.Tensor", log_prior: "torch.Tensor", temperature: float) -> "torch.Tensor":
    """p(e, s | x_b) ∝ p(x_b | e, s)^(1/T) p(e, s), jointly normalised over epitomes and windows: [B, E, N, N]."""
    z = window_logits(loglik, log_prior, temperature)
    return torch.softmax(z.reshape(z.shape[0], -1), 1).reshape(z.shape)


def patch_log_evidence(loglik: "torch.Tensor", log_prior: "torch.Tensor") -> "torch.Tensor":
    """log p(x_b) = log sum_{e,s} p(x_b | e, s) p(e, s) (temperature 1): [B]. (The max-shifted sum written
    out: torch.logsumexp is 2-3x slower on the CPU for these long rows.)"""
    z = (loglik + log_prior[None]).reshape(loglik.shape[0], -1)
    top = z.amax(1, keepdim=True)
    return (z - top).exp_().sum(1).log_() + top[:, 0]


def embed_patches(post: "torch.Tensor", targets: "torch.Tensor") -> "torch.Tensor":
    """Eq. 6: z[e, l, m, n] = sum_b sum_s p(e, s | x_b) y_b[l, (m, n) - s]  (indices mod N): [E, L, N, N].

    post [B, E, N, N]; targets y [B, L, K, K]: the one-hot labels of each patch (zero where a pixel is not
    to be embedded: outside the centre block, nodata). A circular convolution of each posterior with its
    label patch, summed over the batch, computed with real FFTs."""
    B, E, N, _ = post.shape
    if targets.shape[0] != B or targets.shape[-1] > N:
        raise ValueError("targets must be [B, L, K, K] with K <= N, one per posterior")
    fp = torch.fft.rfft2(post)  # [B, E, N, N/2+1]
    fy = torch.fft.rfft2(targets.to(post.dtype), s=(N, N))  # [B, L, N, N/2+1] (zero-padded: y at offsets 0..K-1)
    prod = torch.einsum("bemv,blmv->elmv", fp, fy)
    return torch.fft.irfft2(prod, s=(N, N)).clamp_min(0)


def centre_targets(codes: "torch.Tensor", n_codes: int, q: int) -> "torch.Tensor":
    """One-hot targets of the centre blocks: codes [B, K, K] long (0..n_codes-1, -1 = not embedded) ->
    [B, n_codes, K, K], zero outside the centred Q x Q block."""
    B, k, _ = codes.shape
    o = (k - q) // 2
    keep = torch.zeros(k, k, dtype=torch.bool, device=codes.device)
    keep[o:o + q, o:o + q] = True
    ok = (codes >= 0) & keep[None]
    onehot = F.one_hot(codes.clamp_min(0), n_codes).permute(0, 3, 1, 2).to(torch.float32)
    return onehot * ok[:, None].to(torch.float32)


def normalise_embedding(z: "torch.Tensor", floor: float = 1e-6):
    """(p(l | e, m, n) [E, L, N, N], weight [E, N, N]) from embedded masses z [E, L, N, N]. Pixels with
    no mass (weight <= floor) get the label frequencies of all the embedded data."""
    weight = z.sum(1)
    overall = z.sum((0, 2, 3))
    overall = overall / overall.sum().clamp_min(1e-30)
    probs = z / weight.clamp_min(1e-30)[:, None]
    reached = weight > floor
    probs = torch.where(reached[:, None], probs, overall[None, :, None, None].expand_as(probs))
    return probs, weight


def class_positions(z_classes: "torch.Tensor"):
    """Eq. 11 normalised: p(e, m, n | c) [Cc', E*N*N] for the Cc' classes with any mass, and their mask
    present [Cc] - from class masses z_classes [E, Cc, N, N] (embed_patches of the class one-hots)."""
    E, Cc, N, _ = z_classes.shape
    return positions_of_classes(z_classes.permute(1, 0, 2, 3).reshape(Cc, E * N * N))


def shifted_label_columns(probs: "torch.Tensor", o: int, q: int, rows: slice) -> "torch.Tensor":
    """For windows s = (s1, s2) with s1 in `rows` of one epitome: the labels the centre block of a patch
    at s would get, p(l | s1 + o + i, s2 + o + j): [L*Q*Q, rows * N] (probs [L, N, N], wrap-around)."""
    L, N, _ = probs.shape
    r0, r1 = rows.start, rows.stop
    ri = (torch.arange(r0, r1 + q - 1, device=probs.device) + o) % N
    ci = (torch.arange(N + q - 1, device=probs.device) + o) % N
    padded = probs[:, ri][:, :, ci]  # [L, r1 - r0 + q - 1, N + q - 1]
    return F.unfold(padded[None], kernel_size=q)[0]


class CentrePredictor:
    """Eq. 2 for the centre blocks: p(y_ij = l | x_b) = sum_{e,s} p(e, s | x_b) p(l | e, s + o + (i, j)).

    probs [E, L, N, N] (the label embedding), o and q as above. Called with the window logits [B, E, N, N]
    (window_logits: the log posterior up to a constant per patch). exact: the posterior (a softmax) times
    the shifted label columns, one GEMM per chunk of at most chunk_elements values (the chunks are kept
    between calls when all of them fit in cache_elements). top_k > 0: only the k most probable windows of
    each patch, renormalised (a fast approximation, exact when the posterior is concentrated on k windows)."""

    def __init__(self, probs: "torch.Tensor", o: int, q: int, top_k: int = 0, chunk_elements: int = 1 << 24,
                 cache_elements: int = 1 << 26):
        self.probs, self.o, self.q, self.top_k = probs, int(o), int(q), int(top_k)
        E, L, N, _ = probs.shape
        per_row = L * q * q * N
        self.rows_per_chunk = max(1, min(N, chunk_elements // max(per_row, 1)))
        self.cache = None
        if top_k <= 0 and E * N * per_row <= cache_elements:
            self.cache = [[c for _, c in self._chunks(e)] for e in range(E)]

    def _chunks(self, e: int):
        N = self.probs.shape[-1]
        for r0 in range(0, N, self.rows_per_chunk):
            rows = slice(r0, min(N, r0 + self.rows_per_chunk))
            yield rows, shifted_label_columns(self.probs[e], self.o, self.q, rows)

    def __call__(self, logits: "torch.Tensor") -> "torch.Tensor":
        """logits [B, E, N, N] -> p(label) of the centre blocks [B, L, Q, Q]."""
        if self.top_k > 0:
            return predict_top_k(logits, self.probs, self.o, self.q, self.top_k)
        B, E, N, _ = logits.shape
        post = torch.softmax(logits.reshape(B, -1), 1).reshape(logits.shape)
        L, q = self.probs.shape[1], self.q
        out = torch.zeros(B, L * q * q, dtype=post.dtype, device=post.device)
        for e in range(E):
            chunks = zip((r for r, _ in self._chunks(e)), self.cache[e]) if self.cache else self._chunks(e)
            for rows, cols in chunks:
                out += post[:, e, rows].reshape(B, -1) @ cols.t()
        return out.reshape(B, L, q, q)


def predict_top_k(logits: "torch.Tensor", probs: "torch.Tensor", o: int, q: int, k: int) -> "torch.Tensor":
    """Eq. 2 over the k most probable windows of each patch, their posterior renormalised (the softmax of
    their logits): logits [B, E, N, N] -> [B, L, Q, Q]. The full posterior is never formed."""
    B, E, N, _ = logits.shape
    top, idx = torch.topk(logits.reshape(B, -1), min(k, E * N * N), dim=1)
    vals = torch.softmax(top, 1)
    e, s = idx // (N * N), idx % (N * N)
    off = torch.arange(q, device=logits.device) + o
    rows = ((s // N)[..., None] + off) % N  # [B, k, Q]
    cols = ((s % N)[..., None] + off) % N
    per_pixel = probs.permute(0, 2, 3, 1)  # [E, N, N, L]
    g = per_pixel[e[..., None, None], rows[..., :, None], cols[..., None, :]]  # [B, k, Q, Q, L]
    return torch.einsum("bk,bkijl->blij", vals.to(g.dtype), g)


def novelty(loglik: "torch.Tensor", log_prior: "torch.Tensor", n_values: "torch.Tensor") -> "torch.Tensor":
    """-log p(x_b) per value (nats; higher = less like anything the epitome learned): [B]. n_values [B]."""
    return -patch_log_evidence(loglik, log_prior) / n_values.clamp_min(1)

