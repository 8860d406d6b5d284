"""Parameters of self-epitomic LSR (the Processing parameters of the same names) and memory blocks."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

from ..params import bounded, check_bounds


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

    downsample: int = bounded(2, 1, 16, hint="2 for 1 m imagery, as in the paper")
    patch_size: int = bounded(7, 1, 31, odd=True, hint="e.g. 5, 7 or 9")
    samples: float = bounded(0.05, 0.0, 1.0, low_open=True,
                             hint="the share of working pixels used as query patches (1 = all windows)")
    variance: float = bounded(0.01, 0.0, 10.0, low_open=True, hint="0.01 suits data scaled to [0, 1]")
    temperature: Optional[float] = bounded(None, 0.0, low_open=True, allow_none=True)  # None = K*K
    em_iterations: int = bounded(30, 1, 1000)
    fusion: str = "product"  # one of FUSION_MODES; see the table above
    fusion_weight: float = bounded(0.5, 0.0, 10.0, hint="0 = no fusion")
    # Appearance refinement (noisy-label mixture EM, see lsr.appearance). 0 iterations = off.
    appearance_iterations: int = bounded(1, 0, 100, hint="0 turns the refinement off")
    appearance_power: float = bounded(3.0, 0.0, low_open=True, hint="3 by default")  # beta: exponent of p(x_t | l)
    appearance_exclude: Optional[int] = None  # leave-out radius in windows; None = K - 1; < 0 = off
    table_prior: Optional[float] = bounded(0.1, 0.0, allow_none=True)  # Dirichlet strength (x class count); None = fixed
    block_elements: int = bounded(1 << 24, 1)  # query block x windows floats held at once (64 MiB fp32)
    seed: int = bounded(0, 0)

    def validate(self):
        """ValueError naming the parameter and what to change (ranges: the bounded() declarations above)."""
        check_bounds(self)
        if self.fusion not in FUSION_MODES:
            raise ValueError(f"FUSION must be one of {', '.join(FUSION_MODES)}.")

    @property
    def effective_temperature(self) -> float:
        return float(self.temperature) if self.temperature else float(self.patch_size ** 2)

    @property
    def effective_appearance_exclude(self) -> int:
        if self.appearance_exclude is None:
            return self.patch_size - 1
        return int(self.appearance_exclude)
