"""Which documents a corpus view reads: those published in a period, from some outlets.

A scope is applied to a store opened read-only with :meth:`Store.restrict`, which
puts views named like the store's tables in front of them (documents, segments,
spans, labels, vectors). Every corpus view (stories, echoes, outlet profiles,
narrative spread, the report) then reads the scoped corpus without a line of its
own code knowing about it.

Dates are prefixes of ISO dates, compared on the same prefix of ``published``:
``--from 2016-05 --to 2016-05`` is May 2016, ``--from 2016`` every day of 2016
on. A document without a date is outside any scope that names a date.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from ..errors import NarrascopeError

DATE_PREFIX = re.compile(r"^\d{4}(-\d{2}(-\d{2})?)?$")


class ScopeError(NarrascopeError):
    """A scope that cannot be applied: a malformed date, an empty period."""


def check_date(value: str | None, option: str = "--from") -> str | None:
    """``value`` when it is a year, a month or a day in ISO form (2024, 2024-03, 2024-03-05); else ScopeError."""
    if value is None:
        return None
    value = value.strip()
    ok = bool(DATE_PREFIX.match(value))
    if ok:
        year, month, day = (value.split("-") + ["01", "01"])[:3]
        try:
            dt.date(int(year), int(month), int(day))
        except ValueError:
            ok = False
    if not ok:
        raise ScopeError(f"{option} {value!r}: give a year, a month or a day as 2024, 2024-03 or 2024-03-05")
    return value


def date_clause(column: str, date_from: str | None, date_to: str | None, param: str = "$date") -> tuple[list[str], dict]:
    """SQL conditions (and named parameters) for ``column`` between two ISO date prefixes, inclusive."""
    clauses, params = [], {}
    if date_from:
        clauses.append(f"{column} IS NOT NULL AND substr({column}, 1, length({param}_from)) >= {param}_from")
        params[f"{param[1:]}_from"] = date_from
    if date_to:
        clauses.append(f"{column} IS NOT NULL AND substr({column}, 1, length({param}_to)) <= {param}_to")
        params[f"{param[1:]}_to"] = date_to
    return clauses, params


@dataclass(frozen=True)
class Scope:
    date_from: str | None = None  # ISO date prefix, inclusive
    date_to: str | None = None  # ISO date prefix, inclusive
    outlets: tuple[str, ...] = ()  # the documents of these outlets only (none: every outlet)

    def __post_init__(self) -> None:
        object.__setattr__(self, "date_from", check_date(self.date_from, "--from"))
        object.__setattr__(self, "date_to", check_date(self.date_to, "--to"))
        object.__setattr__(self, "outlets", tuple(dict.fromkeys(self.outlets)))
        if self.date_from and self.date_to and self.date_to < self.date_from[:len(self.date_to)]:
            raise ScopeError(f"--to {self.date_to} is before --from {self.date_from}")

    def __bool__(self) -> bool:
        return bool(self.date_from or self.date_to or self.outlets)

    def where(self, outlet: str = "outlet", published: str = "published") -> tuple[str, dict]:
        """A SQL condition on a documents row (``TRUE`` for the whole corpus) and its named parameters."""
        clauses, params = date_clause(published, self.date_from, self.date_to, "$scope")
        if self.outlets:
            clauses.append(f"{outlet} IN (SELECT unnest($scope_outlets::VARCHAR[]))")
            params["scope_outlets"] = list(self.outlets)
        return " AND ".join(clauses) or "TRUE", params

    def describe(self) -> str:
        """"published 2016-05 to 2016-05, outlets nyt, politico" (empty for the whole corpus)."""
        parts = []
        if self.date_from or self.date_to:
            if self.date_from and self.date_to:
                parts.append(f"published {self.date_from} to {self.date_to}")
            else:
                parts.append(f"published from {self.date_from}" if self.date_from else f"published up to {self.date_to}")
        if self.outlets:
            parts.append(("outlet " if len(self.outlets) == 1 else "outlets ") + ", ".join(self.outlets))
        return ", ".join(parts)


def match_choice(kind: str, value: str, choices: list[str]) -> str:
    """``value`` as stored (matched in any case), or a ScopeError naming the nearest of ``choices``."""
    import difflib

    for choice in choices:
        if choice.lower() == value.lower():
            return choice
    if not choices:
        raise ScopeError(f"no {kind} is stored in this corpus, so {kind} {value!r} matches nothing")
    close = difflib.get_close_matches(value, choices, n=3, cutoff=0.5)
    hint = f"; did you mean {', '.join(close)}?" if close else f"; stored: {', '.join(choices[:12])}" + (" …" if len(choices) > 12 else "")
    raise ScopeError(f"unknown {kind} {value!r}{hint}")


def stored_outlets(store) -> list[str]:
    """The outlets a store's documents name, sorted (what a scope's outlets are matched against)."""
    return [o for (o,) in store.query("SELECT DISTINCT outlet FROM documents WHERE outlet IS NOT NULL ORDER BY 1")]


def resolve_outlets(scope: Scope, store, stored: list[str] | None = None) -> Scope:
    """``scope`` with its outlets spelt as ``store`` stores them; ScopeError for one it does not hold.
    ``stored``: the store's outlets when the caller has read them already (``stored_outlets``)."""
    if not scope.outlets:
        return scope
    stored = stored_outlets(store) if stored is None else stored
    return Scope(scope.date_from, scope.date_to, tuple(match_choice("outlet", o, stored) for o in scope.outlets))
