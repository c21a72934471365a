"""Wikitext to Article: the infobox, the lead, the links and the canon status of one page.

mwparserfromhell's C tokenizer does the hard part (balancing braces, brackets, tags and comments). Its tree
builder is skipped: it costs three times what the tokenizer does, which alone would hold a full ingest
under 3,000 pages/s. The token stream is instead read once into a small tree of our own, and the rest of
the module walks that tree.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from itertools import takewhile

from mwparserfromhell.parser import CTokenizer, use_c
from mwparserfromhell.parser import tokens as tok
from mwparserfromhell.parser.tokenizer import Tokenizer

from lorecache.article import Article, InfoboxValue, RawPage, Redirect
from lorecache.universes import CanonRules, Universe

SUMMARY_LIMIT = 1000

# Namespaces every MediaWiki has (and Fandom's interwiki prefixes); the wiki's own project namespace is
# added per universe. Anything else before a colon is part of a title ("Star Wars: Episode I").
_NAMESPACES = frozenset(
    {"media", "special", "project", "mediawiki", "module", "forum", "help", "file", "image"}
    | {"talk", "user", "user talk", "template", "template talk", "category", "category talk"}
    | {"project talk", "mediawiki talk", "module talk", "forum talk", "help talk", "file talk"}
    | {"image talk", "w", "wikipedia", "wikt", "wiktionary", "commons", "meta", "mw"}
)
_FILE_NAMESPACES = frozenset({"file", "image"})
_INTERLANGUAGE = re.compile(r"[a-z]{2,3}(?:-[a-z]{2,4})?")
_REDIRECT = re.compile(
    r"\s*#\s*(?:redirect|weiterleitung|redirection|redirección|rinvia|doorverwijzing|przekieruj"
    r"|redirecionamento|перенаправление|転送|リダイレクト)\s*:?\s*\[\[([^\[\]|]*)",
    re.IGNORECASE,
)
# Markup the tokenizer could not balance stays text; it is cut out along with control characters and lone
# surrogates, which no reader wants and which UTF-8 cannot encode.
_LEFTOVER = re.compile(
    r"\[\[|\]\]|\{\{|\}\}|<!--|-->|</?[A-Za-z][^<>]*>|<ref|__[A-Z]+__"
    r"|[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]",
    re.IGNORECASE,
)
_BREAK_TAGS = frozenset({"br", "li", "dt", "dd"})
_HIDDEN_TAGS = frozenset({"ref", "references", "gallery", "includeonly"})
# Stands where something that shows nothing was written (a template, a ref, a file), so that brackets it
# leaves empty can go; page text never holds one, as NULs are dropped before tokenizing.
_OMITTED = "\x00"
_GAP = rf"[\s,;:{_OMITTED}]*"
_EMPTIED_BRACKETS = re.compile(rf"\s*(?:\({_GAP}{_OMITTED}{_GAP}\)|\[{_GAP}{_OMITTED}{_GAP}\])")
# A space just inside a bracket goes, unless it keeps two from reading as a link's (`[ [`, `] ]`).
_SPACE_INSIDE_BRACKETS = re.compile(r"(?<=\() |(?<=\[) (?!\[)| (?=\))|(?<!\]) (?=\])")
# A named value is trimmed and set where a line starts, so MediaWiki takes list markers at its start as a
# list item, as on every later line; the tokenizer saw them mid-line and left them as text.
_LIST_MARKERS = re.compile(r"\s*[*#:;]+")


def normalize_title(text: str) -> str:
    """MediaWiki's canonical form of a title, so that links written differently meet on one article."""
    title = html.unescape(text).partition("#")[0]
    title = " ".join(title.replace("_", " ").split())
    return title[:1].upper() + title[1:]


def parse_page(page: RawPage, universe: Universe) -> Article | Redirect | None:
    """Turn one raw page into an Article, a Redirect, or None for pages outside the main namespace.

    Never raises on any wikitext: markup the tokenizer cannot balance is kept as text and scrubbed.
    """
    if page.namespace != 0:
        return None
    target = _redirect_target(page)
    if target:
        return Redirect(page.title, target)
    return _article(page, universe, _read(page.wikitext))


