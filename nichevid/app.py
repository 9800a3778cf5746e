"""The composition root: ``create_app(settings) -> Litestar``.

:class:`NichevidInit` is the only bridge from pluggy to Litestar. It turns the
answers of the ``register_*`` hooks into routes, middleware, templates, static
files and lifespan resources; nothing else in the code base touches ``AppConfig``.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import msgspec
import pluggy
from jinja2 import ChoiceLoader, Environment, FileSystemLoader, select_autoescape
from litestar import Litestar, Request
from litestar.config.app import AppConfig
from litestar.config.csrf import CSRFConfig
from litestar.logging.config import LoggingConfig
from litestar.middleware.csrf import CSRFMiddleware
from litestar.middleware.session.server_side import ServerSideSessionConfig
from litestar.openapi.config import OpenAPIConfig
from litestar.openapi.plugins import SwaggerRenderPlugin
from litestar.plugins import InitPlugin
from litestar.static_files import create_static_files_router
from litestar.stores.registry import StoreRegistry
from litestar.template.config import TemplateConfig
from litestar.types import Receive, Scope, Send
from markupsafe import Markup

from nichevid import __version__
from nichevid.core.errors import error_handlers
from nichevid.plugins import collect_lists, collect_mappings, make_plugin_manager
from nichevid.runtime import close_resources, open_resources
from nichevid.settings import ConfigError, Settings, load_settings

log = logging.getLogger("nichevid")

PACKAGE_DIR = Path(__file__).parent
THEMES_DIR = PACKAGE_DIR.parent / "themes"
SESSION_COOKIE = "nv_session"
CSRF_COOKIE = "nv_csrf"


def theme_dir(settings: Settings) -> Path:
    """The directory of the configured theme; a missing theme stops start-up."""
    name = settings.theme
    candidates = (
        [Path(name)] if "/" in name else [THEMES_DIR / name, settings.data_dir / "themes" / name]
    )
    for candidate in candidates:
        if (candidate / "theme.toml").is_file():
            return candidate
    raise ConfigError(
        f"theme {name!r} not found (looked in {', '.join(str(c) for c in candidates)}); "
        "set theme to 'default' or to a folder with a theme.toml"
    )


def validate_plugin_settings(settings: Settings, pm: pluggy.PluginManager) -> None:
    """Validate each ``[plugin.<name>]`` section against the plugin's declared type."""
    schemas = collect_mappings(pm.hook.register_settings)
    for name, schema in schemas.items():
        raw = settings.plugin.get(name, {})
        try:
            value = msgspec.convert(raw, schema, strict=False)
        except msgspec.ValidationError as exc:
            raise ConfigError(f"[plugin.{name}]: {exc}".replace("$.", "")) from exc
        settings.plugin[name] = msgspec.to_builtins(value, enc_hook=str) | {"_parsed": value}
    unknown = sorted(set(settings.plugin) - set(schemas))
    if unknown:
        raise ConfigError(
            f"[plugin.{unknown[0]}] is configured but no enabled plugin reads it; "
            "enable that plugin or remove the section"
        )


