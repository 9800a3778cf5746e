"""Core services every feature package uses: jobs table, key-value store, rate limits, health."""