def _redirect_target(page: RawPage) -> str | None:
    if page.redirect_to is not None:
        return normalize_title(page.redirect_to) or None
    match = _REDIRECT.match(page.wikitext)
    if match is None:
        return None
    return normalize_title(match.group(1)) or None


# --- the tree ------------------------------------------------------------------------------------------


class _Writer:
    """Rendered text, cut into items wherever a <br> or a list bullet stood."""

    def __init__(self) -> None:
        self._items: list[list[str]] = [[]]

    def add(self, text: str) -> None:
        self._items[-1].append(text)

    def cut(self) -> None:
        if self._items[-1]:
            self._items.append([])

    def omit(self) -> None:
        self._items[-1].append(_OMITTED)

    def items(self) -> list[str]:
        cleaned = (_clean("".join(parts)) for parts in self._items)
        return [item for item in cleaned if item]

    def text(self) -> str:
        return _clean(" ".join("".join(parts) for parts in self._items))


@dataclass(slots=True)
class _Link:
    target: str
    text: list[_Node] | None

    def children(self) -> Iterable[list[_Node]]:
        return (self.text,) if self.text else ()

    def render(self, out: _Writer) -> None:
        target = self.target.strip()
        if target.startswith(":"):
            target = target[1:]
        elif _is_hidden_link(target):
            out.omit()
            return
        if self.text is None:
            out.add(target)
        else:
            _render(self.text, out)


@dataclass(slots=True)
class _ExternalLink:
    url: str
    text: list[_Node] | None

    def children(self) -> Iterable[list[_Node]]:
        return (self.text,) if self.text else ()

    def render(self, out: _Writer) -> None:
        if self.text is None:
            out.add(self.url)
        else:
            _render(self.text, out)


@dataclass(slots=True)
class _Param:
    name: str | None
    value: list[_Node]


@dataclass(slots=True)
class _Template:
    name: str
    params: list[_Param] = field(default_factory=list)

    def children(self) -> Iterable[list[_Node]]:
        return (param.value for param in self.params)

    def render(self, out: _Writer) -> None:
        """Nothing: a template's output lives on another page, and guessing it would mislead."""
        out.omit()

    def positional(self) -> list[str]:
        return [_strings(param.value).strip() for param in self.params if param.name is None]


@dataclass(slots=True)
class _Tag:
    name: str
    body: list[_Node]

    def children(self) -> Iterable[list[_Node]]:
        return (self.body,)

    def render(self, out: _Writer) -> None:
        if self.name in _BREAK_TAGS:
            out.cut()
        if self.name in _HIDDEN_TAGS:
            out.omit()
        else:
            _render(self.body, out)


@dataclass(slots=True)
class _Heading:
    body: list[_Node]

    def children(self) -> Iterable[list[_Node]]:
        return (self.body,)

    def render(self, out: _Writer) -> None:
        out.cut()
        _render(self.body, out)
        out.cut()


_Node = str | _Link | _ExternalLink | _Template | _Tag | _Heading


def _read(text: str) -> list[_Node]:
    """Tokenize once and build the tree; if the tokenizer fails, the whole page is plain text.

    NULs go first: the C tokenizer stops reading at one.
    """
    text = text.replace("\x00", "")
    try:
        stream = (CTokenizer() if use_c else Tokenizer()).tokenize(text, 0, True)
    except Exception:
        return [text]
    return _TreeReader(stream).read()


