# Copyright: (c) 2026, xen.xapi maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Sizes (disk, memory) written by users, converted to and from bytes.

The rule, case-insensitive:

- B is bytes.
- KiB, MiB, GiB, TiB, PiB are binary (powers of 1024), and so are the short
  forms K, M, G, T, P and KB, MB, GB, TB, PB: that is how Ansible's own
  human_to_bytes reads them, and what people mean by "memory: 2GB".

A number without a unit is in the caller's default unit. Fractions are allowed
("1.5GiB") and rounded to the nearest byte; a fraction of a byte ("0.5B") is refused.
"""

from __future__ import annotations

import decimal
import re
import typing as t

_KIB = 1024

UNIT_BYTES: dict[str, int] = {
    "b": 1,
    "k": _KIB, "kib": _KIB,
    "m": _KIB ** 2, "mib": _KIB ** 2,
    "g": _KIB ** 3, "gib": _KIB ** 3,
    "t": _KIB ** 4, "tib": _KIB ** 4,
    "p": _KIB ** 5, "pib": _KIB ** 5,
    "kb": _KIB, "mb": _KIB ** 2, "gb": _KIB ** 3, "tb": _KIB ** 4, "pb": _KIB ** 5,
}

# Display units, largest first, for format_size.
_BINARY_DISPLAY = (("PiB", _KIB ** 5), ("TiB", _KIB ** 4), ("GiB", _KIB ** 3), ("MiB", _KIB ** 2), ("KiB", _KIB))

_SIZE_PATTERN = re.compile(r"^\s*(?P<number>\d+(?:\.\d*)?|\.\d+)\s*(?P<unit>[a-z]*)\s*$", re.IGNORECASE)


def _unit_multiplier(unit: str, value: object) -> int:
    try:
        return UNIT_BYTES[unit.lower()]
    except KeyError:
        raise ValueError(
            "Size {0!r} has an unknown unit {1!r}; use B, KiB, MiB, GiB, TiB (or K, M, G, T, or KB, MB, GB, TB).".format(value, unit)
        )


def parse_size(value: t.Union[int, float, str], default_unit: str = "B") -> int:
    """Return the number of bytes a size denotes; see the module docstring for the rule.

    Raises ValueError naming the bad value when it cannot be read or is negative.
    """
    default_multiplier = _unit_multiplier(default_unit, default_unit)
    if isinstance(value, bool):
        raise ValueError("Size {0!r} is a boolean, not a size.".format(value))
    if isinstance(value, int):
        number = decimal.Decimal(value)
        multiplier = default_multiplier
    elif isinstance(value, float):
        number = decimal.Decimal(repr(value))
        multiplier = default_multiplier
    elif isinstance(value, str):
        match = _SIZE_PATTERN.match(value)
        if match is None:
            raise ValueError("Size {0!r} is not a number followed by an optional unit such as GiB or MB.".format(value))
        number = decimal.Decimal(match.group("number"))
        unit = match.group("unit")
        multiplier = _unit_multiplier(unit, value) if unit else default_multiplier
    else:
        raise ValueError("Size {0!r} must be a number or a string such as '4GiB'.".format(value))
    if number < 0:
        raise ValueError("Size {0!r} is negative.".format(value))
    if multiplier == 1 and number != number.to_integral_value():
        raise ValueError("Size {0!r} is not a whole number of bytes.".format(value))
    return int((number * multiplier).to_integral_value(rounding=decimal.ROUND_HALF_UP))


def format_size(size: int) -> str:
    """Render a byte count for people: "4 GiB", "1.5 GiB", "512 MiB", "100 B".

    Exact multiples show as whole numbers; other values are rounded to two decimals.
    """
    if size < 0:
        return "-" + format_size(-size)
    for name, unit in _BINARY_DISPLAY:
        if size >= unit:
            amount = "{0:.2f}".format(size / unit).rstrip("0").rstrip(".")
            return "{0} {1}".format(amount, name)
    return "{0} B".format(size)
