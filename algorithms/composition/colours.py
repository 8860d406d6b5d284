"""Colours of labels: the colours of common label names, and for any other name the palette colour most unlike
the colours already taken (distance in CIELAB), so no two labels of a table look alike; #rrggbb text."""

from __future__ import annotations

import re
from typing import List, Optional, Sequence, Tuple

# Colours for common label names (NLCD / Chesapeake / DeepGlobe / LoveDA vocabularies); any other name gets the
# PALETTE colour most unlike the colours already taken (default_colours), so no two labels look alike.
KNOWN_COLOURS = {
    "water": (0, 112, 255),
    "forest": (38, 115, 0),
    "tree canopy": (38, 115, 0),
    "trees": (38, 115, 0),
    "field": (163, 255, 115),
    "low vegetation": (163, 255, 115),
    "grass": (163, 255, 115),
    "agriculture": (255, 211, 127),
    "cropland": (255, 211, 127),
    "rangeland": (205, 230, 100),
    "built": (230, 0, 0),
    "impervious": (230, 0, 0),
    "urban": (230, 0, 0),
    "building": (200, 0, 60),
    "buildings": (200, 0, 60),
    "road": (90, 90, 90),
    "roads": (90, 90, 90),
    "background": (225, 225, 225),
    "barren": (210, 180, 140),
    "shrub": (205, 170, 102),
    "wetland": (120, 180, 220),
}


PALETTE = [(31, 119, 180), (255, 127, 14), (44, 160, 44), (214, 39, 40), (148, 103, 189),
           (140, 86, 75), (227, 119, 194), (127, 127, 127), (188, 189, 34), (23, 190, 207),
           (255, 225, 25), (0, 0, 128), (128, 0, 0), (170, 255, 195), (240, 50, 230), (0, 128, 128),
           (250, 190, 212), (128, 128, 0), (255, 215, 180), (70, 240, 240)]


# Two label colours closer than this (CIE76 delta E in Lab) are taken for the same colour at a glance.
DISTINCT_COLOURS = 25.0


def _lab(rgb: Sequence[int]) -> Tuple[float, float, float]:
    """sRGB (0..255) -> CIE Lab (D65): distances between colours as people see them."""
    def lin(v):
        v = v / 255.0
        return v / 12.92 if v <= 0.04045 else ((v + 0.055) / 1.055) ** 2.4

    r, g, b = (lin(float(v)) for v in tuple(rgb)[:3])
    xyz = (0.4124 * r + 0.3576 * g + 0.1805 * b) / 0.95047, 0.2126 * r + 0.7152 * g + 0.0722 * b, \
        (0.0193 * r + 0.1192 * g + 0.9505 * b) / 1.08883

    def f(t):
        return t ** (1.0 / 3.0) if t > 216.0 / 24389.0 else (24389.0 / 27.0 * t + 16.0) / 116.0

    fx, fy, fz = (f(t) for t in xyz)
    return 116.0 * fy - 16.0, 500.0 * (fx - fy), 200.0 * (fy - fz)


def colour_distance(a: Sequence[int], b: Sequence[int]) -> float:
    """Perceptual distance of two RGB colours (CIE76 delta E; about 2 is just noticeable)."""
    la, lb = _lab(a), _lab(b)
    return float(sum((x - y) ** 2 for x, y in zip(la, lb)) ** 0.5)


def distinct_colour(taken: Sequence[Tuple[int, int, int]]) -> Tuple[int, int, int]:
    """The PALETTE colour farthest from every colour taken (the first palette colour when none is)."""
    if not taken:
        return PALETTE[0]
    return max(PALETTE, key=lambda p: min(colour_distance(p, t) for t in taken))


def default_colours(labels: Sequence[str], fixed: Optional[Sequence] = None) -> List[Tuple[int, int, int]]:
    """A colour per label: the usual colour of a known name (water blue, forest green, ...) unless a label
    before it already looks like that; every other label the palette colour most unlike those taken.
    fixed: colours already chosen (None where not), kept as they are. Deterministic."""
    n = len(labels)
    out: List[Optional[Tuple[int, int, int]]] = [None] * n
    for i, c in enumerate(list(fixed or [])[:n]):
        if c is not None:
            out[i] = tuple(int(v) for v in tuple(c)[:3])
    taken = [c for c in out if c is not None]
    for i, name in enumerate(labels):
        known = KNOWN_COLOURS.get(str(name).strip().lower())
        if out[i] is None and known is not None and all(colour_distance(known, t) >= DISTINCT_COLOURS for t in taken):
            out[i] = known
            taken.append(known)
    for i in range(n):
        if out[i] is None:
            out[i] = distinct_colour(taken)
            taken.append(out[i])
    return out


_HEX = re.compile(r"^#?([0-9a-fA-F]{6})$")


def colour_to_hex(rgb: Sequence[int]) -> str:
    """(r, g, b) -> '#rrggbb'."""
    return "#{:02x}{:02x}{:02x}".format(*(max(0, min(255, int(v))) for v in tuple(rgb)[:3]))


def hex_to_colour(text: str) -> Optional[Tuple[int, int, int]]:
    """'#rrggbb' (the '#' may be left out) -> (r, g, b); None when the text is not such a colour."""
    m = _HEX.match(text.strip())
    if not m:
        return None
    v = m.group(1)
    return int(v[0:2], 16), int(v[2:4], 16), int(v[4:6], 16)
