"""parse_page on hand-written pages of real Wookieepedia shape, and on anything at all."""

from __future__ import annotations

import string
from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from mwparserfromhell.parser import ParserError

from lorecache import universes, wikitext
from lorecache.article import Article, RawPage, Redirect
from lorecache.wikitext import SUMMARY_LIMIT, normalize_title, parse_page

UNIVERSE = universes.load("star_wars")

LUKE = """{{Top|reb|imp|legends=Luke Skywalker/Legends}}
{{Eras|canon}}
{{Character
|image=[[File:Luke_Skywalker.png|thumb|250px|Luke on [[Tatooine]]]]
|name=Luke Skywalker<ref>{{SWCite|[[Star Wars: Episode IV A New Hope]]}}</ref>
|homeworld=[[Tatooine]]<ref name="Ep4" />
|born=[[19 BBY]]{{C|approximately}}, [[Polis Massa]]
|affiliation=
* [[Rebel Alliance]]<!-- first -->
* [[New Republic]]
#[[Jedi Order|Jedi]]
|masters=[[Obi-Wan Kenobi|Ben Kenobi]]<br>[[Yoda]]<BR/>
|height=1.72&nbsp;meters
|quote='''Bold''' and ''italic'' &amp; <span style="color:red">styled</span>
|empty=<!-- nothing yet -->
|  spaced name  = value
}}
'''Luke Skywalker''' was a [[Human|human]] [[Jedi]] from [[tatooine]].<ref>{{Cite web|text=[[Source]]}}</ref>
He fought the [[Galactic_Empire#History|Empire]].
[[File:Luke.jpg|thumb|Luke]]
==Biography==
Luke did [[Things]].
[[Category:Canon articles]]
[[de:Luke Skywalker]]
"""


def page(text: str, title: str = "Luke Skywalker", **fields: object) -> RawPage:
    return RawPage(page_id=1, title=title, namespace=0, wikitext=text, **fields)


def article(text: str, title: str = "Luke Skywalker", **fields: object) -> Article:
    parsed = parse_page(page(text, title, **fields), UNIVERSE)
    assert isinstance(parsed, Article)
    return parsed


@pytest.fixture(scope="module")
def luke() -> Article:
    return article(LUKE)


def test_record_fields() -> None:
    stamp = datetime(2022, 5, 19, tzinfo=UTC)
    parsed = article(LUKE, "Luke Skywalker", revision_id=7, timestamp=stamp)
    assert (parsed.universe, parsed.page_id) == ("star_wars", 1)
    assert (parsed.revision_id, parsed.timestamp) == (7, stamp)
    assert parsed.slug == "Luke_Skywalker"
    assert parsed.url == "https://starwars.fandom.com/wiki/Luke_Skywalker"


def test_kind_is_the_first_known_infobox(luke: Article) -> None:
    assert (luke.kind, luke.category, luke.is_canon) == ("Character", "characters", True)


def test_image_is_a_bare_file_name(luke: Article) -> None:
    assert luke.image == "Luke Skywalker.png"
    assert "image" not in luke.infobox


def test_infobox_values_are_clean_text(luke: Article) -> None:
    assert luke.infobox["name"] == "Luke Skywalker"
    assert luke.infobox["homeworld"] == "Tatooine"
    assert luke.infobox["born"] == "19 BBY, Polis Massa"
    assert luke.infobox["height"] == "1.72 meters"
    assert luke.infobox["quote"] == "Bold and italic & styled"
    assert luke.infobox["spaced name"] == "value"
    assert "empty" not in luke.infobox


def test_breaks_and_list_lines_split_values(luke: Article) -> None:
    assert luke.infobox["affiliation"] == ["Rebel Alliance", "New Republic", "Jedi"]
    assert luke.infobox["masters"] == ["Ben Kenobi", "Yoda"]


def test_infobox_links_hold_targets_per_field(luke: Article) -> None:
    assert luke.infobox_links["affiliation"] == ["Rebel Alliance", "New Republic", "Jedi Order"]
    assert luke.infobox_links["name"] == ["Star Wars: Episode IV A New Hope"]
    assert "height" not in luke.infobox_links
    assert "image" not in luke.infobox_links


def test_summary_is_the_plain_lead(luke: Article) -> None:
    assert luke.summary == "Luke Skywalker was a human Jedi from tatooine. He fought the Empire."


def test_links_are_distinct_article_targets_in_page_order(luke: Article) -> None:
    assert luke.links[:4] == ["Tatooine", "Star Wars: Episode IV A New Hope", "19 BBY", "Polis Massa"]
    assert len(luke.links) == len(set(luke.links))
    assert {"Galactic Empire", "Source", "Things", "Human"} <= set(luke.links)
    assert not [link for link in luke.links if link.startswith(("File:", "Category:", "De:"))]


