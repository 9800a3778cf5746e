"""The creator's studio: figures of their videos (views, watch time, retention, sources)."""
