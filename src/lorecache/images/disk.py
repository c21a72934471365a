"""Image files on disk, content-addressed: identical bytes are kept once, whatever their names.

`objects/ab/<sha256>` holds the bytes; `names/xy/<sha256 of the name>.json` says which object a file
name is and what it is (type, size). Both paths are built from hex digests, never from the name, so no
name can reach outside the directory. The name files mirror `image_cache`, so images are served even
while PostgreSQL is down. Every write is a temporary file renamed into place: a crash leaves either the
old file or the new one, and `sweep_temporaries` removes what a killed writer left.
"""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass
from pathlib import Path

import orjson

from lorecache.atomic import remove_stale_temporaries, write_atomically
from lorecache.images.verify import ImageFacts


@dataclass(frozen=True, slots=True)
class StoredImage:
    file_name: str
    sha256: str
    content_type: str
    bytes: int
    width: int
    height: int

    @property
    def relative_path(self) -> str:
        return f"objects/{self.sha256[:2]}/{self.sha256}"


class ImageDisk:
    """The image directory of one universe (`<data dir>/<universe>/images`)."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def put(self, file_name: str, payload: bytes, facts: ImageFacts) -> StoredImage:
        """Keep `payload` (once per content) and point `file_name` at it."""
        sha256 = hashlib.sha256(payload).hexdigest()
        stored = StoredImage(file_name, sha256, facts.content_type, len(payload), facts.width, facts.height)
        target = self.root / stored.relative_path
        if not target.is_file() or target.stat().st_size != len(payload):
            write_atomically(target, payload)
        write_atomically(self._name_path(file_name), orjson.dumps(asdict(stored)))
        return stored

    def lookup(self, file_name: str) -> StoredImage | None:
        """The stored image of `file_name`, if both its name file and its object are on disk."""
        try:
            stored = StoredImage(**orjson.loads(self._name_path(file_name).read_bytes()))
        except FileNotFoundError:
            return None
        return stored if self.path_of(stored).is_file() else None

    def path_of(self, stored: StoredImage) -> Path:
        return self.root / stored.relative_path

    def totals(self) -> tuple[int, int]:
        """Names kept and bytes on disk, from the files alone (when PostgreSQL cannot say)."""
        names = sum(1 for _ in self.root.glob("names/*/*.json"))
        size = sum(path.stat().st_size for path in self.root.glob("objects/*/*") if path.name[0] != ".")
        return names, size

    def sweep_temporaries(self) -> int:
        candidates = (*self.root.glob("objects/*/.*.tmp"), *self.root.glob("names/*/.*.tmp"))
        return remove_stale_temporaries(self.root, candidates)

    def _name_path(self, file_name: str) -> Path:
        digest = hashlib.sha256(file_name.encode()).hexdigest()
        return self.root / "names" / digest[:2] / f"{digest}.json"
