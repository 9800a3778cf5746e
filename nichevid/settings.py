"""Typed settings from ``nichevid.toml`` and ``NICHEVID_*`` environment variables.

Precedence, lowest first: built-in defaults, the TOML file, then the environment.
``NICHEVID_DATA_DIR``, ``NICHEVID_DATABASE_URL``, ``NICHEVID_REDIS_URL`` and
``NICHEVID_SECRET_KEY`` are shortcuts; any other key is reachable as
``NICHEVID_<SECTION>__<KEY>`` (e.g. ``NICHEVID_SERVER__PORT=9000``), its value
read as a TOML value when it parses as one and as a plain string otherwise.

A secret is never written in the file itself: the file names the environment
variable that holds it, ``password = { env = "SMTP_PASSWORD" }``. Secrets are
:class:`Secret` objects that print as ``***``.
"""

from __future__ import annotations

import difflib
import os
import re
import tomllib
from pathlib import Path
from typing import Annotated, Any, Literal, TypeVar
from urllib.parse import urlsplit

import msgspec

from nichevid.media.settings import MediaSettings
from nichevid.media.settings import problem as check_media

ENV_PREFIX = "NICHEVID_"
DEFAULT_CONFIG_FILE = "nichevid.toml"
DEFAULT_DATA_DIR = "./var"
SHORTCUTS = {
    "DATA_DIR": ("data_dir",),
    "DATABASE_URL": ("database", "url"),
    "REDIS_URL": ("redis", "url"),
    "SECRET_KEY": ("secret_key",),
}
# Environment variables that are switches, not settings keys.
NON_SETTING_ENV = {
    "CONFIG",
    "LOAD_PLUGINS",
    "EXTRA_PLUGINS",
    "TRACE_HOOKS",
    "LOG_FORMAT",
    "TEST_SHAPE",
    "TEST_DATABASE_URL",
    "TEST_REDIS_URL",
}
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")


class ConfigError(Exception):
    """Settings that cannot be used; the message is one line saying what to fix."""


class Secret:
    """A value that must not be shown: ``str()`` and ``repr()`` give ``***``."""

    __slots__ = ("_source", "_value")

    def __init__(self, value: str, source: str = "") -> None:
        self._value = value
        self._source = source

    def reveal(self) -> str:
        """Return the secret value itself."""
        return self._value

    @property
    def source(self) -> str:
        """Where the value came from, e.g. ``env:SMTP_PASSWORD``."""
        return self._source

    def __bool__(self) -> bool:
        return bool(self._value)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)

    def __repr__(self) -> str:
        return "Secret('***')"

    def __str__(self) -> str:
        return "***" if self._value else ""


