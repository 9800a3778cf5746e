"""The CDN plugin's hook implementations.

The adapter wraps the origin backend, and never itself:

* ``register_storage_backends`` adds the name ``"cdn"``: the backend named by
  ``plugin.cdn.origin`` (among the names the other plugins give), wrapped.
  ``[storage] backend = "cdn"`` picks it.
* ``storage_backend`` answers local disk wrapped, so enabling the plugin is enough
  for the default origin.

Start-up stops when ``[storage] backend`` names another backend: the CDN would
silently be left out.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Generator
from typing import Any

from nichevid.plugins import hookimpl
from nichevid.settings import ConfigError
from nichevid.storage import Storage

NAME = "cdn"


@hookimpl
def register_settings() -> dict[str, Any]:
    from nichevid_cdn.settings import SECTION, CdnSettings

    return {SECTION: CdnSettings}


def _config(settings: Any) -> Any:
    """The ``[plugin.cdn]`` settings; a bad value becomes one :class:`ConfigError` line."""
    import msgspec

    from nichevid_cdn.settings import cdn_settings

    try:
        return cdn_settings(settings)
    except msgspec.ValidationError as exc:
        raise ConfigError(str(exc).split(" - at ")[0]) from None


def _named(factories: dict[str, Any]) -> Any:
    """The factory of the ``"cdn"`` backend, choosing the origin among ``factories``."""

    def build(settings: Any) -> Storage:
        from nichevid_cdn.storage import CdnStorage

        config = _config(settings)
        if config.origin not in factories:
            raise ConfigError(
                f"plugin.cdn.origin {config.origin!r} is not a storage backend of any enabled "
                f"plugin (registered: {', '.join(sorted(factories)) or 'none'})"
            )
        return CdnStorage(factories[config.origin](settings), config)

    return build


@hookimpl(wrapper=True)
def register_storage_backends() -> Generator[None, list[dict[str, Any]], list[dict[str, Any]]]:
    """Name the CDN adapter ``"cdn"``, its origin chosen among the other backends."""
    answers = yield
    others: dict[str, Any] = {}
    for answer in answers:
        others.update({k: v for k, v in (answer or {}).items() if k != NAME})
    return [*answers, {NAME: _named(others)}]


@hookimpl
def storage_backend(settings: Any) -> Storage:
    """Local disk (the default origin), wrapped; other origins are picked by name."""
    from nichevid import default_storage
    from nichevid_cdn.storage import CdnStorage

    config = _config(settings)
    if config.origin != "local":
        raise ConfigError(
            f"plugin.cdn.origin {config.origin!r} is picked by name: also set [storage] "
            f'backend = "cdn" (or leave plugin.cdn.origin = "local")'
        )
    return CdnStorage(default_storage.storage_backend(settings), config)


@hookimpl
def register_lifespan() -> list[Any]:
    return [cdn_in_use]


@contextlib.asynccontextmanager
async def cdn_in_use(app: Any) -> AsyncIterator[None]:
    """Refuse to start when another backend was picked by name: the CDN would be unused."""
    from nichevid_cdn.storage import CdnStorage

    storage = app.state.resources.storage
    if not isinstance(storage, CdnStorage):
        backend = app.state.settings.storage.backend
        raise ConfigError(
            f"storage.backend {backend!r} bypasses the enabled CDN plugin: set [storage] "
            f'backend = "cdn" and plugin.cdn.origin = {backend!r}'
        )
    yield
