"""Benchmarks of nichevid and their data generators (not part of the test run)."""
