"""The contract every :class:`nichevid.storage.Storage` adapter passes.

Subclass :class:`StorageContract` in a test module and give it a ``storage`` fixture
returning a fresh, empty store private to the test; pytest then runs every check
below against that adapter::

    import pytest

    from nichevid.testing.storage_contract import StorageContract
    from my_plugin.storage import MyStorage


    class TestMyStorage(StorageContract):
        @pytest.fixture
        async def storage(self, tmp_path):
            return MyStorage(tmp_path / "media")

What the contract decides where the abstract class leaves room (see docs/storage.md):

* A prefix is a plain string prefix, as in object stores: ``videos/ab`` also matches
  ``videos/abc/...``; callers that mean a folder end the prefix with ``/``.
* Listing order is unspecified; sizes in listings are exact.
* ``open`` clips a range that runs past the end; a start at or past the end yields
  nothing. Callers pass ``0 <= start``.
* ``put`` propagates the stream's own exception, and a failed or cancelled put leaves
  the previous object under the key untouched.
* Keys may hold any Unicode text, spaces and URL-reserved characters (``#?+%``);
  ``url`` encodes them. A key that :func:`nichevid.storage.check_key` refuses raises
  :class:`nichevid.storage.StorageError` from every method, before anything is stored.
* A "folder" (a prefix of other keys) is not an object. Putting an object over a folder,
  or below an object, either works (object stores) or raises ``StorageError``
  (file systems); existing objects survive either way.
"""

from __future__ import annotations

from typing import NoReturn

import pytest

from nichevid.testing.storage_contract.helpers import (
    UNICODE_KEYS,
    StreamBroke,
    blob,
    breaking,
    chunked,
    listing,
    read,
    slow,
    unsafe_keys,
)
from nichevid.testing.storage_contract.keys import KeyChecks
from nichevid.testing.storage_contract.objects import ObjectChecks

__all__ = [
    "UNICODE_KEYS",
    "StorageContract",
    "StreamBroke",
    "blob",
    "breaking",
    "chunked",
    "listing",
    "read",
    "slow",
    "unsafe_keys",
]


class StorageContract(ObjectChecks, KeyChecks):
    """The checks every storage adapter must pass; subclass it with a ``storage`` fixture."""

    # Marked here so the checks run whatever pytest-asyncio mode the adapter's project uses.
    pytestmark = pytest.mark.asyncio

    @pytest.fixture
    def storage(self) -> NoReturn:
        """Overridden by each adapter's test class."""
        pytest.fail(
            "define a `storage` fixture on your StorageContract subclass returning a "
            "fresh, empty store (see docs/storage.md)"
        )
