"""The composition root: ``create_app(settings) -> Litestar``.

:class:`NichevidInit` is the only bridge from pluggy to Litestar. It turns the
answers of the ``register_*`` hooks into routes, middleware, templates, static
files and lifespan resources; nothing else in the code base touches ``AppConfig``.
"""

from __future__ import annotations

import contextlib
import logging
import sys
import tomllib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import msgspec
import pluggy
from jinja2 import ChoiceLoader, Environment, FileSystemLoader, select_autoescape
from litestar import Litestar, Request
from litestar.config.app import AppConfig
from litestar.config.compression import CompressionConfig
from litestar.config.csrf import CSRFConfig
from litestar.logging.config import LoggingConfig
from litestar.middleware import DefineMiddleware
from litestar.middleware.csrf import CSRFMiddleware
from litestar.openapi.config import OpenAPIConfig
from litestar.openapi.plugins import SwaggerRenderPlugin
from litestar.openapi.spec import Components, SecurityScheme
from litestar.plugins import InitPlugin
from litestar.static_files import create_static_files_router
from litestar.stores.registry import StoreRegistry
from litestar.template.config import TemplateConfig
from litestar.types import Receive, Scope, Send
from markupsafe import Markup

from nichevid import __version__, i18n
from nichevid.core.errors import error_handlers
from nichevid.core.memory import freeze_startup
from nichevid.core.pagecache import AnonymousPageCache
from nichevid.core.secrets import instance_secret
from nichevid.core.sessions import LazySessionConfig
from nichevid.i18n import LanguageMiddleware
from nichevid.plugins import collect_lists, collect_mappings, make_plugin_manager, render_slot
from nichevid.runtime import close_resources, open_resources
from nichevid.settings import (
    ConfigError,
    Settings,
    explain_validation_error,
    load_settings,
)
from nichevid.settings import decode_hook as settings_decode_hook

log = logging.getLogger("nichevid")

PACKAGE_DIR = Path(__file__).parent


def _bundled_themes() -> Path:
    """``themes/`` beside the package in a checkout, else where an install put it."""
    beside = PACKAGE_DIR.parent / "themes"
    if (beside / "default" / "theme.toml").is_file():
        return beside
    return Path(sys.prefix) / "share" / "nichevid" / "themes"


THEMES_DIR = _bundled_themes()
SESSION_COOKIE = "nv_session"
CSRF_COOKIE = "nv_csrf"
# Name of the OpenAPI security scheme API controllers list in ``security``.
BEARER_SCHEME = "BearerToken"
# Key of the typed instance in a validated ``settings.plugin[name]`` section.
PARSED_KEY = "_parsed"


def theme_dir(settings: Settings) -> Path:
    """The directory of the configured theme; a missing or broken theme stops start-up.

    ``settings.theme`` is a theme name, looked up in the bundled ``themes/`` and then
    in ``<data_dir>/themes/``, or a path (it contains ``/``) to a theme folder.

    Raises:
        ConfigError: When no folder with a readable ``theme.toml`` is found.
    """
    name = settings.theme
    candidates = (
        [Path(name)] if "/" in name else [THEMES_DIR / name, settings.data_dir / "themes" / name]
    )
    for candidate in candidates:
        manifest = candidate / "theme.toml"
        if manifest.is_file():
            try:
                tomllib.loads(manifest.read_text(encoding="utf-8"))
            except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
                raise ConfigError(f"{manifest} is not valid TOML: {exc}") from exc
            return candidate
    raise ConfigError(
        f"theme {name!r} not found (looked in {', '.join(str(c) for c in candidates)}); "
        "set theme to 'default' or to a folder with a theme.toml"
    )


def theme_chain(settings: Settings) -> list[Path]:
    """The configured theme, then the default theme it falls back to for what it lacks."""
    chosen = theme_dir(settings)
    default = THEMES_DIR / "default"
    if chosen.resolve() == default.resolve() or not default.is_dir():
        return [chosen]
    return [chosen, default]


def validate_plugin_settings(settings: Settings, pm: pluggy.PluginManager) -> None:
    """Validate each ``[plugin.<name>]`` section against the type its plugin registers.

    The validated, defaulted values replace the raw section as a dict (secrets
    stay :class:`nichevid.settings.Secret` objects), and ``"_parsed"`` holds the
    instance of the registered type. Sections of plugins that were skipped at
    start-up are ignored.

    Raises:
        ConfigError: On a bad value, an unknown key, a section no plugin reads, or a
            ``storage.backend`` no plugin registers.
    """
    schemas = collect_mappings(pm.hook.register_settings)
    for name, schema in schemas.items():
        # Validating again (a second app on the same settings) starts from the values.
        raw = {k: v for k, v in settings.plugin.get(name, {}).items() if k != PARSED_KEY}
        where = ("plugin", name)
        try:
            value = msgspec.convert(raw, schema, strict=False, dec_hook=settings_decode_hook)
        except msgspec.ValidationError as exc:
            raise ConfigError(explain_validation_error(exc, {}, "settings", where)) from exc
        fields = getattr(msgspec.inspect.type_info(schema), "fields", ())
        known = {f.encode_name: f.name for f in fields}
        unknown = sorted(set(raw) - set(known))
        if known and unknown:
            raise ConfigError(
                f"settings: unknown key `plugin.{name}.{unknown[0]}` "
                f"(valid keys: {', '.join(sorted(known))})"
            )
        values = (
            value if isinstance(value, dict) else {k: getattr(value, a) for k, a in known.items()}
        )
        settings.plugin[name] = {**values, PARSED_KEY: value}
    backend = settings.storage.backend
    if backend:
        backends = collect_mappings(pm.hook.register_storage_backends)
        if backend not in backends:
            raise ConfigError(
                f"storage.backend {backend!r} is not registered by any enabled plugin "
                f"(registered: {', '.join(sorted(backends)) or 'none'})"
            )
    skipped = getattr(pm, "skipped", {})
    unknown_sections = sorted(set(settings.plugin) - set(schemas) - set(skipped))
    if unknown_sections:
        raise ConfigError(
            f"[plugin.{unknown_sections[0]}] is configured but no enabled plugin reads it; "
            "enable that plugin or remove the section"
        )


