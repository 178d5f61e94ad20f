"""The years cppolicy itself knows, and what python-holidays says about them.

python-holidays answers for *any* year, but for a year whose State Council notice it does not
carry it returns the statutory days without the bridged rest days and make-up working days,
which looks valid and is wrong. So the years cppolicy trusts are a table here
(:data:`BUNDLED_YEARS`), each with a fingerprint of its arrangement as checked against holidays
:data:`HOLIDAYS_CHECKED_VERSION` (and cross-checked against the independent ``chinesecalendar``
package, see the tests).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from types import MappingProxyType
from typing import Final

import holidays
from holidays.countries.china import China

from cppolicy.calendar.days import MAKE_UP_NAME

CALENDAR_NAME: Final = "cn"

#: The python-holidays release the table below was checked against (day by day, 2012–2026,
#: against holidays' China and the independent chinesecalendar 1.11.0: no difference).
HOLIDAYS_CHECKED_VERSION: Final = "0.109"


@dataclass(frozen=True, slots=True)
class BundledYear:
    #: sha256 (first 16 hex) of the year's weekday rest days and weekend make-up working days,
    #: see :func:`_fingerprint`
    fingerprint: str
    #: the State Council notice(s), as cited by python-holidays 0.109 (gov.cn 国务院公报 pages)
    notice: str


def _notice(year: int, url: str, extra: str = "") -> str:
    return f"国务院办公厅关于{year}年部分节假日安排的通知 ({url}){extra}"


_GONGBAO = "https://www.gov.cn/gongbao/content"

#: Years whose State Council arrangement the bundled source carries, as checked by cppolicy.
#: A year that is not here is refused even though python-holidays would answer for it.
BUNDLED_YEARS: Final[Mapping[int, BundledYear]] = MappingProxyType(
    {
        2012: BundledYear("ff833e14334289a2", _notice(2012, f"{_GONGBAO}/2011/content_2020918.htm")),
        2013: BundledYear("bd0e281254d6c2f8", _notice(2013, f"{_GONGBAO}/2012/content_2292057.htm")),
        2014: BundledYear("c3f592afbba13c1c", _notice(2014, f"{_GONGBAO}/2014/content_2561299.htm")),
        2015: BundledYear(
            "e82f309cfabff50b",
            _notice(
                2015,
                f"{_GONGBAO}/2015/content_2799019.htm",
                "; 3 September 2015 rest day for the 70th anniversary of the victory of the War of Resistance",
            ),
        ),
        2016: BundledYear("05586985730ca1fc", _notice(2016, f"{_GONGBAO}/2016/content_2979719.htm")),
        2017: BundledYear("996dd337ed6a718b", _notice(2017, f"{_GONGBAO}/2016/content_5148793.htm")),
        2018: BundledYear("eba2eca9f7c3da6a", _notice(2018, f"{_GONGBAO}/2017/content_5248221.htm")),
        2019: BundledYear(
            "55df9041a9dc9bcf",
            _notice(
                2019,
                f"{_GONGBAO}/2018/content_5350046.htm",
                f"; Labour Day change ({_GONGBAO}/2019/content_5380356.htm)",
            ),
        ),
        2020: BundledYear(
            "6b45b68cb161ef63",
            _notice(
                2020,
                f"{_GONGBAO}/2019/content_5459138.htm",
                f"; 国务院办公厅关于延长2020年春节假期的通知 ({_GONGBAO}/2020/content_5477297.htm)",
            ),
        ),
        2021: BundledYear("4e4d60778fd8f226", _notice(2021, f"{_GONGBAO}/2020/content_5567750.htm")),
        2022: BundledYear("ba6340a339bb6b95", _notice(2022, f"{_GONGBAO}/2021/content_5651728.htm")),
        2023: BundledYear("47f4e5668e70d3ac", _notice(2023, f"{_GONGBAO}/2023/content_5736714.htm")),
        2024: BundledYear(
            "b88c0e3849b3d9cc",
            _notice(2024, "https://www.gov.cn/gongbao/2023/issue_10806/202311/content_6913823.html"),
        ),
        2025: BundledYear(
            "8f088eb49af8388b",
            _notice(2025, "https://www.gov.cn/gongbao/2024/issue_11726/202411/content_6989767.html"),
        ),
        2026: BundledYear(
            "ef5e75eabce173fe",
            _notice(2026, "https://www.gov.cn/gongbao/2025/issue_12406/202511/content_7048922.html"),
        ),
    }
)


def fingerprint(year: int, rest_weekdays: Iterable[date], working_weekends: Iterable[date]) -> str:
    text = (
        f"{year}|rest:{','.join(d.isoformat() for d in sorted(rest_weekdays))}"
        f"|work:{','.join(d.isoformat() for d in sorted(working_weekends))}"
    )
    return hashlib.sha256(text.encode("ascii")).hexdigest()[:16]


def installed_holidays_version() -> str:
    return str(getattr(holidays, "__version__", "unknown"))


def format_years(years: Iterable[int]) -> str:
    """``2012-2026`` or ``2012-2015,2017-2026,2028``; ``none`` when empty."""
    ordered = sorted(set(years))
    if not ordered:
        return "none"
    runs: list[list[int]] = []
    for y in ordered:
        if runs and y == runs[-1][1] + 1:
            runs[-1][1] = y
        else:
            runs.append([y, y])
    parts = [str(a) if a == b else f"{a}-{b}" for a, b in runs]
    return ",".join(parts)


def statutory_names(year: int, language: str) -> dict[date, str]:
    """python-holidays' statutory holidays of ``year`` (no observed/bridged days), by date."""
    table = China(years=year, observed=False, language=language)
    return {d: "; ".join(table.get_list(d)) for d in table if d.year == year}


_BRIDGED_RE = re.compile(r"休息日（由 (\d{4}-\d{2}-\d{2}) 调休）")


def bundled_arrangement(year: int) -> tuple[frozenset[date], frozenset[date], dict[date, tuple[str, str]]]:
    """Weekday rest days, weekend make-up days and holiday names of ``year`` from holidays.China."""
    # A make-up day can be listed with the next year's holiday (e.g. 2011-12-31 for 2012's
    # New Year), so the next year is populated too and everything is filtered to ``year``.
    zh = China(years=[year, year + 1], language="zh_CN")
    en = China(years=[year], language="en_US")
    rest_weekdays = frozenset(d for d in zh if d.year == year and d.weekday() < 5)
    make_up = frozenset(d for d in zh.weekend_workdays if d.year == year and d.weekday() >= 5)
    names: dict[date, tuple[str, str]] = {}
    paid_for: dict[date, list[date]] = {}
    for d in zh:
        if d.year != year or d in make_up:
            continue
        zh_name, en_name = "；".join(zh.get_list(d)), "; ".join(en.get_list(d))
        # A bridged rest day is labelled 休息日（由 2025-09-28 调休）: say which weekend pays for it.
        bridged = _BRIDGED_RE.fullmatch(zh_name)
        if bridged is not None:
            paid = date.fromisoformat(bridged.group(1))
            en_name = f"bridged rest day (调休; made up on {paid.strftime('%a')} {paid.isoformat()})"
            if paid in make_up:
                paid_for.setdefault(paid, []).append(d)
        names[d] = (zh_name, en_name)
    for paid, rest_days in paid_for.items():
        listed = ", ".join(f"{r.strftime('%a')} {r.isoformat()}" for r in sorted(rest_days))
        names[paid] = (MAKE_UP_NAME, f"make-up working day for the rest day {listed}")
    return rest_weekdays, make_up, names
