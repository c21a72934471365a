"""Reading MediaWiki XML exports: formats, fields, faults, and the sample corpus end to end."""

from __future__ import annotations

import bz2
import gzip
import zlib
from collections.abc import Callable
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path

import pytest

from lorecache import universes
from lorecache.article import Article, RawPage
from lorecache.sources.dump import DumpError, DumpReader, count_pages, iter_dump
from lorecache.wikitext import parse_page

SAMPLE = Path(str(resources.files("lorecache") / "data" / "wookieepedia-infoboxes-sample-1k.xml.gz"))

PAGES = """
  <page>
    <title>Tatooine</title>
    <ns>0</ns>
    <id>452688</id>
    <revision>
      <id>1000</id>
      <timestamp>2022-05-19T10:20:30Z</timestamp>
      <text bytes="40" xml:space="preserve">{{Top}}
{{Planet|region=[[Outer Rim]]&lt;br /&gt;[[The Slice]]}}</text>
    </revision>
  </page>
  <page>
    <title>Tatooine Desert</title>
    <ns>0</ns>
    <id>5</id>
    <redirect title="Dune Sea" />
    <revision>
      <id>6</id>
      <timestamp>2021-01-01T00:00:00Z</timestamp>
      <text xml:space="preserve">#REDIRECT [[Dune Sea]]</text>
    </revision>
  </page>
  <page>
    <title>Category:Planets</title>
    <ns>14</ns>
    <id>7</id>
    <revision>
      <id>8</id>
      <timestamp>2020-01-01T00:00:00Z</timestamp>
      <text xml:space="preserve">old</text>
    </revision>
    <revision>
      <id>9</id>
      <timestamp>2020-02-01T00:00:00Z</timestamp>
      <text deleted="deleted" />
    </revision>
  </page>
"""


def export(pages: str, version: str = "0.11") -> str:
    return (
        f'<mediawiki xmlns="http://www.mediawiki.org/xml/export-{version}/" version="{version}">\n'
        "  <siteinfo><sitename>Wookieepedia</sitename></siteinfo>"
        f"{pages}</mediawiki>\n"
    )


def many_pages(count: int) -> str:
    return "".join(
        f"  <page>\n    <title>Page {n}</title>\n    <ns>0</ns>\n    <id>{n + 1}</id>\n"
        f"    <revision><id>{n + 1}</id><text>{{{{Planet|name=Page {n}}}}} {'filler ' * 200}</text>"
        "</revision>\n  </page>\n"
        for n in range(count)
    )


def write(path: Path, text: str, compress: Callable[[bytes], bytes] = bytes) -> Path:
    path.write_bytes(compress(text.encode()))
    return path


def read_until_error(path: Path) -> tuple[list[RawPage], DumpError]:
    pages: list[RawPage] = []
    with pytest.raises(DumpError) as caught:
        pages.extend(iter_dump(path))
    return pages, caught.value


@pytest.mark.parametrize(
    ("name", "compress"),
    [("dump.xml", bytes), ("dump.xml.gz", gzip.compress), ("dump.xml.bz2", bz2.compress)],
)
def test_fields(tmp_path: Path, name: str, compress: Callable[[bytes], bytes]) -> None:
    tatooine, desert, category = iter_dump(write(tmp_path / name, export(PAGES), compress))
    assert tatooine == RawPage(
        page_id=452688,
        title="Tatooine",
        namespace=0,
        wikitext="{{Top}}\n{{Planet|region=[[Outer Rim]]<br />[[The Slice]]}}",
        revision_id=1000,
        timestamp=datetime(2022, 5, 19, 10, 20, 30, tzinfo=UTC),
    )
    assert (desert.page_id, desert.revision_id, desert.redirect_to) == (5, 6, "Dune Sea")
    assert (category.namespace, category.revision_id, category.wikitext) == (14, 9, "")


@pytest.mark.parametrize("version", ["0.10", "0.11", "0.99"])
def test_any_schema_version(tmp_path: Path, version: str) -> None:
    pages = list(iter_dump(write(tmp_path / "dump.xml", export(PAGES, version))))
    assert [page.title for page in pages] == ["Tatooine", "Tatooine Desert", "Category:Planets"]


def test_magic_bytes_outrank_the_suffix(tmp_path: Path) -> None:
    path = write(tmp_path / "dump.xml", export(PAGES), gzip.compress)
    assert len(list(iter_dump(path))) == 3


@pytest.mark.parametrize("compress", [gzip.compress, bz2.compress])
def test_concatenated_streams_are_one_dump(tmp_path: Path, compress: Callable[[bytes], bytes]) -> None:
    text = export(PAGES).encode()
    half = len(text) // 2
    path = tmp_path / "multistream.xml.bz2"
    path.write_bytes(compress(text[:half]) + compress(text[half:]))
    assert len(list(iter_dump(path))) == 3


