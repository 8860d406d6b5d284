"""Parameters of self-epitomic LSR (the Processing parameters of the same names) and memory blocks."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

from ..bounds import bounded, check_bounds

FUSION_MODES = ("none", "product", "bayes", "smooth")  # enum order is stable: saved models store the index
TABLE_MODES = ("prior", "constraint")  # the composition table as each pixel's prior, or as the paper's constraint


def block_elements_for_budget(budget_mib: int, default: int = 1 << 24) -> int:
    """Logits held at once (LsrParams.block_elements) for a working-memory budget in MiB: one fp32
    block is a sixteenth of the budget (the posterior block, its exponent and the embedding products
    live at the same time), within [2^18, 2^28]. 0 or less: the default."""
    if budget_mib <= 0:
        return default
    return int(min(1 << 28, max(1 << 18, budget_mib * (1 << 20) // 64)))


# Settings in ground units (the paper's for 1 m NAIP: 2 m working pixels, 7 x 7 patches = 14 m, 512 m tiles).
WORKING_PIXEL_M = 2.0
TILE_M = 512.0


def ground_settings(pixel_m: float):
    """(DOWNSAMPLE, TILE_SIZE) for imagery with pixels of pixel_m metres: working pixels of about 2 m and
    tiles of about 512 m, so 0.3 m, 0.5 m and 1 m imagery see the same ground per patch and per tile
    (0.3 m: 7 and 1707; 0.5 m: 4 and 1024; 1 m: 2 and 512)."""
    f = max(1, int(round(WORKING_PIXEL_M / pixel_m)))
    tile = int(min(8192, max(32, round(TILE_M / pixel_m))))
    return f, tile


@dataclass
class LsrParams:
    """Parameters of self-epitomic LSR (the Processing parameters of the same names).

    The pipeline: per tile, appearance gives p_app(l | pixel): with TABLE_MODE prior (the default) every pixel
    starts from its coarse class's composition and moves where look-alike windows are decisive (the appearance
    mixture, lsr/appearance.py); with TABLE_MODE constraint the paper's EM first makes each class reproduce the
    table's shares. The job then fuses it with a label prior from the coarse map alone, p ∝ p_app^w prior^v
    (lsr/trust.py), w = APPEARANCE_WEIGHT (empty: chosen from REFERENCE samples when given, else the default),
    v = FUSION_WEIGHT, the prior per FUSION (smooth: the blocks' compositions interpolated bilinearly).
    Defaults: chosen on one group of real cases and reported on the others (docs/BENCHMARKS.md, `make bench`).
    """

    downsample: Optional[int] = bounded(None, 1, 32, allow_none=True,
                                        hint="empty = working pixels of about 2 m (2 for 1 m imagery)")
    patch_size: int = bounded(7, 1, 31, odd=True, hint="e.g. 5, 7 or 9")
    samples: float = bounded(0.05, 0.0, 1.0, low_open=True,
                             hint="the share of working pixels used as query patches (1 = all windows)")
    variance: float = bounded(0.01, 0.0, 10.0, low_open=True, hint="0.01 suits data scaled to [0, 1]")
    temperature: Optional[float] = bounded(None, 0.0, low_open=True, allow_none=True)  # None = K*K
    em_iterations: int = bounded(30, 1, 1000)  # at most; see em_tolerance
    em_tolerance: float = bounded(0.0, 0.0, 1.0, hint="0 = always EM_ITERATIONS")  # stop when p moves less
    table_mode: str = "prior"  # one of TABLE_MODES (docs/METHOD.md, "The table is a prior")
    fusion: str = "smooth"  # one of FUSION_MODES: the label prior appearance is fused with
    fusion_weight: float = bounded(1.0, 0.0, 10.0, hint="the exponent v of the prior; 0 = appearance alone")
    appearance_weight: Optional[float] = bounded(None, 0.0, 100.0, allow_none=True,
                                                 hint="the exponent w of appearance; empty = chosen from the data")
    # Doing less work (issue: speed). Both 1 / None = the exact, dense attention.
    # The defaults (3 and 16) were chosen by `make bench` (docs/BENCHMARKS.md, speed sections): 20x the plain
    # dense reference, within 0.24 points of the exact path on every real case (mean over three seeds).
    key_stride: int = bounded(3, 1, 8, hint="1 = every window is a key (exact)")  # key windows' spacing
    patch_dims: Optional[int] = bounded(16, 1, 4096, allow_none=True,
                                        hint="empty = the full patch vectors (exact)")  # PCA dimensions
    # Appearance refinement (noisy-label mixture EM, see lsr.appearance). 0 iterations = off.
    appearance_iterations: int = bounded(2, 0, 100, hint="0 turns appearance off")
    appearance_power: float = bounded(3.0, 0.0, low_open=True, hint="3 by default")  # beta: exponent of p(x_t | l)
    appearance_exclude: Optional[int] = None  # leave-out radius in windows; None = K - 1; < 0 = off
    # Dirichlet strength (x class count); None = fixed
    table_prior: Optional[float] = bounded(0.1, 0.0, allow_none=True)
    block_elements: int = bounded(1 << 24, 1)  # query block x windows floats held at once (64 MiB fp32)
    seed: int = bounded(0, 0)

    def validate(self):
        """ValueError naming the parameter and what to change (ranges: the bounded() declarations above)."""
        check_bounds(self)
        if self.fusion not in FUSION_MODES:
            raise ValueError(f"FUSION must be one of {', '.join(FUSION_MODES)}.")
        if self.table_mode not in TABLE_MODES:
            raise ValueError(f"TABLE_MODE must be one of {', '.join(TABLE_MODES)}.")

    @property
    def effective_downsample(self) -> int:
        """DOWNSAMPLE; None (automatic) is resolved from the pixel size by the job (ground_settings), and means
        2, the 1 m setting, where no pixel size is known (a tile computed on its own)."""
        return int(self.downsample) if self.downsample else 2

    @property
    def effective_temperature(self) -> float:
        return float(self.temperature) if self.temperature else float(self.patch_size ** 2)

    @property
    def effective_appearance_exclude(self) -> int:
        if self.appearance_exclude is None:
            return self.patch_size - 1
        return int(self.appearance_exclude)