class _Section(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    pass


class ServerSettings(_Section):
    host: str = "127.0.0.1"
    port: int = 8000
    workers: int = 1
    base_url: str = ""
    # Local media is handed to nginx with X-Accel-Redirect instead of being streamed by Python.
    x_accel_redirect: bool = False
    trusted_proxies: list[str] = []
    # Pages that opt in are shared among visitors without a session for this long (0: off).
    page_cache_seconds: float = 2.0
    # After it expires, such a page is still served for this long while one fresh render
    # runs in the background (0: visitors wait for the render). A minute covers the quiet
    # spells between bursts of visitors, after which every batch would be rendered anew
    # while visitors wait; a feed page a minute old lists the same videos.
    page_cache_stale_seconds: Annotated[float, msgspec.Meta(ge=0)] = 60.0
    # gzip level for pages, styles and scripts (1-9; 0: off, e.g. when nginx compresses).
    gzip_level: int = 6
    # Search engines may index public pages (robots.txt, sitemap.xml); false asks them
    # to stay away and serves no sitemap.
    search_engines: bool = True


class DatabaseSettings(_Section):
    # Empty means the embedded default: an SQLite file in the data directory.
    url: str = ""
    pool_size: int = 10
    # Streaming replicas of the PostgreSQL database (``postgresql://`` URLs): heavy reads
    # that may be a moment old (studio figures, activity, search, feed and model
    # building) go to one of them; everything else stays on ``url``.
    replica_urls: list[str] = []
    # A replica further behind than this is left alone until it catches up.
    replica_max_lag_seconds: Annotated[float, msgspec.Meta(gt=0)] = 30.0


class RedisSettings(_Section):
    # Empty means no Redis: in-process jobs, sessions and rate limits in the database.
    url: str = ""
    connect_timeout: float = 3.0


class PluginsSettings(_Section):
    enabled: list[str] = []
    # What start-up does with a plugin that is enabled but missing or broken.
    on_error: Literal["refuse", "skip"] = "refuse"


class StorageSettings(_Section):
    # Empty: the storage_backend hook decides (a storage plugin, else local disk).
    # A name picks one of the backends plugins register with register_storage_backends.
    backend: str = ""


class MailSettings(_Section):
    smtp_host: str = ""
    smtp_port: int = 587
    smtp_user: str = ""
    smtp_password: Secret = msgspec.field(default_factory=lambda: Secret(""))
    starttls: bool = True
    from_address: str = "nichevid@localhost"


class AccountsSettings(_Section):
    allow_signup: bool = True
    # Sign-up takes an invitation link (``/signup?invite=...``) from a member who may invite.
    invite_only: bool = False
    # Who may make invitations, and how many open ones each may hold (admins: no limit).
    invite_roles: list[Literal["member", "creator", "moderator", "admin"]] = msgspec.field(
        default_factory=lambda: ["moderator", "admin"]
    )
    invitations_per_member: Annotated[int, msgspec.Meta(ge=1)] = 20
    # How a member becomes a creator (may upload): "open" at one click on the upload page,
    # "request" by asking moderators, who decide at /admin/members, or "operators" only.
    creator_access: Literal["open", "request", "operators"] = "open"
    # New accounts confirm their e-mail address (a mailed link) before they upload or
    # comment. Needs mail (``[mail] smtp_host``); accounts made before are not asked.
    confirm_email: bool = False
    session_days: int = 30
    password_min_length: int = 10
    password_max_length: int = 256
    login_attempts_per_minute: int = 10
    signups_per_hour: int = 20
    resets_per_hour: int = 5
    reset_token_minutes: int = 60
    avatar_max_bytes: int = 5_000_000
    avatar_max_pixels: int = 40_000_000
    # Roles whose pages take a login with two-factor authentication (API tokens excepted).
    two_factor_roles: list[Literal["creator", "moderator", "admin"]] = []


class JobsSettings(_Section):
    # In-process runner: how many jobs run at once and how often the queue is polled.
    concurrency: int = 2
    poll_interval: float = 0.5
    queue_name: str = "nichevid:queue"
    # Seconds a running job stays claimed without a heartbeat; after that (its process died)
    # another process or worker runs it again. Both runners renew it while the job runs.
    lease: float = 60.0


class BackupSettings(_Section):
    # The nightly copy of an SQLite database (the embedded default) into ``folder``
    # (empty: <data_dir>/backups), keeping this many days of them; 0 turns it off.
    # PostgreSQL is dumped by the deployment's own backup (deploy/ansible, role backup).
    keep_days: Annotated[int, msgspec.Meta(ge=0, le=3650)] = 7
    folder: str = ""


class Settings(_Section):
    """Everything an instance is configured with."""

    data_dir: Path = Path(DEFAULT_DATA_DIR)
    secret_key: Secret = msgspec.field(default_factory=lambda: Secret(""))
    site_name: str = "nichevid"
    theme: str = "default"
    log_level: str = "INFO"
    debug: bool = False
    server: ServerSettings = msgspec.field(default_factory=ServerSettings)
    database: DatabaseSettings = msgspec.field(default_factory=DatabaseSettings)
    redis: RedisSettings = msgspec.field(default_factory=RedisSettings)
    plugins: PluginsSettings = msgspec.field(default_factory=PluginsSettings)
    storage: StorageSettings = msgspec.field(default_factory=StorageSettings)
    mail: MailSettings = msgspec.field(default_factory=MailSettings)
    accounts: AccountsSettings = msgspec.field(default_factory=AccountsSettings)
    jobs: JobsSettings = msgspec.field(default_factory=JobsSettings)
    media: MediaSettings = msgspec.field(default_factory=MediaSettings)
    backup: BackupSettings = msgspec.field(default_factory=BackupSettings)
    # Per-plugin sections, ``[plugin.<name>]``; validated by the plugin's ``register_settings``.
    plugin: dict[str, dict[str, Any]] = {}

    @property
    def database_url(self) -> str:
        """The database URL, defaulting to ``sqlite:///<data_dir>/nichevid.sqlite3``."""
        if self.database.url:
            return self.database.url
        return f"sqlite:///{(self.data_dir / 'nichevid.sqlite3').resolve()}"

    @property
    def uses_redis(self) -> bool:
        """Whether this is the production shape (Redis-backed jobs, sessions and limits)."""
        return bool(self.redis.url)

    @property
    def public_url(self) -> str:
        """Absolute base URL used in links that leave the site (mail, Open Graph)."""
        return self.server.base_url.rstrip("/") or f"http://{self.server.host}:{self.server.port}"


def _is_env_ref(obj: Any) -> bool:
    return isinstance(obj, dict) and set(obj) == {"env"}


def _secret_from_env(name: str) -> Secret:
    if name not in os.environ:
        raise ValueError(f"environment variable {name} is not set (it holds this secret)")
    return Secret(os.environ[name], source=f"env:{name}")


def _env_ref_names(tree: Any) -> set[str]:
    """The variables every ``{ env = "NAME" }`` table in ``tree`` names."""
    if _is_env_ref(tree):
        return {str(tree["env"])}
    if isinstance(tree, dict):
        return {name for value in tree.values() for name in _env_ref_names(value)}
    return set()


def _resolve_env_refs(tree: Any, where: str) -> Any:
    """Turn every ``{ env = "NAME" }`` table under ``where`` into a :class:`Secret`."""
    if _is_env_ref(tree):
        try:
            return _secret_from_env(str(tree["env"]))
        except ValueError as exc:
            raise ConfigError(f"`{where}`: {exc}") from exc
    if isinstance(tree, dict):
        return {key: _resolve_env_refs(value, f"{where}.{key}") for key, value in tree.items()}
    return tree


def decode_hook(type_: type, obj: Any) -> Any:
    """msgspec ``dec_hook`` for settings types: :class:`Secret` and :class:`~pathlib.Path`.

    Plugins' ``[plugin.<name>]`` types are converted with it too, so a plugin field
    typed :class:`Secret` accepts ``{ env = "NAME" }``.
    """
    if type_ is Secret:
        if isinstance(obj, Secret):
            return obj
        if _is_env_ref(obj):
            return _secret_from_env(str(obj["env"]))
        if isinstance(obj, str):
            return Secret(obj, source="literal")
        raise ValueError('expected a string or { env = "VARIABLE" }')
    if type_ is Path and isinstance(obj, str):
        return Path(obj)
    raise NotImplementedError


def _parse_env_value(raw: str) -> Any:
    try:
        return tomllib.loads(f"v = {raw}")["v"]
    except tomllib.TOMLDecodeError:
        return raw


def _env_overrides(
    environ: dict[str, str], holders: set[str] | None = None
) -> list[tuple[tuple[str, ...], Any]]:
    """``NICHEVID_*`` variables as setting paths and values.

    ``holders`` are variables that settings name as ``{ env = "NAME" }``: they hold
    a secret, and are not settings themselves even when they start with ``NICHEVID_``.
    """
    overrides: list[tuple[tuple[str, ...], Any]] = []
    for name, raw in environ.items():
        if not name.startswith(ENV_PREFIX) or name in (holders or set()):
            continue
        key = name[len(ENV_PREFIX) :]
        if key in NON_SETTING_ENV:
            continue
        if key in SHORTCUTS:
            # Shortcut values are taken literally: a URL or a path is never TOML.
            overrides.append((SHORTCUTS[key], raw))
            continue
        path = tuple(part.lower() for part in key.split("__"))
        overrides.append((path, _parse_env_value(raw)))
    return overrides


def _set_path(tree: dict[str, Any], path: tuple[str, ...], value: Any, origin: str) -> None:
    node = tree
    for part in path[:-1]:
        child = node.setdefault(part, {})
        if not isinstance(child, dict):
            raise ConfigError(f"{origin}: `{part}` is a value, not a section")
        node = child
    node[path[-1]] = value


def _check_replicas(database: DatabaseSettings) -> None:
    if not database.replica_urls:
        return
    if not database.url.startswith(("postgres://", "postgresql://")):
        raise ConfigError(
            "database.replica_urls are replicas of a PostgreSQL database: set database.url "
            "to the primary's postgresql:// URL, or remove database.replica_urls"
        )
    seen = {database.url}
    for index, url in enumerate(database.replica_urls):
        _check_url(url, ("postgres", "postgresql"), f"database.replica_urls[{index}]")
        if url in seen:
            raise ConfigError(
                f"database.replica_urls[{index}] {redact_url(url)!r} is listed already "
                "(or is database.url): list each replica once"
            )
        seen.add(url)


def _check_url(value: str, schemes: tuple[str, ...], what: str) -> None:
    shown = redact_url(value)
    allowed = ", ".join(f"{s}://" for s in schemes)
    if value != value.strip() or any(c.isspace() for c in value):
        raise ConfigError(f"{what} {shown!r} is not a valid URL: it contains spaces")
    parts = urlsplit(value)
    if parts.scheme not in schemes or not value.startswith(f"{parts.scheme}://"):
        raise ConfigError(f"{what} {shown!r} is not a valid URL: it must start with {allowed}")
    if parts.scheme == "sqlite":
        if not parts.path.strip("/"):
            raise ConfigError(f"{what} {shown!r} is not a valid URL: it names no database file")
        return
    if parts.scheme != "unix" and not parts.hostname:
        raise ConfigError(f"{what} {shown!r} is not a valid URL: it names no host")
    try:
        parts.port  # noqa: B018 - parsing the port is the check
    except ValueError:
        raise ConfigError(
            f"{what} {shown!r} is not a valid URL: the port must be a number 1..65535"
        ) from None


def http_url_problem(key: str, url: str, example: str) -> str | None:
    """Why ``url`` cannot be an http(s) base URL, or ``None`` when it can.

    For settings that name a service's address (a CDN, an object store): the URL
    must name a host and carry no spaces, query, fragment or credentials.

    Args:
        key: The setting's full name, for the message.
        url: The value to check.
        example: What a good value looks like, e.g. ``"e.g. https://cdn.example.com"``.
    """
    if any(c.isspace() for c in url):
        return f"{key} {url!r} must not contain spaces ({example})"
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises on a bad port
    except ValueError as exc:
        return f"{key} {url!r} is not a valid URL ({exc}); use {example}"
    if parts.scheme not in ("https", "http") or not parts.hostname:
        return f"{key} {url!r} must start with https:// or http:// and name a host ({example})"
    if "?" in url or "#" in url:
        return f"{key} {url!r} must not have a query or fragment ({example})"
    if parts.username or parts.password:
        return f"{key} {url!r} must not carry a user or password ({example})"
    return None


def _check_not_negative(section: str, values: msgspec.Struct) -> None:
    """Sizes, limits, timeouts and durations are never negative (0 means off or none)."""
    for name in values.__struct_fields__:
        value = getattr(values, name)
        if isinstance(value, int | float) and not isinstance(value, bool) and value < 0:
            raise ConfigError(
                f"{section}.{name} is {value}: it cannot be negative (0 turns a limit off)"
            )


def validate(settings: Settings, *, data_dir_explicit: bool) -> Settings:
    """Check values that types alone cannot.

    Args:
        settings: Decoded settings.
        data_dir_explicit: Whether the data directory was configured (file or
            environment); only the built-in default is created when missing.

    Returns:
        The same settings.

    Raises:
        ConfigError: With one line saying what to fix.
    """
    if settings.database.url:
        _check_url(settings.database.url, ("sqlite", "postgres", "postgresql"), "database.url")
    _check_replicas(settings.database)
    if settings.redis.url:
        _check_url(settings.redis.url, ("redis", "rediss", "unix"), "redis.url")
    if settings.server.base_url:
        _check_url(settings.server.base_url, ("http", "https"), "server.base_url")
    if not 1 <= settings.server.port <= 65535:
        raise ConfigError(f"server.port {settings.server.port} is out of range: use 1..65535")
    if settings.server.workers < 1:
        raise ConfigError("server.workers must be at least 1")
    if not 0 <= settings.server.gzip_level <= 9:
        level = settings.server.gzip_level
        raise ConfigError(f"server.gzip_level {level} is out of range: use 1..9, or 0 for off")
    for section in ("server", "accounts", "jobs", "media"):
        _check_not_negative(section, getattr(settings, section))
    media_problem = check_media(settings.media)
    if media_problem:
        raise ConfigError(media_problem)
    if settings.log_level.upper() not in LOG_LEVELS:
        raise ConfigError(
            f"log_level {settings.log_level!r} is not a level: use one of {', '.join(LOG_LEVELS)}"
        )
    data_dir = settings.data_dir
    if data_dir.exists() and not data_dir.is_dir():
        raise ConfigError(
            f"data directory {data_dir} is a file: point NICHEVID_DATA_DIR at a directory"
        )
    if not data_dir.exists():
        if data_dir_explicit:
            raise ConfigError(
                f"data directory {data_dir} does not exist: create it (mkdir -p {data_dir}) "
                "or point NICHEVID_DATA_DIR at an existing directory"
            )
        data_dir.mkdir(parents=True, exist_ok=True)
    return settings


_MSGSPEC_ERROR = re.compile(r"^(?P<what>.*?)(?: - at `\$(?P<at>[^`]*)`)?$")
_UNKNOWN_FIELD = re.compile(r"^Object contains unknown field `(?P<key>[^`]+)`$")


def _struct_at(path: tuple[str, ...]) -> type | None:
    """The settings section type found at ``path`` (``()`` is :class:`Settings`)."""
    current: Any = Settings
    for part in path:
        fields = {f.encode_name: f.type for f in msgspec.structs.fields(current)}
        current = fields.get(part)
        if not (isinstance(current, type) and issubclass(current, msgspec.Struct)):
            return None
    return current if isinstance(current, type) else None


def explain_validation_error(
    exc: msgspec.ValidationError,
    sources: dict[tuple[str, ...], str],
    default_origin: str,
    root: tuple[str, ...] = (),
    known: list[str] | None = None,
) -> str:
    """Rewrite a msgspec validation error as one line naming the key and where it came from.

    Args:
        exc: The error raised while converting settings.
        sources: Which environment variable set a key path (paths not listed came
            from ``default_origin``).
        default_origin: The file (or ``settings``) most keys come from.
        root: Path prefix of the converted tree (``("plugin", "x")`` for a plugin section).
        known: Valid keys at ``root`` (for suggestions); found from :class:`Settings`
            when not given.

    Returns:
        For example ``nichevid.toml: unknown key `server.prot` (did you mean `port`?)``.
    """
    match = _MSGSPEC_ERROR.match(str(exc))
    what = match.group("what") if match else str(exc)
    at = (match.group("at") if match else "") or ""
    path = root + tuple(p for p in re.split(r"\.|\[\d+\]", at.lstrip(".")) if p)
    unknown = _UNKNOWN_FIELD.match(what)
    if unknown:
        key = unknown.group("key")
        if known is None or path != root:
            struct = _struct_at(path)
            known = [f.encode_name for f in msgspec.structs.fields(struct)] if struct else []
        path = (*path, key)
        detail = f"unknown key `{'.'.join(path)}`"
        close = difflib.get_close_matches(key, known, n=1)
        if close:
            detail += f" (did you mean `{close[0]}`?)"
        elif known:
            detail += f"; valid keys here: {', '.join(sorted(known))}"
    else:
        detail = f"`{'.'.join(path)}`: {what}" if path else what
    origin = default_origin
    # The variable that set this key, a section holding it, or a key under it.
    candidates = [path[:n] for n in range(len(path), 0, -1)]
    candidates += sorted(p for p in sources if p[: len(path)] == path)
    for candidate in candidates:
        if candidate in sources:
            origin = f"environment {sources[candidate]}"
            break
    return f"{origin}: {detail}"


def load_settings(
    config_file: str | Path | None = None,
    *,
    environ: dict[str, str] | None = None,
    overrides: dict[str, Any] | None = None,
) -> Settings:
    """Load, merge and validate settings.

    Args:
        config_file: TOML file to read. Defaults to ``$NICHEVID_CONFIG``, else
            ``./nichevid.toml`` when it exists.
        environ: Environment to read ``NICHEVID_*`` variables from (default: ``os.environ``).
        overrides: Values applied last, as nested dicts (used by tests and the CLI).

    Returns:
        Validated settings; ``{ env = "NAME" }`` secrets are resolved from ``os.environ``.

    Raises:
        ConfigError: With one line saying what to fix.
    """
    env = dict(os.environ if environ is None else environ)
    tree: dict[str, Any] = {}
    path_given = config_file or env.get(f"{ENV_PREFIX}CONFIG")
    origin = "settings"
    if path_given:
        path = Path(path_given)
        if not path.is_file():
            raise ConfigError(f"config file {path} not found: create it or unset NICHEVID_CONFIG")
    else:
        path = Path(DEFAULT_CONFIG_FILE)
    if path.is_file():
        origin = str(path)
        try:
            tree = tomllib.loads(path.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{path} is not valid TOML: {exc}") from exc
        except UnicodeDecodeError as exc:
            raise ConfigError(f"{path} is not UTF-8 text: {exc.reason}") from exc
    sources: dict[tuple[str, ...], str] = {}
    holders = _env_ref_names(tree) | _env_ref_names(overrides or {})
    for key_path, value in _env_overrides(env, holders):
        name = next(
            (f"{ENV_PREFIX}{short}" for short, p in SHORTCUTS.items() if p == key_path),
            f"{ENV_PREFIX}{'__'.join(key_path).upper()}",
        )
        _set_path(tree, key_path, value, f"environment {name}")
        sources[key_path] = name
    for key, value in (overrides or {}).items():
        if isinstance(value, dict) and isinstance(tree.get(key), dict):
            tree[key] = {**tree[key], **value}
        else:
            tree[key] = value
    if isinstance(tree.get("plugin"), dict):
        try:
            tree["plugin"] = {
                name: _resolve_env_refs(section, f"plugin.{name}")
                for name, section in tree["plugin"].items()
            }
        except ConfigError as exc:
            raise ConfigError(f"{origin}: {exc}") from None
    try:
        settings = msgspec.convert(tree, Settings, dec_hook=decode_hook, strict=False)
    except msgspec.ValidationError as exc:
        raise ConfigError(explain_validation_error(exc, sources, origin)) from exc
    explicit = "data_dir" in tree
    return validate(settings, data_dir_explicit=explicit)


SECRET_WORDS = ("password", "passwd", "secret", "token", "key", "dsn", "credential")
SectionT = TypeVar("SectionT", bound=msgspec.Struct)


def plugin_section(settings: Any, name: str, struct: type[SectionT]) -> SectionT:
    """A plugin's ``[plugin.<name>]`` settings as ``struct``.

    The app parses each registered section once at start-up (bad values stop it);
    code that runs without an app (commands, tests) gets the section converted here,
    defaults for what is not set.
    """
    section = settings.plugin.get(name) or {}
    parsed = section.get("_parsed")
    if isinstance(parsed, struct):
        return parsed
    raw = {k: v for k, v in section.items() if k != "_parsed"}
    return msgspec.convert(raw, struct, strict=False, dec_hook=decode_hook)


REDACTED = "***"


def redacted(settings: Settings) -> dict[str, Any]:
    """Settings as plain data, safe to show.

    Every :class:`Secret` becomes ``***`` (with its source when it comes from the
    environment), passwords inside URLs become ``***``, and in ``[plugin.<name>]``
    sections any non-empty value under a secret-looking key (``password``,
    ``token``, ``api_key``, ...) is hidden too.

    Args:
        settings: The settings to show.

    Returns:
        Nested dicts of JSON-compatible values.
    """

    def enc(obj: Any) -> Any:
        if isinstance(obj, Secret):
            shown = REDACTED if obj else ""
            return f"{shown} ({obj.source})" if obj.source.startswith("env:") else shown
        if isinstance(obj, Path):
            return str(obj)
        raise NotImplementedError

    # Validated plugin sections also carry their typed instance; it repeats the values.
    plugin = {
        name: {key: value for key, value in section.items() if key != "_parsed"}
        for name, section in settings.plugin.items()
    }
    shown = msgspec.structs.replace(settings, plugin=plugin)
    data: dict[str, Any] = msgspec.to_builtins(shown, enc_hook=enc)
    data["database"]["effective_url"] = settings.database_url
    data["plugin"] = {
        name: _redact_mapping(section) for name, section in data.get("plugin", {}).items()
    }
    result: dict[str, Any] = _redact_urls(data)
    return result


def _redact_urls(obj: Any) -> Any:
    if isinstance(obj, dict):
        return {key: _redact_urls(value) for key, value in obj.items()}
    if isinstance(obj, list):
        return [_redact_urls(value) for value in obj]
    if isinstance(obj, str) and "://" in obj:
        return redact_url(obj)
    return obj


def _looks_secret(key: str) -> bool:
    return any(word in key.lower() for word in SECRET_WORDS)


def _redact_mapping(section: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in section.items():
        if isinstance(value, dict):
            out[key] = _redact_mapping(value)
        elif _looks_secret(key) and value and not str(value).startswith(REDACTED):
            out[key] = REDACTED
        else:
            out[key] = value
    return out


def redact_url(url: str) -> str:
    """Hide the password of a URL such as ``postgresql://user:pw@host/db``.

    Args:
        url: Any string; one that is not a URL with a password is returned unchanged.

    Returns:
        The URL with its password replaced by ``***``.
    """
    try:
        parts = urlsplit(url)
    except ValueError:
        return url
    if parts.password:
        userinfo, _, hostinfo = parts.netloc.rpartition("@")
        user = userinfo.partition(":")[0]
        return parts._replace(netloc=f"{user}:{REDACTED}@{hostinfo}").geturl()
    return url
