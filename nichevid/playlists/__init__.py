"""Playlists: creators put their videos in order, as parts of a series."""
