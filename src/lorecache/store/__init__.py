"""Where articles are kept: PostgreSQL, the file cache, and the hybrid of both that the API reads."""