@pytest.mark.parametrize(
    ("text", "title", "categories", "canon"),
    [
        ("{{Top}}", "X", (), True),
        ("{{Top|legends=X/Legends}}", "X", (), True),
        ("{{Top|reb|imp}}", "X", (), True),
        ("no top at all", "X", (), True),
        ("{{Top|leg}}", "X", (), False),
        ("{{Top|ncl}}", "X", (), False),
        ("{{ top | leg }}", "X", (), False),
        ("{{Top}}", "X/Legends", (), False),
        ("{{Top}}", "X", ("Legends articles",), False),
        ("{{Top}}\n[[Category:Legends_articles]]", "X", (), False),
        ("{{Top}}\n[[Category:Non-canon Legends articles|X]]", "X", (), False),
        ("{{Top|leg}}\n[[Category:Canon articles]]", "X", (), True),
        ("{{Top}}", "X/Legends", ("Non-canon articles",), True),
        ("{{Quote|{{Top|leg}}}}", "X", (), True),
    ],
)
def test_canon(text: str, title: str, categories: tuple[str, ...], canon: bool) -> None:
    assert article(text, title, categories=categories).is_canon is canon


@pytest.mark.parametrize(
    ("text", "redirect_to", "target"),
    [
        ("", "Luke_Skywalker#Early life", "Luke Skywalker"),
        ("#REDIRECT [[Tatooine]]", None, "Tatooine"),
        ("#redirect[[tatooine#Moons|the moons]]", None, "Tatooine"),
        ("  #Redirect: [[Outer_Rim  Territories]]\n[[Category:Redirects]]", None, "Outer Rim Territories"),
        ("#WEITERLEITUNG [[Tatooine]]", None, "Tatooine"),
    ],
)
def test_redirects(text: str, redirect_to: str | None, target: str) -> None:
    assert parse_page(page(text, "Old", redirect_to=redirect_to), UNIVERSE) == Redirect("Old", target)


def test_a_redirect_word_without_a_link_is_an_article() -> None:
    assert article("#REDIRECT nowhere").summary == "REDIRECT nowhere"


@pytest.mark.parametrize("namespace", [1, 2, 4, 6, 10, 14, -1])
def test_pages_outside_the_main_namespace_are_skipped(namespace: int) -> None:
    raw = RawPage(page_id=1, title="X", namespace=namespace, wikitext="{{Planet|name=X}}")
    assert parse_page(raw, UNIVERSE) is None


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("{{Top}}\n{{Eras|canon}}\n{{Unknown infobox|a=b}}\n{{Planet|name=X}}", "Planet"),
        ("{{Top}}\n{{planet\n|name=X}}", "Planet"),
        ("{{Top}}\n{{Template:Space_station|name=X}}", "Space station"),
        ("{{Top}}\n{{Unknown infobox|name=X}}", None),
        ("{{Top}}\n{{Quote|{{Planet|name=X}}}}", None),
    ],
)
def test_kind(text: str, kind: str | None) -> None:
    parsed = article(text)
    assert parsed.kind == kind
    assert parsed.category == UNIVERSE.category_for(kind)
    assert bool(parsed.infobox) is (kind is not None)


@pytest.mark.parametrize(
    ("value", "image"),
    [
        ("[[File:Tatooine TPM.png|thumb|left|Tatooine from [[Space|orbit]]]]", "Tatooine TPM.png"),
        ("[[Image:tatooine_tpm.png|200px]]", "Tatooine tpm.png"),
        ("Foo_bar.jpg", "Foo bar.jpg"),
        ("Image:Foo.jpg<!-- main -->", "Foo.jpg"),
        (" File:Foo.jpg ", "Foo.jpg"),
        ("", None),
        ("<!-- none yet -->", None),
    ],
)
def test_image(value: str, image: str | None) -> None:
    assert article(f"{{{{Planet|image={value}|name=X}}}}").image == image


@pytest.mark.parametrize(
    ("text", "title"),
    [
        (" tatooine_system#Moons ", "Tatooine system"),
        ("A&amp;B", "A&B"),
        ("a   b__c", "A b c"),
        ("Star Wars: Episode I", "Star Wars: Episode I"),
        ("#Section", ""),
        ("", ""),
    ],
)
def test_normalize_title(text: str, title: str) -> None:
    assert normalize_title(text) == title


