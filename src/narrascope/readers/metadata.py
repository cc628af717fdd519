"""Normalise metadata that containers give: dates to ISO 8601, authors to a list."""

from __future__ import annotations

import re
import time
from datetime import date, datetime, timezone
from email.utils import parsedate_to_datetime
from typing import Any

_FORMATS = (
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%d %H:%M",
    "%Y/%m/%d %H:%M:%S",
    "%Y/%m/%d",
    "%d.%m.%Y %H:%M:%S",
    "%d.%m.%Y %H:%M",
    "%d.%m.%Y",
    "%B %d, %Y",
    "%b %d, %Y",
    "%d %B %Y",
    "%d %b %Y",
)


def iso_date(value: Any) -> str | None:
    """``value`` (ISO string, RFC 2822, common formats, epoch seconds/ms, struct_time) as ISO 8601.

    Dates stay dates (``2024-03-01``); datetimes keep their offset when given one.
    None when the value is empty or not recognisably a date.
    """
    if value is None or value == "":
        return None
    if isinstance(value, time.struct_time):
        return datetime(*value[:6], tzinfo=timezone.utc).isoformat()
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return _from_epoch(float(value))
    text = str(value).strip()
    if not text:
        return None
    if re.fullmatch(r"\d{9,13}(\.\d+)?", text):
        return _from_epoch(float(text))
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        try:
            return date.fromisoformat(text).isoformat()
        except ValueError:
            return None
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00") if text.endswith("Z") else text).isoformat()
    except ValueError:
        pass
    try:
        return parsedate_to_datetime(text).isoformat()
    except (TypeError, ValueError, IndexError):
        pass
    for fmt in _FORMATS:
        try:
            parsed = datetime.strptime(text, fmt)
        except ValueError:
            continue
        return parsed.date().isoformat() if "%H" not in fmt else parsed.isoformat()
    return None


def _from_epoch(seconds: float) -> str | None:
    if seconds > 1e11:  # milliseconds
        seconds /= 1000
    try:
        return datetime.fromtimestamp(seconds, tz=timezone.utc).isoformat()
    except (OverflowError, OSError, ValueError):
        return None


_AUTHOR_SPLIT = re.compile(r"\s*(?:;|\||,|\band\b|&)\s*")


def author_list(value: Any) -> list[str]:
    """Authors from a list, a list of ``{"name": ...}`` or a string like "A. Smith; B. Jones"."""
    if value is None:
        return []
    if isinstance(value, dict):
        value = [value]
    if isinstance(value, (list, tuple)):
        names = []
        for item in value:
            name = item.get("name") if isinstance(item, dict) else item
            if isinstance(name, str) and name.strip():
                names.append(_strip_by(name))  # a list already separates the names
        return _unique(names)
    return _unique(part for part in _AUTHOR_SPLIT.split(_strip_by(str(value))) if part)


def _strip_by(name: str) -> str:
    return re.sub(r"^\s*by\s+", "", name, flags=re.IGNORECASE).strip()


def _unique(names) -> list[str]:
    seen: dict[str, None] = {}
    for name in names:
        seen.setdefault(name, None)
    return list(seen)
