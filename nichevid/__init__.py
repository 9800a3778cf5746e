"""nichevid: a self-hostable short-video platform for niche communities."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("nichevid")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0"