def build_templates(settings: Settings, pm: pluggy.PluginManager) -> Environment:
    """Jinja environment searching the theme (then the default theme), plugins, the core."""
    dirs: list[Path] = [theme / "templates" for theme in theme_chain(settings)]
    dirs.extend(Path(d) for d in collect_lists(pm.hook.register_template_dirs))
    dirs.append(PACKAGE_DIR / "templates")
    env = Environment(
        loader=ChoiceLoader([FileSystemLoader(str(d)) for d in dirs if d.is_dir()]),
        autoescape=select_autoescape(["html", "xml"], default_for_string=True),
        trim_blocks=True,
        lstrip_blocks=True,
        # Checking template files for changes on every render costs time; only debug needs it.
        auto_reload=settings.debug,
    )

    def slot(name: str, **context: Any) -> Markup:
        return Markup(render_slot(pm, name, context))  # noqa: S704 - plugin HTML by contract

    from nichevid.accounts.invitations import may_invite
    from nichevid.core.installable import colours

    env.globals.update(
        may_invite=lambda user: may_invite(user, settings),
        theme_color=colours(settings)["theme_color"],
        site_name=settings.site_name,
        version=__version__,
        slot=slot,
        static=lambda path: f"/static/{path}",
    )
    i18n.install(env)
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

    def _set_cookie_if_needed(self, message: Any, token: str) -> None:
        # Every first visit gets this cookie. Litestar assembles it through http.cookies on
        # each response; its attributes never change, so the header is built once.
        if not hasattr(self, "_cookie_parts"):
            config = self.config
            # The attribute order of http.cookies, so the header reads exactly as Litestar's.
            attributes = [f"Domain={config.cookie_domain}"] if config.cookie_domain else []
            if config.cookie_httponly:
                attributes.append("HttpOnly")
            attributes += [f"Path={config.cookie_path}", f"SameSite={config.cookie_samesite}"]
            if config.cookie_secure:
                attributes.append("Secure")
            self._cookie_parts = (
                f"{config.cookie_name}=".encode("latin-1"),
                ("; " + "; ".join(attributes)).encode("latin-1"),
            )
        prefix, suffix = self._cookie_parts
        headers = list(message.get("headers") or [])
        headers.append((b"set-cookie", prefix + token.encode("latin-1") + suffix))
        message["headers"] = headers


async def _unreachable(scope: Scope, receive: Receive, send: Send) -> None:
    raise RuntimeError("the page cache only borrows the CSRF cookie writer")


def _csrf_middleware(config: CSRFConfig) -> Any:
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
        session = LazySessionConfig(
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
        if settings.server.gzip_level:
            app_config.compression_config = CompressionConfig(
                backend="gzip",
                gzip_compress_level=settings.server.gzip_level,
                minimum_size=1024,
                # Media is compressed already and served in ranges (downloads too); uploads
                # are bodies in.
                exclude=["^/media/", "^/uploads", "^/healthz", "^/readyz", "^/v/[^/]+/download$"],
            )
        app_config.middleware = [
            DefineMiddleware(
                AnonymousPageCache,
                ttl=settings.server.page_cache_seconds,
                stale=settings.server.page_cache_stale_seconds,
                session_cookie=SESSION_COOKIE,
                csrf=BearerAwareCSRFMiddleware(app=_unreachable, config=csrf),
                csrf_cookie=CSRF_COOKIE,
            ),
            session.middleware,
            *collect_lists(pm.hook.register_middleware, settings=settings),
            LanguageMiddleware,
            _csrf_middleware(csrf),
            *app_config.middleware,
        ]
        app_config.openapi_config = OpenAPIConfig(
            title=settings.site_name,
            version=__version__,
            description="JSON API of nichevid. Authenticate with `Authorization: Bearer <token>`.",
            path="/schema",
            render_plugins=[SwaggerRenderPlugin()],
            components=Components(
                security_schemes={
                    BEARER_SCHEME: SecurityScheme(
                        type="http",
                        scheme="bearer",
                        description="A personal API token from Settings → API tokens.",
                    )
                }
            ),
        )
        app_config.lifespan.append(self.lifespan)
        return app_config

    def _secret(self) -> str:
        return instance_secret(self.settings)

    def _stores(self) -> StoreRegistry:
        from nichevid.core.store import make_stores

        return make_stores(self.settings)

    def _static_router(self) -> Any:
        from litestar import Router
        from litestar.datastructures import CacheControlHeader

        cache = CacheControlHeader(max_age=86400, public=True)
        routers = [
            create_static_files_router(
                path="/static/theme",
                # A theme only overrides what it contains: the default theme fills the gaps.
                directories=[theme / "static" for theme in theme_chain(self.settings)],
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
    app = create_app()
    # The served process only: see nichevid.core.memory for why and why not elsewhere.
    app.on_startup.append(freeze_startup)
    return app


def request_resources(request: Request[Any, Any, Any]) -> Any:
    """The :class:`nichevid.runtime.Resources` of the running app."""
    return request.app.state.resources