class _TreeReader:
    """Nests the tokenizer's flat stream; tokens that fit nowhere (stray separators) are skipped."""

    def __init__(self, stream: list[tok.Token]) -> None:
        self._stream = stream
        self._pos = 0

    def read(self) -> list[_Node]:
        return self._until(frozenset())[0]

    def _until(self, stops: frozenset[type]) -> tuple[list[_Node], tok.Token | None]:
        nodes: list[_Node] = []
        stream = self._stream
        while self._pos < len(stream):
            token = stream[self._pos]
            self._pos += 1
            kind = type(token)
            if kind is tok.Text:
                nodes.append(token["text"])
            elif kind in stops:
                return nodes, token
            else:
                reader = _READERS.get(kind)
                node = reader(self, token) if reader else None
                if node is not None:
                    nodes.append(node)
        return nodes, None

    def _template(self, _: tok.Token) -> _Template:
        name, end = self._until(_PARAM_END)
        template = _Template(_strings(name))
        while type(end) is tok.TemplateParamSeparator:
            value, end = self._until(_PARAM_NAME_END)
            if type(end) is tok.TemplateParamEquals:
                key = _strings(value).strip()
                value, end = self._until(_PARAM_END)
                template.params.append(_Param(key, value))
            else:
                template.params.append(_Param(None, value))
        return template

    def _link(self, _: tok.Token) -> _Link:
        target, end = self._until(_LINK_TARGET_END)
        text = self._until(_LINK_END)[0] if type(end) is tok.WikilinkSeparator else None
        return _Link(_strings(target), text)

    def _external_link(self, _: tok.Token) -> _ExternalLink:
        url, end = self._until(_EXTERNAL_URL_END)
        text = self._until(_EXTERNAL_END)[0] if type(end) is tok.ExternalLinkSeparator else None
        return _ExternalLink(_strings(url), text)

    def _tag(self, _: tok.Token) -> _Tag:
        name, end = self._until(_TAG_HEAD_END)
        while type(end) is tok.TagAttrStart:
            end = self._until(_TAG_HEAD_END)[1]
        body: list[_Node] = []
        if type(end) is tok.TagCloseOpen:
            body = self._until(_TAG_BODY_END)[0]
            self._until(_TAG_END)
        return _Tag(_strings(name).strip().lower(), body)

    def _heading(self, _: tok.Token) -> _Heading:
        return _Heading(self._until(_HEADING_END)[0])

    def _entity(self, _: tok.Token) -> str:
        parts = ["&"]
        while self._pos < len(self._stream):
            token = self._stream[self._pos]
            self._pos += 1
            kind = type(token)
            if kind is tok.HTMLEntityEnd:
                break
            if kind is tok.HTMLEntityNumeric:
                parts.append("#")
            elif kind is tok.HTMLEntityHex:
                parts.append(token["char"])
            elif kind is tok.Text:
                parts.append(token["text"])
        return html.unescape("".join(parts) + ";")

    def _skip_comment(self, _: tok.Token) -> None:
        self._until(_COMMENT_END)

    def _skip_argument(self, _: tok.Token) -> None:
        self._until(_ARGUMENT_END)


_PARAM_END = frozenset({tok.TemplateParamSeparator, tok.TemplateClose})
_PARAM_NAME_END = _PARAM_END | {tok.TemplateParamEquals}
_LINK_END = frozenset({tok.WikilinkClose})
_LINK_TARGET_END = _LINK_END | {tok.WikilinkSeparator}
_EXTERNAL_END = frozenset({tok.ExternalLinkClose})
_EXTERNAL_URL_END = _EXTERNAL_END | {tok.ExternalLinkSeparator}
_TAG_HEAD_END = frozenset({tok.TagAttrStart, tok.TagCloseOpen, tok.TagCloseSelfclose})
_TAG_BODY_END = frozenset({tok.TagOpenClose})
_TAG_END = frozenset({tok.TagCloseClose})
_HEADING_END = frozenset({tok.HeadingEnd})
_COMMENT_END = frozenset({tok.CommentEnd})
_ARGUMENT_END = frozenset({tok.ArgumentClose})
_READERS: dict[type, Callable[[_TreeReader, tok.Token], _Node | None]] = {
    tok.TemplateOpen: _TreeReader._template,
    tok.WikilinkOpen: _TreeReader._link,
    tok.ExternalLinkOpen: _TreeReader._external_link,
    tok.TagOpenOpen: _TreeReader._tag,
    tok.HeadingStart: _TreeReader._heading,
    tok.HTMLEntityStart: _TreeReader._entity,
    tok.CommentStart: _TreeReader._skip_comment,
    tok.ArgumentOpen: _TreeReader._skip_argument,
}


