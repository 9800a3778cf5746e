"""Shared test set-up; the fixtures themselves come from the ``nichevid.testing`` pytest plugin."""
