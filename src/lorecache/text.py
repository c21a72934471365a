"""Folding text for matching: the one definition both stores use, so PostgreSQL and the file cache
agree on what "the same name" means.
"""

import re
import unicodedata

_APOSTROPHES = re.compile("['\u2019\u2018`\u00b4]")
_NON_WORD = re.compile(r"[\W_]+")


def fold(text: str) -> str:
    """Lower-case, accents and punctuation gone: `Twi'lek` → `twilek`, `Padmé` → `padme`.

    Apostrophes vanish (a user types `Twilek`); every other run of punctuation becomes one space
    (`Chadra-Fan` → `chadra fan`).
    """
    if not text.isascii():  # ASCII has no accents to strip: most text, folded at every ingest
        decomposed = unicodedata.normalize("NFKD", text)
        text = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return _NON_WORD.sub(" ", _APOSTROPHES.sub("", text.casefold())).strip()
