"""Videos: ingest, probe, transcode, posters, storage keys and media serving."""