def _strings(nodes: list[_Node]) -> str:
    """The literal text of a name or a link target; markup inside one is not part of it."""
    return "".join(node for node in nodes if type(node) is str)


def _render(nodes: list[_Node], out: _Writer) -> None:
    for node in nodes:
        if type(node) is str:
            out.add(node)
        else:
            node.render(out)


def _links_in(nodes: list[_Node], out: list[_Link]) -> list[_Link]:
    """Every link under these nodes, however deep (inside refs, templates, captions), in page order."""
    for node in nodes:
        if type(node) is str:
            continue
        if type(node) is _Link:
            out.append(node)
        for child in node.children():
            _links_in(child, out)
    return out


def _clean(text: str) -> str:
    """Drop bold/italic quotes, brackets that held only what shows nothing (`Tatooine ({{IPA|…}}) was`
    reads `Tatooine was`) and any markup the tokenizer left as text, then collapse whitespace."""
    text = text.replace("'''", "").replace("''", "")
    text = _EMPTIED_BRACKETS.sub("", text).replace(_OMITTED, "")
    return _SPACE_INSIDE_BRACKETS.sub("", " ".join(_LEFTOVER.sub(" ", text).split()))


# --- links and namespaces --------------------------------------------------------------------------------


def _namespace(target: str) -> tuple[str, str]:
    """('category', 'Legends articles') for 'Category:Legends_articles'; ('', target) without a colon."""
    prefix, colon, rest = target.partition(":")
    if not colon:
        return "", target
    return " ".join(prefix.replace("_", " ").split()).lower(), rest


def _is_interlanguage(target: str) -> bool:
    prefix, colon, _ = target.partition(":")
    return bool(colon) and _INTERLANGUAGE.fullmatch(prefix) is not None


def _is_hidden_link(target: str) -> bool:
    """Files, categories and interlanguage links show nothing where they are written."""
    namespace = _namespace(target)[0]
    return namespace in _FILE_NAMESPACES or namespace == "category" or _is_interlanguage(target)


@lru_cache
def _non_article_namespaces(project: str) -> frozenset[str]:
    name = project.lower()
    return _NAMESPACES | {name, f"{name} talk"}


def _article_target(link: _Link, namespaces: frozenset[str]) -> str | None:
    target = link.target.strip().removeprefix(":")
    if _namespace(target)[0] in namespaces or _is_interlanguage(target):
        return None
    return normalize_title(target) or None


def _article_targets(links: Iterable[_Link], namespaces: frozenset[str]) -> list[str]:
    targets = (_article_target(link, namespaces) for link in links)
    return list(dict.fromkeys(target for target in targets if target))


def _categories(links: Iterable[_Link]) -> set[str]:
    found = set()
    for link in links:
        namespace, name = _namespace(link.target.strip())
        if namespace == "category":
            found.add(normalize_title(name))
    return found


# --- the article -----------------------------------------------------------------------------------------


@dataclass(slots=True)
class _Infobox:
    fields: dict[str, InfoboxValue] = field(default_factory=dict)
    links: dict[str, list[str]] = field(default_factory=dict)
    image: str | None = None


def _article(page: RawPage, universe: Universe, root: list[_Node]) -> Article:
    namespaces = _non_article_namespaces(universe.display_name)
    template, lead = _split_at_infobox(root, universe)
    kind = _template_name(template) if template is not None else None
    infobox = _read_infobox(template, namespaces) if template is not None else _Infobox()
    links = _links_in(root, [])
    slug = page.title.replace(" ", "_")
    return Article(
        universe=universe.name,
        page_id=page.page_id,
        title=page.title,
        slug=slug,
        url=universe.url_for(slug),
        kind=kind,
        category=universe.category_for(kind),
        is_canon=_is_canon(page, root, _categories(links), universe.canon),
        summary=_summary(lead),
        infobox=infobox.fields,
        infobox_links=infobox.links,
        links=_article_targets(links, namespaces),
        image=infobox.image,
        revision_id=page.revision_id,
        timestamp=page.timestamp,
    )


