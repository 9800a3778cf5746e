"""A plugin package with its own table and migration."""
