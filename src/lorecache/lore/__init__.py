"""Lore for a language model: fact blocks with their sources, packed to a token budget, and the link
graph they are chosen from."""