def _template_name(template: _Template) -> str:
    namespace, name = _namespace(template.name)
    return normalize_title(name if namespace == "template" else template.name)


def _top_level_templates(root: list[_Node]) -> Iterable[tuple[int, _Template]]:
    return ((at, node) for at, node in enumerate(root) if type(node) is _Template)


def _split_at_infobox(root: list[_Node], universe: Universe) -> tuple[_Template | None, list[_Node]]:
    """The infobox and what follows it.

    The infobox is the first top-level template naming a known kind, so {{Top}}, hatnotes and
    maintenance templates before it are passed over.
    """
    for at, template in _top_level_templates(root):
        if _template_name(template) in universe.category_of_kind:
            return template, root[at + 1 :]
    return None, root


def _read_infobox(template: _Template, namespaces: frozenset[str]) -> _Infobox:
    box = _Infobox()
    values = {param.name: param.value for param in template.params if param.name}
    for name, value in values.items():
        if name == "image":
            box.image = _image_name(value)
            continue
        items = _items(value)
        if items:
            box.fields[name] = items[0] if len(items) == 1 else items
        targets = _article_targets(_links_in(value, []), namespaces)
        if targets:
            box.links[name] = targets
    return box


def _items(value: list[_Node]) -> list[str]:
    out = _Writer()
    _render(_without_leading_bullet(value), out)
    return out.items()


def _without_leading_bullet(value: list[_Node]) -> list[_Node]:
    """`|terrain=*[[Desert]]` is a list whose first item is Desert, as the lines after it are items."""
    if value and type(value[0]) is str:
        bullet = _LIST_MARKERS.match(value[0])
        if bullet:
            return [value[0][bullet.end() :], *value[1:]]
    return value


def _image_name(value: list[_Node]) -> str | None:
    """A bare file name, whether written as [[File:X.png|thumb]], File:X.png or X.png."""
    for link in _links_in(value, []):
        namespace, name = _namespace(link.target.strip().removeprefix(":"))
        if namespace in _FILE_NAMESPACES:
            return normalize_title(name) or None
    text = " ".join(_items(value))
    namespace, name = _namespace(text)
    return normalize_title(name if namespace in _FILE_NAMESPACES else text) or None


def _summary(lead: list[_Node]) -> str:
    """The lead's text, up to the first section heading."""
    out = _Writer()
    _render(list(takewhile(lambda node: type(node) is not _Heading, lead)), out)
    return _truncate(out.text(), SUMMARY_LIMIT)


def _truncate(text: str, limit: int) -> str:
    """Cut at the last sentence end if one falls in the second half of the limit, else at a word."""
    if len(text) <= limit:
        return text
    head = text[: limit + 1]
    sentence_end = max(head.rfind(". "), head.rfind("! "), head.rfind("? "))
    if sentence_end >= limit // 2:
        return head[: sentence_end + 1]
    return head[:limit].rsplit(" ", 1)[0] + "…"


def _is_canon(page: RawPage, root: list[_Node], categories: set[str], rules: CanonRules) -> bool:
    """Canon unless something marks Legends; a canon category outranks every Legends mark."""
    categories = categories | {normalize_title(category) for category in page.categories}
    if categories & rules.canon_categories:
        return True
    if page.title.endswith(rules.legends_suffix) or categories & rules.legends_categories:
        return False
    top = normalize_title(rules.top_template)
    return not any(
        rules.legends_top_params.intersection(template.positional())
        for _, template in _top_level_templates(root)
        if _template_name(template) == top
    )
