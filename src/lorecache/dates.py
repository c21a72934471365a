"""In-universe dates: infobox text (`c. 3,000 BBY`, `Between 22 and 19 BBY`, `Before 32 BBY`) read as
years on one integer axis, and each article's span.

The universe's TOML names the era notation and the date fields (`[dates]`), so another wiki's calendar
is configuration. A year counts only with its era's marker after it: `May 14, 1944` (a real person's
birthday) and `(39:3 GrS)` (a calendar stamp) never land on the axis. Text that holds no year stays
text, and a value is kept as written beside what was read from it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from lorecache.article import Article, InfoboxValue

EARLIEST = -(10**9)
"""Where a span open at its start (`Before 32 BBY`) begins, as the stores compare spans."""
LATEST = 10**9

_NUMBER = r"\d{1,3}(?:,\d{3})+|\d+"
_APPROXIMATE = re.compile(
    r"\b(?:c\.|ca\.|circa|around|about|approximately|approx\.|roughly|probably|presumably|possibly|"
    r"likely|sometime|some point|early|mid|late)|~|\?",
    re.IGNORECASE,
)
_BEFORE = re.compile(
    r"(?:\b(?:before|prior to|by|until|no later than|up to|earlier than|pre)[\s-]*|<\s*)$", re.IGNORECASE
)
_AFTER = re.compile(r"(?:\b(?:after|following|later than|since|post)[\s-]*|>\s*)$", re.IGNORECASE)
_SHORT = re.compile(r"\b(?:months?|weeks?|wks?|days?|hours?)\s*$", re.IGNORECASE)


class Span(NamedTuple):
    """An article's time on the axis; EARLIEST or LATEST where a side is open."""

    start: int
    end: int

    @property
    def at(self) -> int:
        """Where a timeline places it: its start, else (open at its start) its end."""
        return self.end if self.start == EARLIEST else self.start

    def overlaps(self, start: int, end: int) -> bool:
        return self.start <= end and self.end >= start

    def as_dict(self) -> dict[str, int | None]:
        return {"from": _shown(self.start), "to": _shown(self.end)}


@dataclass(frozen=True, slots=True)
class Date:
    """One infobox value as text and as years: `start` None when open before (`Before 32 BBY`), `end`
    None when open after; both None when the text holds no year."""

    text: str
    start: int | None
    end: int | None
    approximate: bool = False

    @property
    def parsed(self) -> bool:
        return self.start is not None or self.end is not None

    def as_dict(self) -> dict[str, Any]:
        return {"text": self.text, "from": self.start, "to": self.end, "approximate": self.approximate}


@dataclass(frozen=True, slots=True)
class SpanRule:
    """Where a span is read from: the earliest start of the `start` fields to the latest end of the
    `end` fields (one field for both: a single date). A side without a year is open, unless `reach`
    bounds it that many years from the other: a death with no birth does not make a life as old as
    the galaxy."""

    start: tuple[str, ...]
    end: tuple[str, ...]
    reach: int | None = None