def build_templates(settings: Settings, pm: pluggy.PluginManager) -> Environment:
    """Jinja environment searching the theme, then plugins, then the core."""
    dirs: list[Path] = [theme_dir(settings) / "templates"]
    dirs.extend(Path(d) for d in collect_lists(pm.hook.register_template_dirs))
    dirs.append(PACKAGE_DIR / "templates")
    env = Environment(
        loader=ChoiceLoader([FileSystemLoader(str(d)) for d in dirs if d.is_dir()]),
        autoescape=select_autoescape(["html", "xml"], default_for_string=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )

    def slot(name: str, **context: Any) -> Markup:
        parts = pm.hook.extra_slot(slot=name, context=context)
        return Markup("".join(str(p) for p in parts if p))  # noqa: S704 - plugin HTML by contract

    env.globals.update(
        site_name=settings.site_name,
        version=__version__,
        slot=slot,
        static=lambda path: f"/static/{path}",
    )
    return env


class BearerAwareCSRFMiddleware(CSRFMiddleware):
    """CSRF protection for browser sessions; bearer-token requests carry no cookie to forge."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            for key, value in scope["headers"]:
                if key == b"authorization" and value[:7].lower() == b"bearer ":
                    await self.app(scope, receive, send)
                    return
        await super().__call__(scope, receive, send)


def _csrf_middleware(config: CSRFConfig) -> Any:
    from litestar.middleware import DefineMiddleware

    return DefineMiddleware(BearerAwareCSRFMiddleware, config=config)


class NichevidInit(InitPlugin):
    """Turns plugin answers into the Litestar application."""

    def __init__(self, settings: Settings, pm: pluggy.PluginManager) -> None:
        self.settings = settings
        self.pm = pm

    def on_app_init(self, app_config: AppConfig) -> AppConfig:
        settings, pm = self.settings, self.pm
        secure = settings.public_url.startswith("https://")
        app_config.debug = settings.debug
        # Litestar's records go to the root logger, which nichevid.logs renders as structured lines.
        app_config.logging_config = LoggingConfig(
            configure_root_logger=False,
            handlers={},
            loggers={"litestar": {"level": "INFO", "handlers": [], "propagate": True}},
            log_exceptions="never",
        )
        app_config.exception_handlers = {
            **error_handlers(),
            **app_config.exception_handlers,
        }
        app_config.state.update({"settings": settings, "pm": pm})
        app_config.route_handlers.extend(collect_lists(pm.hook.register_routes, settings=settings))
        app_config.route_handlers.append(self._static_router())
        app_config.template_config = TemplateConfig(
            instance=_engine_from(build_templates(settings, pm))
        )
        app_config.stores = self._stores()
        session = ServerSideSessionConfig(
            key=SESSION_COOKIE,
            store="sessions",
            max_age=settings.accounts.session_days * 86400,
            httponly=True,
            secure=secure,
            samesite="lax",
            renew_on_access=False,
        )
        csrf = CSRFConfig(
            secret=self._secret(),
            cookie_name=CSRF_COOKIE,
            cookie_secure=secure,
            cookie_samesite="lax",
            header_name="x-csrftoken",
            exclude=["/healthz", "/readyz", "/metrics"],
        )
        app_config.middleware = [
            session.middleware,
            *collect_lists(pm.hook.register_middleware, settings=settings),
            _csrf_middleware(csrf),
            *app_config.middleware,
        ]
        app_config.openapi_config = OpenAPIConfig(
            title=settings.site_name,
            version=__version__,
            description="JSON API of nichevid. Authenticate with `Authorization: Bearer <token>`.",
            path="/schema",
            render_plugins=[SwaggerRenderPlugin()],
        )
        app_config.lifespan.append(self.lifespan)
        return app_config

    def _secret(self) -> str:
        secret = self.settings.secret_key.reveal()
        if secret:
            return secret
        # Embedded default: a random key kept in the data directory, so sessions survive restarts.
        path = self.settings.data_dir / "secret_key"
        if not path.exists():
            import secrets

            path.write_text(secrets.token_urlsafe(48), encoding="utf-8")
            path.chmod(0o600)
        return path.read_text(encoding="utf-8").strip()

    def _stores(self) -> StoreRegistry:
        if self.settings.uses_redis:
            from litestar.stores.redis import RedisStore

            root = RedisStore.with_client(self.settings.redis.url, namespace="nichevid")
            return StoreRegistry(default_factory=root.with_namespace)
        from nichevid.core.store import DatabaseStore

        return StoreRegistry(default_factory=DatabaseStore().with_namespace)

    def _static_router(self) -> Any:
        from litestar import Router
        from litestar.datastructures import CacheControlHeader

        cache = CacheControlHeader(max_age=86400, public=True)
        routers = [
            create_static_files_router(
                path="/static/theme",
                directories=[theme_dir(self.settings) / "static"],
                name="theme_static",
                cache_control=cache,
            ),
        ]
        for name, directory in collect_mappings(self.pm.hook.register_static_dirs).items():
            routers.append(
                create_static_files_router(
                    path=f"/static/plugins/{name}",
                    directories=[Path(directory)],
                    name=f"plugin_static_{name}",
                    cache_control=cache,
                )
            )
        routers.append(
            create_static_files_router(
                path="/static",
                directories=[PACKAGE_DIR / "static"],
                name="static",
                cache_control=cache,
            )
        )
        return Router(path="/", route_handlers=routers, include_in_schema=False)

    @contextlib.asynccontextmanager
    async def lifespan(self, app: Litestar) -> AsyncIterator[None]:
        resources = await open_resources(self.settings, self.pm)
        app.state.resources = resources
        try:
            async with contextlib.AsyncExitStack() as stack:
                for factory in collect_lists(self.pm.hook.register_lifespan):
                    await stack.enter_async_context(factory(app))
                yield
        finally:
            await close_resources(resources)


def _engine_from(env: Environment) -> Any:
    from litestar.plugins.jinja import JinjaTemplateEngine

    return JinjaTemplateEngine.from_environment(env)


def create_app(
    settings: Settings | None = None,
    *,
    plugins: list[Any] | tuple[Any, ...] = (),
    pm: pluggy.PluginManager | None = None,
) -> Litestar:
    """Build the web application for ``settings`` (default: loaded from file and environment)."""
    settings = settings or load_settings()
    pm = pm or make_plugin_manager(settings, extra_plugins=plugins)
    validate_plugin_settings(settings, pm)
    from nichevid.logs import configure_logging

    configure_logging(settings)
    return Litestar(plugins=[NichevidInit(settings, pm)])


def app_from_env() -> Litestar:
    """Factory for ``uvicorn --factory``: settings from ``NICHEVID_*`` and ``nichevid.toml``."""
    return create_app()


def request_resources(request: Request[Any, Any, Any]) -> Any:
    """The :class:`nichevid.runtime.Resources` of the running app."""
    return request.app.state.resources
