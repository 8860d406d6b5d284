"""Bounds of the user-facing numeric parameters, declared once, on the core's dataclasses.

A field declared with `bounded()` carries its range in its metadata. The core's `validate()` checks
every such field with `check_bounds()`, and the plugin's Processing declarations
(plugin/processing/declarations.py) read the default, the type and the same range from the field, so the
dialog's spin boxes, `checkParameterValues` and the core can never disagree.

    @dataclass
    class LsrParams:
        patch_size: int = bounded(7, 1, 31, odd=True, hint="e.g. 5, 7 or 9")

    LsrParams(patch_size=8).validate()  ->  ValueError("PATCH_SIZE must be an odd whole number ...")
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Optional


@dataclass(frozen=True)
class Bounds:
    """Valid values of one parameter: [low, high] (either end open or absent), optionally odd, optionally None."""

    low: Optional[float] = None
    high: Optional[float] = None
    low_open: bool = False  # low itself is not allowed
    high_open: bool = False
    odd: bool = False
    allow_none: bool = False  # None means "automatic" (the field's documentation says what)
    name: Optional[str] = None  # the Processing parameter name; default: the field name in upper case
    hint: str = ""  # appended to the message, e.g. "0.01 suits data scaled to [0, 1]"

    def describe(self) -> str:
        """'between 1 and 31', 'greater than 0 and at most 1', 'at least 1', ..."""
        lo = None if self.low is None else \
            ("greater than {}" if self.low_open else "at least {}").format(_num(self.low))
        hi = None if self.high is None else ("less than {}" if self.high_open else "at most {}").format(_num(self.high))
        if lo and hi and not (self.low_open or self.high_open):
            return f"between {_num(self.low)} and {_num(self.high)}"
        return " and ".join(t for t in (lo, hi) if t) or "any number"

    def problem(self, name: str, value) -> Optional[str]:
        """The message for an invalid value, None when it is valid."""
        if value is None:
            return None if self.allow_none else f"{name} must be given."
        ok = True
        if self.low is not None:
            ok &= value > self.low if self.low_open else value >= self.low
        if self.high is not None:
            ok &= value < self.high if self.high_open else value <= self.high
        if self.odd:
            ok &= float(value) == int(value) and int(value) % 2 == 1
        if ok:
            return None
        what = ("an odd whole number " if self.odd else "") + self.describe()
        return f"{name} must be {what} (got {_num(value)})" + (f": {self.hint}." if self.hint else ".")


def _num(v) -> str:
    return f"{v:g}" if isinstance(v, float) else str(v)


def bounded(default, low=None, high=None, *, low_open=False, high_open=False, odd=False, allow_none=False,
            name=None, hint=""):
    """A dataclass field with its valid range (see the module docstring)."""
    return field(default=default, metadata={"bounds": Bounds(low, high, low_open, high_open, odd, allow_none, name,
                                                             hint)})


def bounds_of(cls, field_name: str) -> Bounds:
    """The Bounds declared on cls.field_name (a KeyError names a field declared without bounded())."""
    for f in fields(cls):
        if f.name == field_name:
            return f.metadata["bounds"]
    raise KeyError(f"{cls.__name__} has no field {field_name!r}")


def parameter_name(cls, field_name: str) -> str:
    """The Processing parameter name of a field: Bounds.name, else the field name in upper case."""
    b = bounds_of(cls, field_name)
    return b.name or field_name.upper()


def default_of(cls, field_name: str):
    for f in fields(cls):
        if f.name == field_name:
            return f.default
    raise KeyError(field_name)


def check_bounds(obj) -> None:
    """Raise ValueError with the first bounded field of the dataclass instance obj out of its range."""
    for f in fields(obj):
        b = f.metadata.get("bounds")
        if b is not None:
            msg = b.problem(b.name or f.name.upper(), getattr(obj, f.name))
            if msg:
                raise ValueError(msg)