def test_only_main_namespace_links_count() -> None:
    text = (
        "[[Star Wars: Episode I The Phantom Menace]] [[:Tatooine]] [[:Category:Planets]] [[Category:X]]"
        " [[File:A.png]] [[image:B.png]] [[Wookieepedia:Manual of Style]] [[User talk:Someone]]"
        " [[Talk:Tatooine]] [[Template:Planet]] [[w:c:starwars:Tatooine]] [[fr:Tatooine]] [[#Moons]]"
    )
    assert article(text).links == ["Star Wars: Episode I The Phantom Menace", "Tatooine"]


@pytest.mark.parametrize(
    ("value", "items"),
    [
        ("*[[Desert]]\n*[[Mountains]]", ["Desert", "Mountains"]),
        ("* [[Desert]]", "Desert"),
        (" #Arid\n#Rocky", ["Arid", "Rocky"]),
        (":Indented", "Indented"),
        ("*", None),
        ("5*3 meters", "5*3 meters"),
    ],
)
def test_a_list_starting_on_the_equals_line_loses_its_first_bullet(
    value: str, items: str | list[str] | None
) -> None:
    assert article(f"{{{{Planet\n|terrain={value}\n}}}}").infobox.get("terrain") == items


@pytest.mark.parametrize(
    ("lead", "summary"),
    [
        ("'''Tatooine''' ({{IPA|tæt-oo-een}}) was a planet.", "Tatooine was a planet."),
        ("'''Tatooine''' ({{IPA|x}}; {{Audio|y.ogg}}), also Tatoo I, was", "Tatooine, also Tatoo I, was"),
        ("Tatooine [{{C|unsure}}] was<ref>{{Cite}}</ref> ([[File:T.png]]) arid.", "Tatooine was arid."),
        ("Tatooine (pronounced {{IPA|x}}) was", "Tatooine (pronounced) was"),
        ("Tatooine ({{C|c.}} 5 suns) was", "Tatooine (5 suns) was"),
        ("An empty pair () stays as written.", "An empty pair () stays as written."),
    ],
)
def test_brackets_left_empty_by_templates_go_from_the_lead(lead: str, summary: str) -> None:
    assert article(f"{{{{Planet|name=X}}}}\n{lead}").summary == summary


def test_lead_is_between_infobox_and_first_heading() -> None:
    text = "{{Top}}\nBefore.\n{{Planet|name=X}}\nAfter, with [http://example.com a site].\n==Bio==\nLater."
    assert article(text).summary == "After, with a site."


def test_summary_is_cut_at_a_sentence_end() -> None:
    summary = article("{{Planet|name=X}}\n" + "Tatooine was a desert planet. " * 100).summary
    assert len(summary) <= SUMMARY_LIMIT
    assert summary.endswith("planet.")


def test_summary_without_sentences_is_cut_at_a_word() -> None:
    summary = article("word " * 1000).summary
    assert len(summary) <= SUMMARY_LIMIT + 1
    assert summary.endswith("word…")


@pytest.mark.parametrize(
    "text",
    [
        "{{Planet|name=[[Tatooine|region=",
        "{{{{Planet}}}}}}",
        "[[[[[[x]]",
        "<ref>never closed {{Planet|name=X}}",
        "<!-- never closed",
        "'''''bold italic'''' mixed''",
        "\x00\x01\x02{{Planet|name=\x00X}}\x1f",
        "{|\n|cell\n|-\n!head",
        "&#xFFFFFFFF; &#0; &bogus; &amp",
        "{{Planet|image=[[File:]]|name=}}",
        "{{" * 5000 + "[[" * 5000,
        "word [[link]] " * 50_000,
    ],
)
def test_broken_markup_still_makes_an_article(text: str) -> None:
    parsed = article(text)
    assert "[[" not in parsed.summary
    assert "{{" not in parsed.summary


def test_a_tokenizer_failure_leaves_plain_text(monkeypatch: pytest.MonkeyPatch) -> None:
    class Failing:
        def tokenize(self, *_: object) -> None:
            raise ParserError("tokenizer exited with non-empty token stack")

    monkeypatch.setattr(wikitext, "CTokenizer", Failing)
    monkeypatch.setattr(wikitext, "Tokenizer", Failing)
    parsed = article("{{Planet|name=X}}\n'''Tatooine''' was a [[planet]].")
    assert parsed.kind is None
    assert "Tatooine was a planet" in parsed.summary


