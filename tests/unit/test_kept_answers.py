"""What the process keeps of its answers is bounded by what they take, whatever their shape."""

from lorecache.lore.graph import Link, Related
from lorecache.store.interface import Page, Served
from lorecache.store.versions import AnswerCache


def _related(links: int) -> Served[Related]:
    linked = tuple(Link(f"Planet number {n}", ("region", "sector"), "planets", True) for n in range(links))
    return Served(Related("Tatooine", linked, linked), "postgres")


def test_an_answer_of_objects_is_weighed_by_what_it_holds() -> None:
    cache = AnswerCache(budget=100_000)
    cache.put("a thousand links", _related(1000))
    cache.put("five links", _related(5))
    assert cache.get("a thousand links") is None, "a thousand links weigh more than the whole budget"
    assert cache.get("five links") == _related(5)


def test_the_least_recently_used_answers_go_first() -> None:
    page = Page(items=["x" * 1000], has_more=False)
    cache = AnswerCache(budget=3_500)
    for key in ("a", "b", "c"):
        cache.put(key, page)
    assert cache.get("a") is page
    cache.put("d", page)
    assert [key for key in "abcd" if cache.get(key) is not None] == ["a", "c", "d"]
