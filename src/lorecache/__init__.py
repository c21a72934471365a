"""Lorecache: a fan wiki's lore in a hybrid cache (PostgreSQL + files on disk), served as a JSON API."""

__version__ = "0.1.0"
