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

import os
import tomllib
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

import msgspec

ENV_PREFIX = "NICHEVID_"
DEFAULT_CONFIG_FILE = "nichevid.toml"
DEFAULT_DATA_DIR = "./var"
SHORTCUTS = {
    "DATA_DIR": ("data_dir",),
    "DATABASE_URL": ("database", "url"),
    "REDIS_URL": ("redis", "url"),
    "SECRET_KEY": ("secret_key",),
}
# Environment variables that are not settings keys.
NON_SETTING_ENV = {"CONFIG", "LOAD_PLUGINS", "TRACE_HOOKS", "TEST_SHAPE", "LOG_FORMAT"}


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


class DatabaseSettings(_Section):
    # Empty means the embedded default: an SQLite file in the data directory.
    url: str = ""
    pool_size: int = 10


class RedisSettings(_Section):
    # Empty means no Redis: in-process jobs, sessions and rate limits in the database.
    url: str = ""
    connect_timeout: float = 3.0


class PluginsSettings(_Section):
    enabled: list[str] = []
    # What start-up does with a plugin that is enabled but missing or broken.
    on_error: Literal["refuse", "skip"] = "refuse"


class MailSettings(_Section):
    smtp_host: str = ""
    smtp_port: int = 587
    smtp_user: str = ""
    smtp_password: Secret = msgspec.field(default_factory=lambda: Secret(""))
    starttls: bool = True
    from_address: str = "nichevid@localhost"


class AccountsSettings(_Section):
    allow_signup: bool = True
    session_days: int = 30
    password_min_length: int = 10
    password_max_length: int = 256
    login_attempts_per_minute: int = 10
    signups_per_hour: int = 20
    resets_per_hour: int = 5
    reset_token_minutes: int = 60
    avatar_max_bytes: int = 5_000_000
    avatar_max_pixels: int = 40_000_000


class JobsSettings(_Section):
    # In-process runner: how many jobs run at once and how often the queue is polled.
    concurrency: int = 2
    poll_interval: float = 0.5
    queue_name: str = "nichevid:queue"


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
    mail: MailSettings = msgspec.field(default_factory=MailSettings)
    accounts: AccountsSettings = msgspec.field(default_factory=AccountsSettings)
    jobs: JobsSettings = msgspec.field(default_factory=JobsSettings)
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


def _decode_hook(type_: type, obj: Any) -> Any:
    if type_ is Secret:
        if isinstance(obj, Secret):
            return obj
        if isinstance(obj, dict) and set(obj) == {"env"}:
            name = str(obj["env"])
            return Secret(os.environ.get(name, ""), source=f"env:{name}")
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


def _env_overrides(environ: dict[str, str]) -> list[tuple[tuple[str, ...], Any]]:
    overrides: list[tuple[tuple[str, ...], Any]] = []
    for name, raw in environ.items():
        if not name.startswith(ENV_PREFIX):
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


def _check_url(value: str, schemes: tuple[str, ...], what: str) -> None:
    parts = urlsplit(value)
    if parts.scheme not in schemes:
        allowed = ", ".join(f"{s}://" for s in schemes)
        raise ConfigError(f"{what} {value!r} is not a valid URL: it must start with {allowed}")
    if parts.scheme != "sqlite" and not parts.hostname:
        raise ConfigError(f"{what} {value!r} is not a valid URL: it names no host")
    if parts.scheme == "sqlite" and not parts.path.strip("/"):
        raise ConfigError(f"{what} {value!r} is not a valid URL: it names no database file")


def validate(settings: Settings, *, data_dir_explicit: bool) -> Settings:
    """Check values that types alone cannot, raising :class:`ConfigError`."""
    if settings.database.url:
        _check_url(settings.database.url, ("sqlite", "postgres", "postgresql"), "database.url")
    if settings.redis.url:
        _check_url(settings.redis.url, ("redis", "rediss", "unix"), "redis.url")
    if settings.server.base_url:
        _check_url(settings.server.base_url, ("http", "https"), "server.base_url")
    if not 1 <= settings.server.port <= 65535:
        raise ConfigError(f"server.port {settings.server.port} is out of range: use 1..65535")
    if settings.server.workers < 1:
        raise ConfigError("server.workers must be at least 1")
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
    for key_path, value in _env_overrides(env):
        _set_path(tree, key_path, value, f"environment {ENV_PREFIX}{'__'.join(key_path).upper()}")
    for key, value in (overrides or {}).items():
        if isinstance(value, dict) and isinstance(tree.get(key), dict):
            tree[key] = {**tree[key], **value}
        else:
            tree[key] = value
    try:
        settings = msgspec.convert(tree, Settings, dec_hook=_decode_hook, strict=False)
    except msgspec.ValidationError as exc:
        raise ConfigError(f"{origin}: {exc}".replace("$.", "")) from exc
    explicit = "data_dir" in tree
    return validate(settings, data_dir_explicit=explicit)


def redacted(settings: Settings) -> dict[str, Any]:
    """Settings as plain data with every secret (and any URL password) replaced by ``***``."""

    def enc(obj: Any) -> Any:
        if isinstance(obj, Secret):
            shown = "***" if obj else ""
            return f"{shown} ({obj.source})" if obj.source.startswith("env:") else shown
        if isinstance(obj, Path):
            return str(obj)
        raise NotImplementedError

    data: dict[str, Any] = msgspec.to_builtins(settings, enc_hook=enc)
    for section in ("database", "redis"):
        data[section]["url"] = redact_url(data[section]["url"])
    data["database"]["effective_url"] = redact_url(settings.database_url)
    for name, section in data.get("plugin", {}).items():
        data["plugin"][name] = _redact_mapping(section)
    return data


SECRET_WORDS = ("password", "secret", "token", "key", "dsn")


def _redact_mapping(section: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in section.items():
        if isinstance(value, dict):
            out[key] = _redact_mapping(value)
        elif any(word in key.lower() for word in SECRET_WORDS) and value:
            out[key] = "***"
        else:
            out[key] = value
    return out


def redact_url(url: str) -> str:
    """Hide the password of a URL such as ``postgresql://user:pw@host/db``."""
    parts = urlsplit(url)
    if parts.password:
        netloc = parts.netloc.replace(f":{parts.password}@", ":***@")
        return parts._replace(netloc=netloc).geturl()
    return url
