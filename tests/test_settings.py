"""Settings: defaults, the TOML file, NICHEVID_* variables, validation, secrets and redaction."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import msgspec
import pytest
from click.testing import CliRunner

from nichevid.cli import main
from nichevid.settings import (
    ConfigError,
    Secret,
    Settings,
    load_settings,
    redact_url,
    redacted,
)
from nichevid.testing.servers import no_settings_file

DOCS = Path(__file__).parent.parent / "docs"


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    path = tmp_path / "data"
    path.mkdir()
    return path


@pytest.fixture
def env(data_dir: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> dict[str, str]:
    """An environment naming only the data directory; the working directory has no file."""
    monkeypatch.chdir(tmp_path)
    return {"NICHEVID_DATA_DIR": str(data_dir)}


def write(tmp_path: Path, text: str, name: str = "nichevid.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def error_of(*args: Any, **kwargs: Any) -> str:
    with pytest.raises(ConfigError) as info:
        load_settings(*args, **kwargs)
    message = str(info.value)
    assert "\n" not in message, "a settings error is one line"
    return message


# ---------------------------------------------------------------- sources


def test_defaults(env: dict[str, str], data_dir: Path) -> None:
    settings = load_settings(environ=env)
    assert settings.data_dir == data_dir
    assert settings.server.host == "127.0.0.1"
    assert settings.server.port == 8000
    assert settings.theme == "default"
    assert settings.plugins.enabled == []
    assert settings.plugins.on_error == "refuse"
    assert not settings.uses_redis
    assert settings.database_url == f"sqlite:///{(data_dir / 'nichevid.sqlite3').resolve()}"
    assert settings.public_url == "http://127.0.0.1:8000"


def test_default_data_dir_is_created(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    settings = load_settings(environ={})
    assert settings.data_dir == Path("var")
    assert (tmp_path / "var").is_dir()


def test_toml_file(tmp_path: Path, env: dict[str, str]) -> None:
    path = write(
        tmp_path,
        """
        site_name = "Knitting clips"
        theme = "default"
        [server]
        port = 9001
        base_url = "https://clips.example"
        trusted_proxies = ["10.0.0.1"]
        [plugins]
        enabled = ["nichevid_gifts"]
        on_error = "skip"
        [plugin.gifts]
        cut_percent = 20
        """,
    )
    settings = load_settings(path, environ=env)
    assert settings.site_name == "Knitting clips"
    assert settings.server.port == 9001
    assert settings.server.trusted_proxies == ["10.0.0.1"]
    assert settings.public_url == "https://clips.example"
    assert settings.plugins.enabled == ["nichevid_gifts"]
    assert settings.plugins.on_error == "skip"
    assert settings.plugin == {"gifts": {"cut_percent": 20}}


def test_file_in_working_directory_and_nichevid_config(tmp_path: Path, env: dict[str, str]) -> None:
    write(tmp_path, 'site_name = "from cwd"\n')
    assert load_settings(environ=env).site_name == "from cwd"
    other = write(tmp_path, 'site_name = "from NICHEVID_CONFIG"\n', "other.toml")
    assert load_settings(environ={**env, "NICHEVID_CONFIG": str(other)}).site_name == (
        "from NICHEVID_CONFIG"
    )


def test_environment_overrides_the_file(tmp_path: Path, env: dict[str, str]) -> None:
    path = write(tmp_path, "[server]\nport = 9001\nworkers = 2\n")
    settings = load_settings(
        path,
        environ={
            **env,
            "NICHEVID_SERVER__PORT": "9002",
            "NICHEVID_SERVER__TRUSTED_PROXIES": '["10.0.0.1", "10.0.0.2"]',
            "NICHEVID_SITE_NAME": "Plain text, not TOML",
            "NICHEVID_DEBUG": "true",
            "NICHEVID_PLUGIN__GIFTS__CUT_PERCENT": "15",
        },
    )
    assert settings.server.port == 9002
    assert settings.server.workers == 2
    assert settings.server.trusted_proxies == ["10.0.0.1", "10.0.0.2"]
    assert settings.site_name == "Plain text, not TOML"
    assert settings.debug is True
    assert settings.plugin["gifts"]["cut_percent"] == 15


def test_shortcut_variables(env: dict[str, str]) -> None:
    settings = load_settings(
        environ={
            **env,
            "NICHEVID_DATABASE_URL": "postgresql://nv:pw@db.internal:5432/nichevid",
            "NICHEVID_REDIS_URL": "redis://cache.internal:6379/0",
            "NICHEVID_SECRET_KEY": "s3cr3t-value",
        }
    )
    assert settings.database_url == "postgresql://nv:pw@db.internal:5432/nichevid"
    assert settings.uses_redis
    assert settings.secret_key.reveal() == "s3cr3t-value"


def test_switch_variables_are_not_settings(env: dict[str, str]) -> None:
    switches = {
        f"NICHEVID_{name}": "x"
        for name in ("LOAD_PLUGINS", "TRACE_HOOKS", "LOG_FORMAT", "TEST_SHAPE", "EXTRA_PLUGINS")
    }
    assert load_settings(environ={**env, **switches}).site_name == "nichevid"


# ---------------------------------------------------------------- bad input


def test_malformed_toml_names_file_and_position(tmp_path: Path, env: dict[str, str]) -> None:
    path = write(tmp_path, 'site_name = "ok"\n[server\nport = 1\n')
    message = error_of(path, environ=env)
    assert str(path) in message
    assert "not valid TOML" in message
    assert "line 2" in message


def test_file_that_is_not_utf8(tmp_path: Path, env: dict[str, str]) -> None:
    path = tmp_path / "nichevid.toml"
    path.write_bytes(b'site_name = "\xff\xfe"\n')
    assert "not UTF-8" in error_of(path, environ=env)


def test_missing_config_file(tmp_path: Path, env: dict[str, str]) -> None:
    message = error_of(tmp_path / "nope.toml", environ=env)
    assert "nope.toml not found" in message


def test_unknown_key_at_top_level(tmp_path: Path, env: dict[str, str]) -> None:
    path = write(tmp_path, 'site_nmae = "typo"\n')
    message = error_of(path, environ=env)
    assert message.startswith(f"{path}: unknown key `site_nmae`")
    assert "did you mean `site_name`" in message


def test_unknown_key_in_a_section(tmp_path: Path, env: dict[str, str]) -> None:
    path = write(tmp_path, "[server]\nprot = 9000\n")
    message = error_of(path, environ=env)
    assert message == f"{path}: unknown key `server.prot` (did you mean `port`?)"


def test_unknown_section_key_lists_valid_keys(tmp_path: Path, env: dict[str, str]) -> None:
    message = error_of(write(tmp_path, "[redis]\nzzz = 1\n"), environ=env)
    assert "unknown key `redis.zzz`" in message
    assert "connect_timeout, url" in message


def test_unknown_environment_variable_is_named(env: dict[str, str]) -> None:
    message = error_of(environ={**env, "NICHEVID_SERVR__PORT": "9000"})
    assert message.startswith("environment NICHEVID_SERVR__PORT: unknown key `servr`")


@pytest.mark.parametrize(
    ("toml", "expected"),
    [
        ('[server]\nport = "eighty"\n', "`server.port`: Expected `int`, got `str`"),
        ("debug = 3\n", "`debug`: Expected `bool`, got `int`"),
        ('[plugins]\non_error = "ignore"\n', "`plugins.on_error`: Invalid enum value 'ignore'"),
        ("server = 1\n", "`server`: Expected `object`, got `int`"),
        ("[server]\ntrusted_proxies = [1]\n", "`server.trusted_proxies[0]`"),
    ],
)
def test_wrong_type(tmp_path: Path, env: dict[str, str], toml: str, expected: str) -> None:
    path = write(tmp_path, toml)
    message = error_of(path, environ=env)
    assert message.startswith(f"{path}: ")
    assert expected.split("[")[0] in message


def test_wrong_type_from_the_environment(env: dict[str, str]) -> None:
    message = error_of(environ={**env, "NICHEVID_SERVER__PORT": "eighty"})
    assert message == "environment NICHEVID_SERVER__PORT: `server.port`: Expected `int`, got `str`"


@pytest.mark.parametrize(
    ("key", "url", "reason"),
    [
        ("DATABASE_URL", "mysql://nv:pw@db/nichevid", "must start with sqlite://"),
        ("DATABASE_URL", "postgresql:///nichevid", "names no host"),
        ("DATABASE_URL", "postgresql://nv:pw@db:port/nichevid", "port must be a number"),
        ("DATABASE_URL", "postgresql://nv:pw@db:99999/nichevid", "port must be a number"),
        ("DATABASE_URL", "sqlite://", "names no database file"),
        ("DATABASE_URL", "db.internal/nichevid", "must start with"),
        ("REDIS_URL", "http://cache:6379", "must start with redis://"),
        ("REDIS_URL", "redis://", "names no host"),
        ("REDIS_URL", "redis://cache :6379", "contains spaces"),
    ],
)
def test_malformed_urls(env: dict[str, str], key: str, url: str, reason: str) -> None:
    message = error_of(environ={**env, f"NICHEVID_{key}": url})
    assert reason in message
    assert "is not a valid URL" in message
    assert ":pw@" not in message, "the password of a URL is never shown"


@pytest.mark.parametrize("base_url", ["clips.example", "ftp://clips.example", "https://"])
def test_malformed_base_url(tmp_path: Path, env: dict[str, str], base_url: str) -> None:
    path = write(tmp_path, f'[server]\nbase_url = "{base_url}"\n')
    assert "server.base_url" in error_of(path, environ=env)


def test_valid_urls(env: dict[str, str], tmp_path: Path) -> None:
    for database in (
        f"sqlite:///{tmp_path}/x.sqlite3",
        "postgres://nv@localhost/nichevid",
        "postgresql://nv:p%40ss@10.0.0.5:5433/nichevid",
    ):
        load_settings(environ={**env, "NICHEVID_DATABASE_URL": database})
    for redis in (
        "redis://localhost:6379/0",
        "rediss://:pw@cache.example:6380",
        "unix:///run/r.sock",
    ):
        load_settings(environ={**env, "NICHEVID_REDIS_URL": redis})


def test_port_and_log_level_ranges(tmp_path: Path, env: dict[str, str]) -> None:
    assert "out of range" in error_of(write(tmp_path, "[server]\nport = 70000\n"), environ=env)
    assert "workers must be at least 1" in error_of(
        write(tmp_path, "[server]\nworkers = 0\n"), environ=env
    )
    assert "is not a level" in error_of(write(tmp_path, 'log_level = "LOUD"\n'), environ=env)


def test_explicit_data_dir_that_does_not_exist(tmp_path: Path, env: dict[str, str]) -> None:
    missing = tmp_path / "not-there"
    message = error_of(environ={**env, "NICHEVID_DATA_DIR": str(missing)})
    assert message.startswith(f"data directory {missing} does not exist")
    assert f"mkdir -p {missing}" in message
    assert not missing.exists(), "an explicitly configured data directory is never invented"
    path = write(tmp_path, f'data_dir = "{missing}"\n')
    assert "does not exist" in error_of(path, environ={})


def test_data_dir_that_is_a_file(tmp_path: Path, env: dict[str, str]) -> None:
    file = tmp_path / "file"
    file.write_text("x")
    assert "is a file" in error_of(environ={**env, "NICHEVID_DATA_DIR": str(file)})


# ---------------------------------------------------------------- secrets


def test_secret_from_the_environment(
    tmp_path: Path, env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NV_TEST_SMTP_PASSWORD", "hunter2-smtp")
    path = write(
        tmp_path,
        """
        secret_key = { env = "NV_TEST_SMTP_PASSWORD" }
        [mail]
        smtp_password = { env = "NV_TEST_SMTP_PASSWORD" }
        """,
    )
    settings = load_settings(path, environ=env)
    assert settings.mail.smtp_password.reveal() == "hunter2-smtp"
    assert settings.mail.smtp_password.source == "env:NV_TEST_SMTP_PASSWORD"
    assert "hunter2" not in repr(settings)
    assert "hunter2" not in str(settings.mail.smtp_password)


def test_a_nichevid_variable_holding_a_secret_is_not_a_setting(
    tmp_path: Path, env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NICHEVID_SESSION_SECRET", "from-the-env-file")
    monkeypatch.setenv("NICHEVID_S3_SECRET", "bucket-key")
    path = write(
        tmp_path,
        """
        secret_key = { env = "NICHEVID_SESSION_SECRET" }
        [plugin.s3]
        secret_access_key = { env = "NICHEVID_S3_SECRET" }
        """,
    )
    holders = {"NICHEVID_SESSION_SECRET": "from-the-env-file", "NICHEVID_S3_SECRET": "bucket-key"}
    settings = load_settings(path, environ={**env, **holders})
    assert settings.secret_key.reveal() == "from-the-env-file"
    assert settings.plugin["s3"]["secret_access_key"].reveal() == "bucket-key"
    # A variable no setting names is still an unknown key, as before.
    message = error_of(path, environ={**env, **holders, "NICHEVID_S3_SECRETS": "typo"})
    assert message.startswith("environment NICHEVID_S3_SECRETS: unknown key `s3_secrets`")


def test_secret_naming_an_unset_variable(tmp_path: Path, env: dict[str, str]) -> None:
    path = write(tmp_path, '[mail]\nsmtp_password = { env = "NV_TEST_UNSET_VARIABLE" }\n')
    message = error_of(path, environ=env)
    assert message == (
        f"{path}: `mail.smtp_password`: environment variable NV_TEST_UNSET_VARIABLE is not set "
        "(it holds this secret)"
    )


def test_secret_with_a_bad_shape(tmp_path: Path, env: dict[str, str]) -> None:
    path = write(tmp_path, '[mail]\nsmtp_password = { file = "/etc/x" }\n')
    assert 'expected a string or { env = "VARIABLE" }' in error_of(path, environ=env)


def test_secret_compares_and_is_falsy_when_empty() -> None:
    assert Secret("a") == Secret("a") != Secret("b")
    assert not Secret("")
    assert repr(Secret("x")) == "Secret('***')"


@pytest.fixture
def secret_settings(
    tmp_path: Path, env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> Settings:
    monkeypatch.setenv("NV_TEST_SMTP_PASSWORD", "hunter2-smtp")
    monkeypatch.setenv("NV_TEST_GIFTS_KEY", "hunter2-gifts")
    path = write(
        tmp_path,
        """
        secret_key = "hunter2-literal"
        [database]
        url = "postgresql://nv:hunter2-db@db.internal:5432/nichevid"
        [redis]
        url = "redis://:hunter2-redis@cache.internal:6379/0"
        [mail]
        smtp_password = { env = "NV_TEST_SMTP_PASSWORD" }
        [plugin.gifts]
        api_key = { env = "NV_TEST_GIFTS_KEY" }
        webhook_secret = "hunter2-webhook"
        access_token = "hunter2-token"
        dsn = "https://user:hunter2-dsn@sentry.example/1"
        callback = "https://hooks.example/x?user=a"
        cut_percent = 20
        [plugin.gifts.provider]
        password = "hunter2-nested"
        """,
    )
    return load_settings(path, environ=env)


def test_redacted_hides_every_secret(secret_settings: Settings) -> None:
    data = redacted(secret_settings)
    text = json.dumps(data)
    assert "hunter2" not in text
    assert data["secret_key"] == "***"
    assert data["mail"]["smtp_password"] == "*** (env:NV_TEST_SMTP_PASSWORD)"
    assert data["database"]["url"] == "postgresql://nv:***@db.internal:5432/nichevid"
    assert data["database"]["effective_url"] == data["database"]["url"]
    assert data["redis"]["url"] == "redis://:***@cache.internal:6379/0"
    gifts = data["plugin"]["gifts"]
    assert gifts["api_key"] == "*** (env:NV_TEST_GIFTS_KEY)"
    assert gifts["webhook_secret"] == gifts["access_token"] == gifts["dsn"] == "***"
    assert gifts["provider"]["password"] == "***"
    assert gifts["callback"] == "https://hooks.example/x?user=a"
    assert gifts["cut_percent"] == 20
    # The values themselves are still there for the code that needs them.
    assert secret_settings.plugin["gifts"]["api_key"].reveal() == "hunter2-gifts"


def test_redact_url() -> None:
    assert redact_url("postgresql://u:p@h/db") == "postgresql://u:***@h/db"
    assert redact_url("redis://:p@h:1/0") == "redis://:***@h:1/0"
    assert redact_url("postgresql://u@h/db") == "postgresql://u@h/db"
    assert redact_url("not a url") == "not a url"


# ---------------------------------------------------------------- nichevid config show


def invoke(args: list[str], env: dict[str, str]) -> Any:
    return CliRunner().invoke(main, args, env=env, catch_exceptions=False)


def test_config_show(secret_settings: Settings, tmp_path: Path, env: dict[str, str]) -> None:
    result = invoke(["--config", str(tmp_path / "nichevid.toml"), "config", "show"], env)
    assert result.exit_code == 0, result.output
    assert "hunter2" not in result.output
    assert 'secret_key = "***"' in result.output
    assert "\n[server]\n" in result.output
    assert "port = 8000" in result.output
    assert 'url = "postgresql://nv:***@db.internal:5432/nichevid"' in result.output
    assert "\n[plugin.gifts]\n" in result.output
    assert 'webhook_secret = "***"' in result.output


def test_config_show_json(secret_settings: Settings, tmp_path: Path, env: dict[str, str]) -> None:
    result = invoke(["--config", str(tmp_path / "nichevid.toml"), "config", "show", "--json"], env)
    assert result.exit_code == 0, result.output
    assert "hunter2" not in result.output
    data = json.loads(result.stdout)
    assert data["server"]["port"] == 8000
    assert data["mail"]["smtp_password"] == "*** (env:NV_TEST_SMTP_PASSWORD)"
    assert data["plugin"]["gifts"]["api_key"] == "*** (env:NV_TEST_GIFTS_KEY)"


@pytest.mark.parametrize(
    ("toml", "extra_env", "expected"),
    [
        ("[server\n", {}, "is not valid TOML"),
        ("[server]\nprot = 1\n", {}, "unknown key `server.prot`"),
        ('[server]\nport = "x"\n', {}, "Expected `int`, got `str`"),
        ("", {"NICHEVID_DATABASE_URL": "mysql://u:hunter2@h/db"}, "is not a valid URL"),
        ("", {"NICHEVID_DATA_DIR": "/nonexistent/nichevid-data"}, "does not exist"),
    ],
)
def test_cli_prints_one_error_line_and_exits_2(
    tmp_path: Path, env: dict[str, str], toml: str, extra_env: dict[str, str], expected: str
) -> None:
    path = write(tmp_path, toml)
    result = invoke(["--config", str(path), "config", "show"], {**env, **extra_env})
    assert result.exit_code == 2
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: ")
    assert expected in lines[0]
    assert "hunter2" not in lines[0]


# ---------------------------------------------------------------- docs


def _field_paths(struct: type, prefix: str = "") -> list[str]:
    paths = []
    for field in msgspec.structs.fields(struct):
        if isinstance(field.type, type) and issubclass(field.type, msgspec.Struct):
            paths.extend(_field_paths(field.type, f"{prefix}{field.encode_name}."))
        else:
            paths.append(f"{prefix}{field.encode_name}")
    return paths


def test_every_setting_is_documented_in_the_operator_guide() -> None:
    text = (DOCS / "operator.md").read_text(encoding="utf-8")
    rows = set(re.findall(r"^\| `([a-z_.]+)` \|", text, flags=re.M))
    missing = [path for path in _field_paths(Settings) if path not in rows]
    assert not missing, f"docs/operator.md has no table row for: {', '.join(missing)}"
    stale = sorted(rows - set(_field_paths(Settings)) - {"plugin.<name>.<key>"})
    assert not stale, f"docs/operator.md documents settings that do not exist: {stale}"


def test_operator_guide_defaults_match_the_code() -> None:
    text = (DOCS / "operator.md").read_text(encoding="utf-8")
    documented = dict(re.findall(r"^\| `([a-z_.]+)` \| `([^`]*)` \|", text, flags=re.M))
    defaults = msgspec.to_builtins(Settings(), enc_hook=str)
    wrong = []
    for path, shown in documented.items():
        node: Any = defaults
        for part in path.split("."):
            node = node.get(part) if isinstance(node, dict) else None
        if node is None or isinstance(node, dict):
            continue
        value = json.loads(shown)
        if path == "data_dir":
            value, node = Path(value), Path(node)
        if value != node:
            wrong.append(f"{path}: docs say {shown}, code says {json.dumps(node)}")
    assert not wrong, "; ".join(wrong)


@pytest.mark.parametrize(
    ("section", "key"),
    [("server", "page_cache_seconds"), ("media", "max_bytes"), ("media", "upload_expiry_hours")],
)
def test_negative_limits_stop_start_up_with_one_line(
    tmp_path: Path, section: str, key: str
) -> None:
    from nichevid.settings import ConfigError, load_settings

    with pytest.raises(ConfigError) as caught:
        load_settings(
            no_settings_file(),
            environ={},
            overrides={"data_dir": str(tmp_path), section: {key: -1}},
        )
    message = str(caught.value)
    assert f"{section}.{key} is -1" in message
    assert "cannot be negative" in message
    assert "\n" not in message


@pytest.mark.parametrize(
    ("media", "expected"),
    [
        ({"ladder": []}, "media.ladder is empty"),
        ({"ladder": [{"short_edge": 4, "maxrate_kbps": 800}]}, "short_edge 4 is out of range"),
        ({"ladder": [{"short_edge": 360, "maxrate_kbps": 1}]}, "maxrate_kbps 1 is too low"),
        ({"ladder": [{"short_edge": -360, "maxrate_kbps": 800}]}, "out of range"),
        (
            {"ladder": [{"short_edge": 360, "maxrate_kbps": 800}] * 2},
            "lists a short_edge twice",
        ),
        ({"ladder": [{"short_edge": 360}]}, "maxrate_kbps"),
        ({"ladder": [{"short_edge": 360, "maxrate_kbps": 800, "crf": 2}]}, "crf"),
        ({"hls": True, "hls_segment_seconds": 0}, "hls_segment_seconds must be at least 1"),
        ({"preview_frames": 500}, "preview_frames 500 is too many"),
        ({"preview_height": 2}, "preview_height 2 is too small"),
        ({"tool_memory_mb": -1}, "media.tool_memory_mb is -1"),
    ],
)
def test_bad_media_settings_stop_start_up_with_one_line(
    tmp_path: Path, media: dict[str, Any], expected: str
) -> None:
    from nichevid.settings import ConfigError, load_settings

    with pytest.raises(ConfigError) as caught:
        load_settings(
            no_settings_file(), environ={}, overrides={"data_dir": str(tmp_path), "media": media}
        )
    message = str(caught.value)
    assert expected in message
    assert "\n" not in message
