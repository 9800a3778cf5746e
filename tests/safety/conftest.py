"""Helpers for the safety tests: the social tests' members, videos and sign-in helpers."""

from __future__ import annotations

from tests.social.conftest import (  # noqa: F401 - fixtures used by name
    bearer,
    browser,
    fast_hashes,
    make_user,
    make_video,
    signed_in,
)
