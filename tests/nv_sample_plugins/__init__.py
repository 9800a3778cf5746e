"""Plugin modules used as entry points by the plugin tests (nothing is installed)."""
