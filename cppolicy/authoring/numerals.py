"""Point and article labels as numbers: ``十九`` → 19, ``第四十五条`` → 45, for the instrument's order."""

from __future__ import annotations

import re

_DIGITS = {
    "零": 0,
    "〇": 0,
    "一": 1,
    "二": 2,
    "两": 2,
    "兩": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
}
_UNITS = {"十": 10, "拾": 10, "百": 100, "佰": 100, "千": 1000, "仟": 1000}
_AFFIXES = re.compile(r"^第|[条條点點款项項章节節]$")


def parse_numeral(text: str) -> int | None:
    """The number a point or article label stands for: ``十九`` → 19, ``一百零五`` → 105,
    ``第四十五条`` → 45, ``45`` → 45; ``None`` when it is not a number."""
    label = _AFFIXES.sub("", str(text).strip())
    if not label:
        return None
    if label.isdecimal():
        return int(label)
    total, digit, last_unit, previous = 0, None, None, None
    for char in label:
        if char in _DIGITS:
            if previous in _DIGITS and _DIGITS[previous] != 0:
                return None  # 二三: two digits with no unit between them
            digit = _DIGITS[char]
        elif char in _UNITS:
            unit = _UNITS[char]
            if last_unit is not None and unit >= last_unit:
                return None  # units must fall: 百 after 十 is not a number
            total += (1 if digit is None else digit) * unit
            digit, last_unit = None, unit
        else:
            return None
        previous = char
    return total + (digit or 0)


def coverage_sort_key(label: str) -> tuple[int, int, str]:
    """Instrument order: numbered labels by number, anything else after them by text."""
    number = parse_numeral(label)
    return (0, number, label) if number is not None else (1, 0, label)
