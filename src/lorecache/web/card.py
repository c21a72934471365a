"""An article as its card shows it: the infobox as rows whose values link to the cards of the articles
they name, and what links to it. Built over the read interface, so the file cache builds it too.

An infobox value and the links of its field do not pair up one to one: `34 ABY, Ahch-To` holds two
links, `Mos Espa (de facto capital)` links `Mos Espa`, `Er'Kit` links `Er'Kit (species)`, and
`Hot and arid` carries a link to `Temperature` that names no part of it. So the links are found in the
text: each place a target's name (without a parenthesised qualifier or a continuity suffix) stands as
whole words links that target, and only when the cache holds an article it names.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from lorecache.article import Article, InfoboxValue
from lorecache.dates import EARLIEST, LATEST, Calendar
from lorecache.query import Continuity
from lorecache.store.interface import Backlink, LoreReader
from lorecache.universes import Universe

MAX_BACKLINKS = 50
_QUALIFIER = re.compile(r"\s*\([^()]*\)$|/(Canon|Legends)$")


@dataclass(frozen=True, slots=True)
class Piece:
    text: str
    link: str | None
    """The title of the article this part of a value names."""


@dataclass(frozen=True, slots=True)
class Row:
    field: str
    values: tuple[tuple[Piece, ...], ...]

    @property
    def label(self) -> str:
        """`points_of_interest` as a reader writes it."""
        return self.field.replace("_", " ").capitalize()


@dataclass(frozen=True, slots=True)
class Card:
    article: Article
    rows: tuple[Row, ...]
    backlinks: tuple[Backlink, ...]
    more_backlinks: bool
    twin: str | None
    """The same subject in the other continuity: `Tatooine/Legends` beside `Tatooine`."""
    span: str | None
    """Its time in the story (`19 BBY to 4 ABY`), when its infobox dates it."""


def build(reader: LoreReader, title: str, continuity: Continuity, universe: Universe) -> Card | None:
    """Three reads: the article, the titles its infobox links and its twin lead to, and the articles
    linking to it."""
    article = reader.get(title, continuity)
    if article is None:
        return None
    legends_suffix = universe.canon.legends_suffix
    twin = article.title.removesuffix(legends_suffix)
    if twin == article.title:
        twin += legends_suffix
    targets = [target for targets in article.infobox_links.values() for target in targets]
    held = reader.titles(list(dict.fromkeys([*targets, twin])))
    rows = tuple(
        Row(field, tuple(map(Linker(article.infobox_links.get(field, []), held).pieces, items)))
        for field, value in article.infobox.items()
        if field != "name" and (items := _items(value))
    )
    linking = reader.backlinks([article.title, *article.aliases], MAX_BACKLINKS + 1)
    linking = [link for link in linking if link.title != article.title]
    found_twin = held.get(twin)
    return Card(
        article,
        rows,
        tuple(linking[:MAX_BACKLINKS]),
        len(linking) > MAX_BACKLINKS,
        found_twin if found_twin != article.title else None,
        lifetime(universe.calendar, article),
    )


def lifetime(calendar: Calendar, article: Article) -> str | None:
    """The article's span in the calendar's words, an open side said as such (`from 32 BBY`)."""
    _, span = calendar.article_dates(article)
    if span is None:
        return None
    start = None if span.start == EARLIEST else calendar.label(span.start)
    end = None if span.end == LATEST else calendar.label(span.end)
    if start and end:
        return start if start == end else f"{start} to {end}"
    return f"from {start}" if start else f"until {end}"


def _items(value: InfoboxValue) -> list[str]:
    """A field's values; a leading count (`suns: 2, Tatoo I, Tatoo II`) is kept as a value of its own."""
    return [item for item in ([value] if isinstance(value, str) else value) if item.strip()]


class Linker:
    """The names of one field's held targets, found in each of its values: the pattern is made once
    for the field, which may hold dozens of values (`inhabitants`)."""

    def __init__(self, targets: list[str], held: dict[str, str]) -> None:
        names = {_QUALIFIER.sub("", target).strip(): held[target] for target in targets if target in held}
        names.pop("", None)
        self.titles = {name.casefold(): title for name, title in names.items()}
        ordered = sorted(names, key=len, reverse=True)
        self.pattern = (
            re.compile(r"(?<!\w)(" + "|".join(map(re.escape, ordered)) + r")(?!\w)", re.IGNORECASE)
            if ordered
            else None
        )

    def pieces(self, item: str) -> tuple[Piece, ...]:
        """`item` cut where the names stand in it, the longest name first."""
        if self.pattern is None:
            return (Piece(item, None),)
        found: list[Piece] = []
        start = 0
        for match in self.pattern.finditer(item):
            if match.start() > start:
                found.append(Piece(item[start : match.start()], None))
            found.append(Piece(match.group(), self.titles.get(match.group().casefold())))
            start = match.end()
        if start < len(item):
            found.append(Piece(item[start:], None))
        return tuple(found)
