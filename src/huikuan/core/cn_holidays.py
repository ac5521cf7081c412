"""Chinese statutory holidays (法定节假日) and make-up workdays (调休上班日), as data.

Data flow: the State Council's yearly notice (国务院办公厅关于某年部分节假日安排的通知) →
one :class:`YearNotice` in :data:`NOTICES` → :mod:`huikuan.core.business_calendar`, which
precomputes the business days from it. Nothing here computes anything; a new year is added by
appending its notice, after which ``business_calendar.last_announced_year`` moves on by itself.

A notice is keyed by the year it is *for*, and a holiday period may start in the year before
(the 2023 New Year's holiday began on 2022-12-31). Holiday periods list every day off, the
weekend days inside the period included; make-up workdays are the weekend days worked instead.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum


class Festival(StrEnum):
    """The seven statutory festivals, by stable code."""

    NEW_YEAR = "new_year"  # 元旦
    SPRING_FESTIVAL = "spring_festival"  # 春节
    QINGMING = "qingming"  # 清明节 (Tomb-sweeping Day)
    LABOUR_DAY = "labour_day"  # 劳动节
    DRAGON_BOAT = "dragon_boat"  # 端午节
    MID_AUTUMN = "mid_autumn"  # 中秋节
    NATIONAL_DAY = "national_day"  # 国庆节

    @property
    def label_en(self) -> str:
        return _LABEL_EN[self]

    @property
    def label_zh(self) -> str:
        return _LABEL_ZH[self]


_LABEL_EN = {
    Festival.NEW_YEAR: "New Year's Day",
    Festival.SPRING_FESTIVAL: "Spring Festival",
    Festival.QINGMING: "Tomb-sweeping Day",
    Festival.LABOUR_DAY: "Labour Day",
    Festival.DRAGON_BOAT: "Dragon Boat Festival",
    Festival.MID_AUTUMN: "Mid-autumn Festival",
    Festival.NATIONAL_DAY: "National Day",
}

_LABEL_ZH = {
    Festival.NEW_YEAR: "元旦",
    Festival.SPRING_FESTIVAL: "春节",
    Festival.QINGMING: "清明节",
    Festival.LABOUR_DAY: "劳动节",
    Festival.DRAGON_BOAT: "端午节",
    Festival.MID_AUTUMN: "中秋节",
    Festival.NATIONAL_DAY: "国庆节",
}


@dataclass(frozen=True, slots=True)
class HolidayPeriod:
    """Consecutive days off (放假) for one festival, or two merged ones, ``first``..``last``."""

    festivals: tuple[Festival, ...]
    first: date
    last: date  # inclusive

    def __post_init__(self) -> None:
        if not self.festivals:
            raise ValueError("a holiday period needs at least one festival")
        if self.last < self.first:
            raise ValueError(f"holiday period ends ({self.last}) before it starts ({self.first})")

    @property
    def name(self) -> str:
        """English name, e.g. ``"Mid-autumn Festival & National Day"``."""
        return " & ".join(festival.label_en for festival in self.festivals)

    @property
    def name_zh(self) -> str:
        """Chinese name, e.g. ``"中秋节、国庆节"``."""
        return "、".join(festival.label_zh for festival in self.festivals)

    def days(self) -> tuple[date, ...]:
        count = (self.last - self.first).days + 1
        return tuple(self.first + timedelta(days=offset) for offset in range(count))


@dataclass(frozen=True, slots=True)
class MakeUpWorkday:
    """A weekend day worked (调休上班) to make up for ``festival``'s days off."""

    day: date
    festival: Festival


@dataclass(frozen=True, slots=True)
class YearNotice:
    """One year's holiday arrangement, as announced by the State Council."""

    year: int
    holidays: tuple[HolidayPeriod, ...]
    make_up_workdays: tuple[MakeUpWorkday, ...]
    source: str


def _off(first: date, last: date, *festivals: Festival) -> HolidayPeriod:
    return HolidayPeriod(festivals=festivals, first=first, last=last)


def _work(day: date, festival: Festival) -> MakeUpWorkday:
    return MakeUpWorkday(day=day, festival=festival)


def _source(year: int) -> str:
    return f"国务院办公厅关于{year}年部分节假日安排的通知"