def test_a_page_without_revision_has_empty_text(tmp_path: Path) -> None:
    path = write(tmp_path / "dump.xml", export("<page><title>A</title><id>1</id></page>"))
    assert list(iter_dump(path)) == [RawPage(page_id=1, title="A", namespace=0, wikitext="")]


def test_progress_is_reported_in_file_bytes(tmp_path: Path) -> None:
    path = write(tmp_path / "dump.xml", export(many_pages(2000)))
    reader = DumpReader(path)
    seen = [reader.bytes_read for _ in reader]
    assert seen == sorted(seen)
    assert 0 < seen[0] < reader.total_bytes == path.stat().st_size == reader.bytes_read
    assert reader.pages_read == 2000


def test_count_pages(tmp_path: Path) -> None:
    assert count_pages(write(tmp_path / "dump.xml", export(PAGES))) == 3
    assert count_pages(SAMPLE) == 1000


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(DumpError, match=r"missing\.xml\.gz: cannot read dump"):
        iter_dump(tmp_path / "missing.xml.gz")


def test_truncated_gzip_yields_every_complete_page_first(tmp_path: Path) -> None:
    compressed = gzip.compress(export(many_pages(300)).encode())[:-4000]
    readable = zlib.decompressobj(wbits=31).decompress(compressed)
    pages, error = read_until_error(write(tmp_path / "cut.xml.gz", "", lambda _: compressed))
    assert len(pages) == readable.count(b"</page>") > 0
    message = str(error)
    assert "cut.xml.gz" in message
    assert "ends mid-stream" in message
    assert f"{len(pages)} pages read, last good page {pages[-1].title!r}" in message


def test_truncated_bz2_raises_dump_error(tmp_path: Path) -> None:
    compressed = bz2.compress(export(many_pages(300)).encode())
    _, error = read_until_error(write(tmp_path / "cut.xml.bz2", "", lambda _: compressed[:-2000]))
    assert "cut.xml.bz2" in str(error)


def test_corrupt_compressed_data_raises_dump_error(tmp_path: Path) -> None:
    compressed = bytearray(gzip.compress(export(many_pages(300)).encode()))
    compressed[len(compressed) // 2 : len(compressed) // 2 + 64] = bytes(64)
    _, error = read_until_error(write(tmp_path / "corrupt.xml.gz", "", lambda _: bytes(compressed)))
    assert "corrupt.xml.gz: cannot decompress" in str(error)


def test_invalid_xml_mid_stream_names_the_line(tmp_path: Path) -> None:
    good = many_pages(40)
    text = export(good + "  <page><title>Bad</title><id>1<<</id></page>\n" + many_pages(5))
    pages, error = read_until_error(write(tmp_path / "bad.xml", text))
    assert len(pages) == 40
    bad_line = text[: text.index("<<")].count("\n") + 1
    assert "invalid XML" in str(error)
    assert f"at line {bad_line} (40 pages read, last good page 'Page 39')" in str(error)


@pytest.mark.parametrize(
    ("page", "missing"),
    [("<page><id>3</id></page>", "<title>"), ("<page><title>No id</title></page>", "<id>")],
)
def test_a_page_without_title_or_id(tmp_path: Path, page: str, missing: str) -> None:
    pages, error = read_until_error(write(tmp_path / "dump.xml", export(many_pages(2) + page)))
    assert [page.title for page in pages] == ["Page 0", "Page 1"]
    assert f"page without {missing}" in str(error)
    assert "2 pages read, last good page 'Page 1'" in str(error)


def test_not_a_dump(tmp_path: Path) -> None:
    with pytest.raises(DumpError, match="invalid XML"):
        list(iter_dump(write(tmp_path / "dump.xml.gz", "just text", gzip.compress)))


@pytest.fixture(scope="module")
def sample() -> dict[str, Article]:
    universe = universes.load("star_wars")
    parsed = [parse_page(page, universe) for page in iter_dump(SAMPLE)]
    return {article.title: article for article in parsed if isinstance(article, Article)}


def test_sample_counts(sample: dict[str, Article]) -> None:
    assert len(sample) == 1000
    assert sum(article.is_canon for article in sample.values()) == 415
    assert sum(article.is_canon and article.category == "planets" for article in sample.values()) == 30


def test_sample_tatooine(sample: dict[str, Article]) -> None:
    tatooine = sample["Tatooine"]
    assert (tatooine.page_id, tatooine.is_canon, tatooine.kind, tatooine.category) == (
        452688,
        True,
        "Planet",
        "planets",
    )
    assert tatooine.infobox["region"] == ["Outer Rim Territories", "The Slice", "Spice Triangle"]
    assert tatooine.image == "Tatooine TPM.png"
    assert tatooine.summary == "Tatooine was a planet."


def test_sample_tatooine_legends(sample: dict[str, Article]) -> None:
    legends = sample["Tatooine/Legends"]
    assert (legends.page_id, legends.is_canon) == (47, False)
    assert legends.infobox["region"] == "Outer Rim Territories"
    assert legends.infobox_links["region"] == ["Outer Rim Territories/Legends"]
