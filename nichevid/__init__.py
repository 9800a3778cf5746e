"""nichevid: a self-hostable short-video platform for niche communities."""

import os
from importlib.metadata import PackageNotFoundError, version

# Ranking multiplies small matrices per request; BLAS threads only add waiting there, and
# a web server already runs one process per core. Set before numpy is first imported.
for _name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_name, "1")

try:
    __version__ = version("nichevid")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0"