MARKUP = """{{ }} {{{ }}} [[ ]] [ ] | = == * # : ; ''' '' <ref> </ref> <ref/> <!-- --> <br/> <span>
</span> &amp; &# File: Category: Top leg Planet image http://x {| |}"""
WIKITEXT_PIECES = st.sampled_from([*MARKUP.split(), "\n", "<br />", '<ref name="a" />'])
WIKITEXT = st.lists(WIKITEXT_PIECES | st.text(max_size=4), max_size=60).map("".join)


def check_article(parsed: Article | Redirect | None) -> None:
    if isinstance(parsed, Redirect):
        assert parsed.target
        return
    assert isinstance(parsed, Article)
    for marker in ("[[", "{{", "<ref"):
        assert marker not in parsed.summary
    assert len(parsed.summary) <= SUMMARY_LIMIT + 1
    for value in parsed.infobox.values():
        items = value if isinstance(value, list) else [value]
        assert all(isinstance(item, str) and item for item in items)


@settings(max_examples=200, deadline=None)
@given(st.text())
def test_any_text_parses(text: str) -> None:
    check_article(parse_page(page(text), UNIVERSE))


@settings(max_examples=200, deadline=None)
@given(WIKITEXT)
def test_any_wikitext_soup_parses(text: str) -> None:
    check_article(parse_page(page(text), UNIVERSE))


@settings(max_examples=200, deadline=None)
@given(WIKITEXT)
def test_any_infobox_content_parses(body: str) -> None:
    text = f"{{{{Top}}}}\n{{{{Planet\n|image={body}\n|region={body}\n}}}}\n{body}"
    check_article(parse_page(page(text), UNIVERSE))


def test_stray_brackets_brought_together_do_not_read_as_a_link() -> None:
    """What is left of a broken infobox (`}}[` as every value) joins no two brackets into `[[`."""
    body = "}}["
    text = f"{{{{Top}}}}\n{{{{Planet\n|image={body}\n|region={body}\n}}}}\n{body}"
    check_article(parse_page(page(text), UNIVERSE))


WORD = st.text(alphabet=string.ascii_letters + string.digits + "éøü-", min_size=1, max_size=8)
PHRASE = st.lists(WORD, min_size=1, max_size=4).map(" ".join)
TEMPLATE_TEXT = st.text(alphabet=string.ascii_letters + " .,;:'/=æ…-", max_size=12)
TEMPLATE = st.builds(
    lambda name, params: "{{" + "|".join([name, *params]) + "}}",
    WORD,
    st.lists(TEMPLATE_TEXT, max_size=3),
)
BRACKETS = st.sampled_from(["()", "[]"])


@settings(max_examples=200, deadline=None)
@given(
    items=st.lists(PHRASE, min_size=1, max_size=6),
    marker=st.sampled_from(["*", "#", ":", "**", "* ", "# "]),
    linked=st.booleans(),
    first_on_the_equals_line=st.booleans(),
)
def test_every_line_of_a_list_value_is_one_clean_item(
    items: list[str], marker: str, linked: bool, first_on_the_equals_line: bool
) -> None:
    lines = "\n".join(marker + (f"[[{item}]]" if linked else item) for item in items)
    value = lines if first_on_the_equals_line else "\n" + lines
    terrain = article(f"{{{{Planet\n|name=X\n|terrain={value}\n|climate=Arid\n}}}}").infobox["terrain"]
    assert terrain == (items[0] if len(items) == 1 else items)


@settings(max_examples=200, deadline=None)
@given(
    title=PHRASE,
    rest=PHRASE,
    templates=st.lists(TEMPLATE, min_size=1, max_size=3),
    separator=st.sampled_from(["", " ", ", ", "; "]),
    brackets=BRACKETS,
)
def test_brackets_holding_only_lead_templates_leave_no_trace(
    title: str, rest: str, templates: list[str], separator: str, brackets: str
) -> None:
    opening, closing = brackets
    lead = f"'''{title}''' {opening}{separator.join(templates)}{closing} {rest}."
    assert article(f"{{{{Planet|name=X}}}}\n{lead}").summary == f"{title} {rest}."


@settings(max_examples=200, deadline=None)
@given(title=PHRASE, inside=PHRASE, rest=PHRASE, template=TEMPLATE, before=st.booleans(), brackets=BRACKETS)
def test_lead_brackets_keep_their_text_without_the_templates(
    title: str, inside: str, rest: str, template: str, before: bool, brackets: str
) -> None:
    opening, closing = brackets
    held = f"{template} {inside}" if before else f"{inside} {template}"
    lead = f"'''{title}''' {opening}{held}{closing} {rest}."
    assert article(f"{{{{Planet|name=X}}}}\n{lead}").summary == f"{title} {opening}{inside}{closing} {rest}."