@dataclass(frozen=True, slots=True)
class Calendar:
    """A universe's era notation and date fields. `eras` maps each marker to its direction (`BBY` -1:
    years counted back from the epoch; `ABY` 1); `spans` are the rules an article's span is read
    from, the first whose fields hold a year winning; `timeline` the categories a
    timeline lists unless asked for another."""

    eras: Mapping[str, int]
    fields: tuple[str, ...]
    spans: tuple[SpanRule, ...]
    timeline: tuple[str, ...] = ()
    _years: re.Pattern[str] = field(init=False, repr=False, compare=False)
    _asked: re.Pattern[str] = field(init=False, repr=False, compare=False)
    _epoch: re.Pattern[str] = field(init=False, repr=False, compare=False)
    _by_marker: dict[str, int] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        # Without eras nothing is a year: `(?!)` matches nowhere.
        markers = "|".join(sorted(map(re.escape, self.eras), key=len, reverse=True)) or "(?!)"
        decimal = rf"(?:{_NUMBER})(?:\.\d+)?"
        year = rf"(?P<number>{decimal})(?P<decade>s)?\s*(?P<era>{markers})\b"
        dash = r"(?:\u2013|\u2014|-|to|and)"
        ranged = rf"(?P<first>{decimal})\s*{dash}\s*(?:c\.\s*)?(?={decimal}\s*(?:{markers})\b)"
        object.__setattr__(self, "_years", re.compile(rf"{ranged}|{year}", re.IGNORECASE))
        object.__setattr__(self, "_asked", re.compile(rf"^\s*(?:(-?\d+)|{year})\s*$", re.IGNORECASE))
        object.__setattr__(self, "_epoch", re.compile(rf"\b(?:{markers})\b", re.IGNORECASE))
        object.__setattr__(self, "_by_marker", {marker.upper(): sign for marker, sign in self.eras.items()})

    def parse(self, text: str) -> Date:
        """Every year the text holds, its qualifiers read from the words just before it: the earliest
        lower bound and the latest upper bound make the date. A lone number before a range's year
        (`Between 22 and 19 BBY`, `22-19 BBY`) takes that year's era."""
        starts: list[int | None] = []
        ends: list[int | None] = []
        after_previous = 0
        pending: list[str] = []
        for found in self._years.finditer(text):
            if found["first"] is not None:
                pending.append(found["first"])
                continue
            sign = self._by_marker[found["era"].upper()]
            context = text[after_previous : found.start()]
            for number in [*pending, found["number"]]:
                low, high = _years_of(number, found["decade"] is not None, sign)
                if _BEFORE.search(context) and not pending:
                    low = None
                elif _AFTER.search(context) and not pending:
                    high = None
                starts.append(low)
                ends.append(high)
            pending = []
            after_previous = found.end()
        if not starts:
            return self._without_year(text)
        start = None if None in starts else min(s for s in starts if s is not None)
        end = None if None in ends else max(e for e in ends if e is not None)
        return Date(text, start, end, bool(_APPROXIMATE.search(text)))

    def _without_year(self, text: str) -> Date:
        """`2 months ABY`, `1 day ABY`: within the epoch's year; anything else holds no year."""
        marker = self._epoch.search(text)
        if marker and _SHORT.search(text[: marker.start()]):
            return Date(text, 0, 0, bool(_APPROXIMATE.search(text)))
        return Date(text, None, None)

    def year(self, text: str) -> int | None:
        """A year as a parameter gives it: `22 BBY`, `0 ABY`, or the integer of the axis (`-22`)."""
        found = self._asked.match(text)
        if found is None or found["decade"]:
            return None
        if found[1] is not None:
            year = int(found[1])
        else:
            year = _years_of(found["number"], False, self._by_marker[found["era"].upper()])[0]
        return year if abs(year) < LATEST else None

    @property
    def pattern(self) -> str:
        """What `year` reads, as a pattern of JSON Schema (ECMA 262: no flags, no named groups) for the
        OpenAPI schema: an integer of the axis, or a year and its era's marker in any case."""
        markers = "|".join("".join(f"[{c.upper()}{c.lower()}]" for c in marker) for marker in self.eras)
        number = r"([0-9]{1,8}|[0-9]{1,3}(,[0-9]{3}){1,2})(\.[0-9]{1,2})?"
        return rf"^(-?[0-9]{{1,8}}|{number} ?({markers}))$" if markers else r"^-?[0-9]{1,8}$"

    def label(self, year: int) -> str:
        """A year as the wiki titles it (`19 BBY`, `4 ABY`): its year article."""
        marker = next(m for m, sign in self.eras.items() if (sign < 0) == (year < 0))
        return f"{abs(year)} {marker}"

    def dates(self, infobox: Mapping[str, InfoboxValue]) -> dict[str, Date]:
        """Each date field the infobox has, several values of one field read as one date."""
        return {name: self._value(infobox[name]) for name in self.fields if name in infobox}

    def _value(self, value: InfoboxValue) -> Date:
        if isinstance(value, str):
            return self.parse(value)
        parts = [self.parse(item) for item in value]
        dated = [part for part in parts if part.parsed]
        text = "; ".join(value)
        if not dated:
            return Date(text, None, None)
        starts = [part.start for part in dated]
        ends = [part.end for part in dated]
        return Date(
            text,
            None if None in starts else min(s for s in starts if s is not None),
            None if None in ends else max(e for e in ends if e is not None),
            any(part.approximate for part in dated),
        )

    def span(self, dates: Mapping[str, Date]) -> Span | None:
        """From the first rule whose fields hold a year (`SpanRule`)."""
        for rule in self.spans:
            starts = [dates[name] for name in rule.start if name in dates and dates[name].parsed]
            ends = [dates[name] for name in rule.end if name in dates and dates[name].parsed]
            if not starts and not ends:
                continue
            low = _bound([d.start for d in starts], min)
            high = _bound([d.end for d in ends], max)
            if rule.reach is not None:
                known = [year for d in (*starts, *ends) for year in (d.start, d.end) if year is not None]
                # An open side is `reach` years from the nearest year known on its own side, else on
                # the other: a life `Prior to 19 BBY` runs from 119 BBY at the earliest to 81 ABY.
                if low is None:
                    own = [d.end for d in starts if d.end is not None]
                    low = min(own or known) - rule.reach
                if high is None:
                    own = [d.start for d in ends if d.start is not None]
                    high = max(own or known) + rule.reach
            low = EARLIEST if low is None else low
            high = LATEST if high is None else high
            return Span(min(low, high), max(low, high))
        return None

    def article_dates(self, article: Article) -> tuple[dict[str, Date], Span | None]:
        found = self.dates(article.infobox)
        return found, self.span(found)


def _bound(values: list[int | None], pick: Any) -> int | None:
    """The earliest (or latest) of some bounds; None when there are none, or one is open."""
    if not values or None in values:
        return None
    return pick(values)


def _years_of(number: str, decade: bool, sign: int) -> tuple[int, int]:
    """A number before an era marker, as the first and last year of the axis it names: a fractional
    year is the year it falls in (`31.5 BBY`: 31 BBY); a round number with an `s` the years it names
    (`5130s BBY`: ten of them, `900s BBY`: a hundred)."""
    digits = number.replace(",", "").split(".")[0]
    whole = int(digits)
    width = 10 ** (len(digits) - len(digits.rstrip("0"))) - 1 if decade and whole else 0
    first, last = sign * whole, sign * (whole + width)
    return min(first, last), max(first, last)


def _shown(year: int) -> int | None:
    return None if year in (EARLIEST, LATEST) else year


def future(dates: Mapping[str, Any], as_of: int) -> list[str]:
    """The fields of an answer's `dates` that begin after `as_of`: what a reader at that moment
    cannot know yet."""
    return [name for name, date in dates.items() if date["from"] is not None and date["from"] > as_of]


def load_calendar(data: Mapping[str, Any]) -> Calendar:
    """A universe TOML's `[dates]` table."""
    rules = data.get("spans", ())
    spans = tuple(SpanRule(tuple(rule["start"]), tuple(rule["end"]), rule.get("reach")) for rule in rules)
    named = (name for rule in spans for name in (*rule.start, *rule.end))
    fields = tuple(dict.fromkeys([*named, *data.get("fields", ())]))
    return Calendar(
        eras=dict(data.get("eras", {})),
        fields=fields,
        spans=spans,
        timeline=tuple(data.get("timeline", ())),
    )
