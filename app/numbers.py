"""Whole numbers from client text, ASCII digits only.

`str.isdigit()` is true for "²" and "①", which `int()` then refuses; and a 400-digit number is a
valid int that no column or timestamp can hold. Every numeric field a client sends goes through here.
"""

from __future__ import annotations

import re

_WHOLE = re.compile(r"[+-]?[0-9]{1,18}")


def whole_number(raw: str) -> int | None:
    """The number `raw` spells in at most 18 ASCII digits (an optional sign, spaces around), else None."""
    text = raw.strip()
    return int(text) if _WHOLE.fullmatch(text) else None
