"""Hand-written wiki pages of Wookieepedia's shape, written out as a MediaWiki XML export."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from xml.sax.saxutils import escape, quoteattr


@dataclass(frozen=True)
class Page:
    page_id: int
    title: str
    text: str
    redirect: str | None = None


def infobox_page(
    page_id: int, title: str, kind: str, fields: dict[str, str], lead: str, legends=False
) -> Page:
    top = "{{Top|leg}}" if legends else "{{Top}}"
    rows = "".join(f"\n|{name}={value}" for name, value in fields.items())
    category = "Legends articles" if legends else "Canon articles"
    return Page(page_id, title, f"{top}\n{{{{{kind}{rows}\n}}}}\n{lead}\n\n[[Category:{category}]]")


def redirect_page(page_id: int, title: str, target: str) -> Page:
    return Page(page_id, title, f"#REDIRECT [[{target}]]", redirect=target)


def write_dump(path: Path, pages: list[Page]) -> Path:
    body = "".join(_page_xml(page) for page in pages)
    path.write_text(
        '<mediawiki xmlns="http://www.mediawiki.org/xml/export-0.11/" version="0.11" xml:lang="en">\n'
        f"{body}</mediawiki>\n",
        encoding="utf-8",
    )
    return path


def _page_xml(page: Page) -> str:
    redirect = f"<redirect title={quoteattr(page.redirect)} />" if page.redirect else ""
    return (
        f"<page><title>{escape(page.title)}</title><ns>0</ns><id>{page.page_id}</id>{redirect}"
        f"<revision><id>{page.page_id}</id><timestamp>2024-01-01T00:00:00Z</timestamp>"
        f'<text xml:space="preserve">{escape(page.text)}</text></revision></page>\n'
    )
