"""Search, one engine for both stores: `rules` (what a match is), `ranking` (how matches are ordered,
as SQL and as a Python key), `cascade` (which tiers run and when to stop), `spelling` (typo
corrections), `fulltext` (the file cache's stems and ranks), and two backends of the cascade:
`postgres` (SQL over the derived search tables) and `memory` (the file cache's in-memory index)."""
