"""Images on disk, the default image store: the content-addressed layout of `images/store.py` under
`<data dir>/<universe>/images`.

The name files mirror `image_cache`, so images are served even while PostgreSQL is down. Every write
is a temporary file renamed into place: a crash leaves either the old file or the new one, and
`sweep_temporaries` removes what a killed writer left.
"""

from __future__ import annotations

from pathlib import Path

from lorecache.atomic import remove_stale_temporaries, write_atomically
from lorecache.images.store import ImageStoreError, StoredImage, name_key
from lorecache.images.verify import ImageFacts


class ImageDisk:
    """The image directory of one universe (`<data dir>/<universe>/images`)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.location = str(root)

    def put(self, file_name: str, payload: bytes, facts: ImageFacts) -> StoredImage:
        stored = StoredImage.of(file_name, payload, facts)
        target = self.root / stored.relative_path
        try:
            if not target.is_file() or target.stat().st_size != len(payload):
                write_atomically(target, payload)
            write_atomically(self.root / name_key(file_name), stored.document())
        except OSError as error:
            raise ImageStoreError(f"not written to {self.root}: {error}") from error
        return stored

    def lookup(self, file_name: str) -> StoredImage | None:
        """Only when both its name file and its object are on disk."""
        try:
            stored = StoredImage.parse((self.root / name_key(file_name)).read_bytes())
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
