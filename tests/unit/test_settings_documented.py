"""Every setting is in README.md's configuration table, and every universe kind has a category."""

import re
from pathlib import Path

from lorecache.config import Settings
from lorecache.universes import available, load

README = Path(__file__).parents[2] / "README.md"


def test_every_setting_is_documented() -> None:
    table = README.read_text(encoding="utf-8")
    documented = set(re.findall(r"^\| `([A-Z_]+)` \|", table, flags=re.MULTILINE))
    variables = {field.validation_alias for field in Settings.model_fields.values()}
    assert variables <= documented, f"missing from README.md: {sorted(variables - documented)}"
    assert all(field.description for field in Settings.model_fields.values())


def test_universes_load_and_map_locations() -> None:
    assert "star_wars" in available()
    universe = load("star_wars")
    assert universe.category_for("Planet") == "planets"
    assert universe.category_for("No such infobox") == universe.default_category
    assert {"planets", "moons", "systems", "sectors", "regions", "cities"} <= set(
        universe.categories_in("locations")
    )
