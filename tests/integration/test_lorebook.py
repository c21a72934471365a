"""The SillyTavern lorebook export, over HTTP and from the command line, checked against the entry
fields SillyTavern's World Info importer reads and their types."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from lorecache.lore import lorebook
from lorecache.lore.blocks import block
from lorecache.universes import load
from tests.support.processes import run_cli

UNIVERSE = load("star_wars")

IMPORTER_FIELDS = {
    "uid": "integer",
    "key": "strings",
    "keysecondary": "strings",
    "comment": "string",
    "content": "string",
    "constant": "boolean",
    "vectorized": "boolean",
    "selective": "boolean",
    "selectiveLogic": "enum",
    "addMemo": "boolean",
    "order": "number",
    "position": "number",
    "disable": "boolean",
    "ignoreBudget": "boolean",
    "excludeRecursion": "boolean",
    "preventRecursion": "boolean",
    "matchPersonaDescription": "boolean",
    "matchCharacterDescription": "boolean",
    "matchCharacterPersonality": "boolean",
    "matchCharacterDepthPrompt": "boolean",
    "matchScenario": "boolean",
    "matchCreatorNotes": "boolean",
    "delayUntilRecursion": "number",
    "probability": "number",
    "useProbability": "boolean",
    "depth": "number",
    "outletName": "string",
    "group": "string",
    "groupOverride": "boolean",
    "groupWeight": "number",
    "scanDepth": "number?",
    "caseSensitive": "boolean?",
    "matchWholeWords": "boolean?",
    "useGroupScoring": "boolean?",
    "automationId": "string",
    "role": "enum",
    "sticky": "number?",
    "cooldown": "number?",
    "delay": "number?",
    "triggers": "strings",
    "displayIndex": "integer",
}
"""`newWorldInfoEntryDefinition` of SillyTavern's `public/scripts/world-info.js`, with `uid` and the
editor's `displayIndex`: what an imported entry is read as."""


def _is(kind: str, value: object) -> bool:
    number = isinstance(value, int | float) and not isinstance(value, bool)
    return {
        "integer": isinstance(value, int) and not isinstance(value, bool),
        "number": number,
        "enum": isinstance(value, int) and not isinstance(value, bool),
        "string": isinstance(value, str),
        "boolean": isinstance(value, bool),
        "strings": isinstance(value, list) and all(isinstance(item, str) for item in value),
        "number?": value is None or number,
        "boolean?": value is None or isinstance(value, bool),
    }[kind]


def assert_imports(book: dict) -> None:
    """What SillyTavern's importer and editor rely on: `entries` keyed by uid, every field of its entry
    template of the right type, positions, logic and roles it knows, keys to trigger on."""
    assert isinstance(book["entries"], dict) and book["entries"]
    assert isinstance(book["name"], str)
    for uid, entry in book["entries"].items():
        assert set(entry) == set(IMPORTER_FIELDS), set(entry) ^ set(IMPORTER_FIELDS)
        for field, kind in IMPORTER_FIELDS.items():
            assert _is(kind, entry[field]), (field, entry[field])
        assert uid == str(entry["uid"])
        assert entry["position"] in range(8) and entry["selectiveLogic"] in range(4)
        assert entry["role"] in range(3)
        assert entry["key"] and all(key.strip() for key in entry["key"])
        assert not entry["disable"] and not entry["constant"]


def test_a_category_exports_as_sillytavern_imports_it(loaded) -> None:
    client = loaded[1]
    answer = client.get("/api/v1/wiki/export/sillytavern", params={"category": "planets", "limit": 50})
    assert answer.status_code == 200 and answer.headers["X-Served-From"] == "postgres"
    assert answer.headers["Content-Disposition"].startswith('attachment; filename="Wookieepedia-planets')
    book = answer.json()
    assert_imports(book)
    assert book["description"] == UNIVERSE.attribution
    entries = list(book["entries"].values())
    assert len(entries) == 30
    listed = client.get("/api/v1/wiki/locations/planets", params={"limit": 30}).json()
    assert [entry["comment"] for entry in entries] == [item["title"] for item in listed]
    assert [entry["order"] for entry in entries] == sorted((e["order"] for e in entries), reverse=True)

    tatooine = next(entry for entry in entries if entry["comment"] == "Tatooine")
    article = loaded[0].store.files.get("Tatooine")
    assert tatooine["key"][0] == "Tatooine" and set(article.aliases) <= set(tatooine["key"])
    assert tatooine["content"] == block(article, 150).text
    assert tatooine["content"].endswith(f"Source: {article.url} (revision {article.revision_id})")


def test_filters_search_and_legends_keys(loaded) -> None:
    client = loaded[1]
    outer = client.get(
        "/api/v1/wiki/export/sillytavern", params={"category": "planets", "region": "Outer Rim"}
    ).json()
    assert "Tatooine" in {entry["comment"] for entry in outer["entries"].values()}
    assert len(outer["entries"]) < 30

    legends = client.get(
        "/api/v1/wiki/export/sillytavern", params={"search": "Tatooine", "continuity": "legends", "limit": 1}
    ).json()
    entry = legends["entries"]["0"]
    assert entry["comment"] == "Tatooine/Legends" and entry["key"][0] == "Tatooine"
    assert_imports(legends)


@pytest.mark.parametrize(
    ("params", "parameter"),
    [
        ({"category": "no_such_category"}, "category"),
        ({"category": "planets", "no_such_field": "x"}, "no_such_field"),
        ({"limit": 0}, "limit"),
        ({"limit": lorebook.MAX_ENTRIES + 1}, "limit"),
        ({"entry_tokens": 5}, "entry_tokens"),
        ({"search": "x" * 300}, "search"),
    ],
)
def test_bad_parameters_are_a_422_naming_them(loaded, params: dict, parameter: str) -> None:
    answer = loaded[1].get("/api/v1/wiki/export/sillytavern", params=params)
    assert answer.status_code == 422
    assert parameter in json.dumps(answer.json()["detail"])


def test_the_command_writes_what_the_route_answers(loaded, tmp_path: Path) -> None:
    _, client, url, data = loaded
    environment = {**os.environ, "DATABASE_URL": url, "LORECACHE_DATA_DIR": str(data)}
    output = tmp_path / "planets.json"
    done = run_cli(
        ["export", "sillytavern", "--category", "planets", "--filter", "region=Outer Rim", "-o", str(output)],
        environment,
    )
    assert done.returncode == 0, done.stderr
    assert "from postgres" in done.stderr
    routed = client.get(
        "/api/v1/wiki/export/sillytavern", params={"category": "planets", "region": "Outer Rim"}
    ).json()
    assert json.loads(output.read_text()) == routed

    refused = run_cli(["export", "sillytavern", "--category", "planets", "--filter", "nope"], environment)
    assert refused.returncode == 2 and "FIELD=TEXT" in refused.stderr


def test_both_stores_make_the_same_blocks(loaded) -> None:
    """PostgreSQL keeps an infobox's fields in the wiki's order, which decides the facts a block shows."""
    runtime = loaded[0]
    for title in ("Tatooine", "Luke Skywalker", "C-3PO", "Millennium Falcon"):
        from_postgres = runtime.store.postgres.get(title)
        from_files = runtime.files.get(title)
        assert list(from_postgres.infobox) == list(from_files.infobox)
        assert block(from_postgres, 200) == block(from_files, 200)
