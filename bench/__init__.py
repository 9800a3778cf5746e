"""Benchmarks of nichevid and their data generators (not part of the test run)."""

# nichevid caps BLAS threads for its small per-request matrices; importing it here makes
# every benchmark measure with the same setting the server runs with.
import nichevid  # noqa: F401
