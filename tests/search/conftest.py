"""The search tests use the comments tests' factories (users and ready videos as rows)."""

from tests.comments.conftest import fast_hashes, make_video  # noqa: F401
