"""Parameters of self-epitomic LSR (the Processing parameters of the same names) and memory blocks."""

from __future__ import annotations

from typing import Optional
from dataclasses import dataclass


FUSION_MODES = ("none", "product", "bayes")


def block_elements_for_budget(budget_mib: int, default: int = 1 << 24) -> int:
    """Logits held at once (LsrParams.block_elements) for a working-memory budget in MiB: one fp32
    block is a sixteenth of the budget (the posterior block, its exponent and the embedding products
    live at the same time), within [2^18, 2^28]. 0 or less: the default."""
    if budget_mib <= 0:
        return default
    return int(min(1 << 28, max(1 << 18, budget_mib * (1 << 20) // 64)))


@dataclass
class LsrParams:
    """Parameters of self-epitomic LSR (the Processing parameters of the same names).

    Defaults chosen by the `make bench --grid` table (docs/BENCHMARKS.md, section 5): the real NAIP /
    NLCD 30 m patches of shared/data/chesapeake-wv and four generated 1024 px scenes (two with detailed
    labels, two with hand-drawn smooth labels). accuracy % (real also mIoU and the worst patch against
    the naive baseline argmax p(l | c)):
                                        real                 detailed 0/1   smooth 0/1
      naive                             86.41 / 0.403        78.0 / 78.3    90.1 / 90.2
      paper EM (appearance 0, no fusion) 87.20 / 0.441 / -0.9 85.2 / 84.0    86.6 / 87.2
      appearance 1, no fusion           88.20 / 0.439 / +0.0 86.5 / 85.4    87.2 / 88.9
      appearance 1, product 0.5 (default) 87.79 / 0.423 / -0.4 86.4 / 84.7  91.1 / 91.2
      appearance 5, no fusion           88.66 / 0.464 / +0.0 83.2 / 83.3    81.6 / 86.2
    Without fusion, self-similarity loses up to 2.9 points to plain upsampling on smooth hand-drawn
    maps; the product fusion with weight 0.5 is the only setting that never falls more than 1 point
    below the naive baseline on any real patch or scene, for 0.4 points of real-patch accuracy.
    Five refinement iterations fit the real patches best but lose 2-6 points on the generated scenes.
    """

    downsample: int = 2
    patch_size: int = 7
    samples: float = 0.05  # share of working pixels used as query patches (1 = all windows)
    variance: float = 0.01  # Gaussian variance of every epitome pixel, data scaled to [0, 1]
    temperature: Optional[float] = None  # None = K*K (the reference code's self-epitome choice)
    em_iterations: int = 30
    fusion: str = "product"  # see the table above
    fusion_weight: float = 0.5
    # Appearance refinement (noisy-label mixture EM, see appearance_mixture). 0 iterations = off.
    appearance_iterations: int = 1  # chosen by `make bench` grid (docs/BENCHMARKS.md section 5)
    appearance_power: float = 3.0  # beta: exponent of the appearance likelihood p(x_t | l)
    appearance_exclude: Optional[int] = None  # leave-out radius in windows; None = K - 1; < 0 = off
    table_prior: Optional[float] = 0.1  # Dirichlet strength (x class count) of the tile table; None = fixed
    block_elements: int = 1 << 24  # query block x windows floats held at once (64 MiB fp32)
    seed: int = 0

    def validate(self):
        if self.downsample < 1:
            raise ValueError("DOWNSAMPLE must be at least 1.")
        if self.patch_size < 1 or self.patch_size % 2 == 0:
            raise ValueError("PATCH_SIZE must be a positive odd number (e.g. 5, 7, 9).")
        if not (0.0 < self.samples <= 1.0):
            raise ValueError("SAMPLES must be in (0, 1]: the share of working pixels used as queries.")
        if self.variance <= 0:
            raise ValueError("VARIANCE must be positive (0.01 suits data scaled to [0, 1]).")
        if self.em_iterations < 1:
            raise ValueError("EM_ITERATIONS must be at least 1.")
        if self.fusion not in FUSION_MODES:
            raise ValueError(f"FUSION must be one of {', '.join(FUSION_MODES)}.")
        if self.appearance_iterations < 0:
            raise ValueError("APPEARANCE_ITERATIONS must be 0 (off) or more.")
        if self.appearance_power <= 0:
            raise ValueError("APPEARANCE_POWER must be positive (3 by default).")
        if self.table_prior is not None and self.table_prior < 0:
            raise ValueError("TABLE_PRIOR must be non-negative (or None to keep the table fixed).")

    @property
    def effective_temperature(self) -> float:
        return float(self.temperature) if self.temperature else float(self.patch_size ** 2)

    @property
    def effective_appearance_exclude(self) -> int:
        if self.appearance_exclude is None:
            return self.patch_size - 1
        return int(self.appearance_exclude)