_NEW_YEAR = Festival.NEW_YEAR
_SPRING = Festival.SPRING_FESTIVAL
_QINGMING = Festival.QINGMING
_LABOUR = Festival.LABOUR_DAY
_DRAGON = Festival.DRAGON_BOAT
_MID_AUTUMN = Festival.MID_AUTUMN
_NATIONAL = Festival.NATIONAL_DAY

NOTICES: tuple[YearNotice, ...] = (
    YearNotice(
        year=2020,
        holidays=(
            _off(date(2020, 1, 1), date(2020, 1, 1), _NEW_YEAR),
            # Announced as 1-24..1-30 with 2-1 worked; extended to 2-2 because of COVID-19, which
            # also cancelled the 2-1 make-up day (国务院办公厅关于延长2020年春节假期的通知).
            _off(date(2020, 1, 24), date(2020, 2, 2), _SPRING),
            _off(date(2020, 4, 4), date(2020, 4, 6), _QINGMING),
            _off(date(2020, 5, 1), date(2020, 5, 5), _LABOUR),
            _off(date(2020, 6, 25), date(2020, 6, 27), _DRAGON),
            _off(date(2020, 10, 1), date(2020, 10, 8), _NATIONAL, _MID_AUTUMN),
        ),
        make_up_workdays=(
            _work(date(2020, 1, 19), _SPRING),
            _work(date(2020, 4, 26), _LABOUR),
            _work(date(2020, 5, 9), _LABOUR),
            _work(date(2020, 6, 28), _DRAGON),
            _work(date(2020, 9, 27), _NATIONAL),
            _work(date(2020, 10, 10), _NATIONAL),
        ),
        source=_source(2020) + "；国务院办公厅关于延长2020年春节假期的通知",
    ),
    YearNotice(
        year=2021,
        holidays=(
            _off(date(2021, 1, 1), date(2021, 1, 3), _NEW_YEAR),
            _off(date(2021, 2, 11), date(2021, 2, 17), _SPRING),
            _off(date(2021, 4, 3), date(2021, 4, 5), _QINGMING),
            _off(date(2021, 5, 1), date(2021, 5, 5), _LABOUR),
            _off(date(2021, 6, 12), date(2021, 6, 14), _DRAGON),
            _off(date(2021, 9, 19), date(2021, 9, 21), _MID_AUTUMN),
            _off(date(2021, 10, 1), date(2021, 10, 7), _NATIONAL),
        ),
        make_up_workdays=(
            _work(date(2021, 2, 7), _SPRING),
            _work(date(2021, 2, 20), _SPRING),
            _work(date(2021, 4, 25), _LABOUR),
            _work(date(2021, 5, 8), _LABOUR),
            _work(date(2021, 9, 18), _MID_AUTUMN),
            _work(date(2021, 9, 26), _NATIONAL),
            _work(date(2021, 10, 9), _NATIONAL),
        ),
        source=_source(2021),
    ),
    YearNotice(
        year=2022,
        holidays=(
            _off(date(2022, 1, 1), date(2022, 1, 3), _NEW_YEAR),
            _off(date(2022, 1, 31), date(2022, 2, 6), _SPRING),
            _off(date(2022, 4, 3), date(2022, 4, 5), _QINGMING),
            _off(date(2022, 4, 30), date(2022, 5, 4), _LABOUR),
            _off(date(2022, 6, 3), date(2022, 6, 5), _DRAGON),
            _off(date(2022, 9, 10), date(2022, 9, 12), _MID_AUTUMN),
            _off(date(2022, 10, 1), date(2022, 10, 7), _NATIONAL),
        ),
        make_up_workdays=(
            _work(date(2022, 1, 29), _SPRING),
            _work(date(2022, 1, 30), _SPRING),
            _work(date(2022, 4, 2), _QINGMING),
            _work(date(2022, 4, 24), _LABOUR),
            _work(date(2022, 5, 7), _LABOUR),
            _work(date(2022, 10, 8), _NATIONAL),
            _work(date(2022, 10, 9), _NATIONAL),
        ),
        source=_source(2022),
    ),
    YearNotice(
        year=2023,
        holidays=(
            _off(date(2022, 12, 31), date(2023, 1, 2), _NEW_YEAR),
            _off(date(2023, 1, 21), date(2023, 1, 27), _SPRING),
            _off(date(2023, 4, 5), date(2023, 4, 5), _QINGMING),
            _off(date(2023, 4, 29), date(2023, 5, 3), _LABOUR),
            _off(date(2023, 6, 22), date(2023, 6, 24), _DRAGON),
            _off(date(2023, 9, 29), date(2023, 10, 6), _MID_AUTUMN, _NATIONAL),
        ),
        make_up_workdays=(
            _work(date(2023, 1, 28), _SPRING),
            _work(date(2023, 1, 29), _SPRING),
            _work(date(2023, 4, 23), _LABOUR),
            _work(date(2023, 5, 6), _LABOUR),
            _work(date(2023, 6, 25), _DRAGON),
            _work(date(2023, 10, 7), _NATIONAL),
            _work(date(2023, 10, 8), _NATIONAL),
        ),
        source=_source(2023),
    ),
    YearNotice(
        year=2024,
        holidays=(
            _off(date(2023, 12, 30), date(2024, 1, 1), _NEW_YEAR),
            _off(date(2024, 2, 10), date(2024, 2, 17), _SPRING),
            _off(date(2024, 4, 4), date(2024, 4, 6), _QINGMING),
            _off(date(2024, 5, 1), date(2024, 5, 5), _LABOUR),
            _off(date(2024, 6, 10), date(2024, 6, 10), _DRAGON),
            _off(date(2024, 9, 15), date(2024, 9, 17), _MID_AUTUMN),
            _off(date(2024, 10, 1), date(2024, 10, 7), _NATIONAL),
        ),
        make_up_workdays=(
            _work(date(2024, 2, 4), _SPRING),
            _work(date(2024, 2, 18), _SPRING),
            _work(date(2024, 4, 7), _QINGMING),
            _work(date(2024, 4, 28), _LABOUR),
            _work(date(2024, 5, 11), _LABOUR),
            _work(date(2024, 9, 14), _MID_AUTUMN),
            _work(date(2024, 9, 29), _NATIONAL),
            _work(date(2024, 10, 12), _NATIONAL),
        ),
        source=_source(2024),
    ),
    YearNotice(
        year=2025,
        holidays=(
            _off(date(2025, 1, 1), date(2025, 1, 1), _NEW_YEAR),
            _off(date(2025, 1, 28), date(2025, 2, 4), _SPRING),
            _off(date(2025, 4, 4), date(2025, 4, 6), _QINGMING),
            _off(date(2025, 5, 1), date(2025, 5, 5), _LABOUR),
            _off(date(2025, 5, 31), date(2025, 6, 2), _DRAGON),
            _off(date(2025, 10, 1), date(2025, 10, 8), _NATIONAL, _MID_AUTUMN),
        ),
        make_up_workdays=(
            _work(date(2025, 1, 26), _SPRING),
            _work(date(2025, 2, 8), _SPRING),
            _work(date(2025, 4, 27), _LABOUR),
            _work(date(2025, 9, 28), _NATIONAL),
            _work(date(2025, 10, 11), _NATIONAL),
        ),
        source=_source(2025),
    ),
    YearNotice(
        year=2026,
        holidays=(
            _off(date(2026, 1, 1), date(2026, 1, 3), _NEW_YEAR),
            _off(date(2026, 2, 15), date(2026, 2, 23), _SPRING),
            _off(date(2026, 4, 4), date(2026, 4, 6), _QINGMING),
            _off(date(2026, 5, 1), date(2026, 5, 5), _LABOUR),
            _off(date(2026, 6, 19), date(2026, 6, 21), _DRAGON),
            _off(date(2026, 9, 25), date(2026, 9, 27), _MID_AUTUMN),
            _off(date(2026, 10, 1), date(2026, 10, 7), _NATIONAL),
        ),
        make_up_workdays=(
            _work(date(2026, 1, 4), _NEW_YEAR),
            _work(date(2026, 2, 14), _SPRING),
            _work(date(2026, 2, 28), _SPRING),
            _work(date(2026, 5, 9), _LABOUR),
            _work(date(2026, 9, 20), _NATIONAL),
            _work(date(2026, 10, 10), _NATIONAL),
        ),
        source=_source(2026),
    ),
)
"""Every announced year, oldest first. Append the next notice when the State Council issues it."""
