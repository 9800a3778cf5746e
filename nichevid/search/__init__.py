"""Search over videos, people and hashtags: SQLite FTS5 or PostgreSQL full-text search."""
