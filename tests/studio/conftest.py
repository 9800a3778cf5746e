"""The studio tests use the social tests' members, videos and ways of signing in."""

from tests.social.conftest import fast_hashes, make_user, make_video  # noqa: F401
