"""Number and date formatting shared by evaluation messages and renderers (no dependencies)."""

from __future__ import annotations

import datetime as dt
import math

__all__ = ["fmt_date", "fmt_duration", "fmt_moment", "fmt_pct", "fmt_round", "fmt_value"]


def fmt_value(value: float | None, unit: str | None = None) -> str:
    """A KPI value with up to four significant digits and its unit: '0.8123', '12.5 ms', '4.1%'."""
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "—"
    if value == 0:
        text = "0"
    elif abs(value) >= 1000:
        text = f"{value:,.0f}"
    else:
        text = f"{value:.4g}"
        if "e" in text:
            text = f"{value:.2e}"
    if not unit:
        return text
    return f"{text}{unit}" if unit in ("%", "×", "x") else f"{text} {unit}"


def fmt_round(value: float | None, unit: str | None = None, versus: float | None = None) -> str:
    """A value rounded for a sentence, with its unit: three significant digits ('0.3', '0.675',
    '12.5 ms'), more when fewer would show it equal to ``versus`` (the threshold it is compared
    with), at most six."""
    if value is None or not math.isfinite(value):
        return "—"
    for digits in range(3, 7):
        text = _rounded(value, digits)
        if versus is None or value == versus or not math.isfinite(versus):
            break
        if text != _rounded(versus, digits):
            break
    return _with_unit(text, unit)


def _rounded(value: float, digits: int) -> str:
    if value == 0:
        return "0"
    text = f"{value:.{digits}g}"
    if abs(value) >= 1000 or ("e" in text and abs(value) >= 1):
        return f"{value:,.0f}"
    return f"{value:.{digits - 1}e}" if "e" in text else text


def _with_unit(text: str, unit: str | None) -> str:
    if not unit:
        return text
    return f"{text}{unit}" if unit in ("%", "×", "x") else f"{text} {unit}"


def fmt_pct(fraction: float | None) -> str:
    """A fraction as a percentage: 0.0523 -> '5.2%'."""
    if fraction is None or not math.isfinite(fraction):
        return "—"
    pct = fraction * 100
    if pct == 0:
        return "0%"
    return f"{pct:.0f}%" if abs(pct) >= 10 else f"{pct:.1f}%"


def fmt_date(value: dt.date | None) -> str:
    return value.isoformat() if value else "—"


def fmt_moment(value: dt.datetime | None) -> str:
    """A moment in UTC to the minute: '2026-11-18 07:40 UTC'."""
    if value is None:
        return "—"
    return value.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")


def fmt_duration(value: dt.timedelta | None) -> str:
    """A duration in its two largest units, rounded down to the minute: '35 min', '4 h 10 min',
    '2 d 3 h'."""
    if value is None:
        return "—"
    minutes = max(int(value.total_seconds() // 60), 0)
    days, rest = divmod(minutes, 1440)
    hours, mins = divmod(rest, 60)
    if days:
        return f"{days} d {hours} h" if hours else f"{days} d"
    if hours:
        return f"{hours} h {mins} min" if mins else f"{hours} h"
    return f"{mins} min"
