from pathlib import Path

import pytest

from smsgate.config import ConfigError, Settings, load


def test_defaults() -> None:
    settings = load(environ={})
    assert settings == Settings()
    assert settings.database() == "sqlite:///var/smsgate.db"


def test_environment_overrides_file(tmp_path: Path) -> None:
    path = tmp_path / "smsgate.toml"
    path.write_text('http_port = 9000\ndata_dir = "/srv/sms"\n')
    settings = load(environ={"SMSGATE_HTTP_PORT": "9100", "OTHER": "x"}, toml_path=str(path))
    assert settings.http_port == 9100
    assert settings.data_dir == "/srv/sms"


def test_connection_limits_come_from_the_environment() -> None:
    settings = load(
        environ={
            "SMSGATE_HTTP_HEADER_TIMEOUT": "5",
            "SMSGATE_HTTP_BODY_TIMEOUT": "20",
            "SMSGATE_HTTP_KEEPALIVE_TIMEOUT": "15",
            "SMSGATE_SMPP_BIND_TIMEOUT": "7",
            "SMSGATE_CONNECTIONS_PER_ADDRESS": "0",
        }
    )
    assert (
        settings.http_header_timeout,
        settings.http_body_timeout,
        settings.http_keepalive_timeout,
        settings.smpp_bind_timeout,
        settings.connections_per_address,
    ) == (5, 20, 15, 7, 0)


def test_the_http_server_is_chosen_by_name() -> None:
    assert load(environ={}).http_server == "lean"
    assert load(environ={"SMSGATE_HTTP_SERVER": "uvicorn"}).http_server == "uvicorn"


def test_file_may_use_a_table(tmp_path: Path) -> None:
    path = tmp_path / "smsgate.toml"
    path.write_text("[smsgate]\ndemo = false\n")
    assert load(environ={}, toml_path=str(path)).demo is False


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        ({"SMSGATE_HTTP_PORT": "eighty"}, "http_port must be of type int"),
        ({"SMSGATE_HTTP_PORT": "70000"}, "http_port must be between"),
        ({"SMSGATE_DEMO": "maybe"}, "demo must be of type bool"),
        ({"SMSGATE_DATABASE_URL": "mysql://x"}, "database_url must start"),
        ({"SMSGATE_DEFAULT_VALIDITY": "10"}, "default_validity must be between"),
        ({"SMSGATE_HTTP_HEADER_TIMEOUT": "0"}, "http_header_timeout must be between"),
        ({"SMSGATE_HTTP_BODY_TIMEOUT": "0"}, "http_body_timeout must be between"),
        ({"SMSGATE_HTTP_KEEPALIVE_TIMEOUT": "0"}, "http_keepalive_timeout must be between"),
        ({"SMSGATE_SMPP_BIND_TIMEOUT": "0"}, "smpp_bind_timeout must be between"),
        ({"SMSGATE_CONNECTIONS_PER_ADDRESS": "-1"}, "connections_per_address must be between"),
        ({"SMSGATE_TRUSTED_PROXIES": "10.0.0.1, lb.example"}, "'lb.example' is not an address"),
        ({"SMSGATE_EVENT_LOOP": "trio"}, "event_loop must be one of auto, uvloop, asyncio"),
        ({"SMSGATE_HTTP_SERVER": "nginx"}, "http_server must be one of uvicorn, lean"),
    ],
)
def test_bad_values_are_clear_errors(environ: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        load(environ=environ)


def test_unknown_file_key_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "smsgate.toml"
    path.write_text("htp_port = 1\n")
    with pytest.raises(ConfigError, match="unknown setting 'htp_port'"):
        load(environ={}, toml_path=str(path))


def test_missing_file_is_an_error() -> None:
    with pytest.raises(ConfigError, match="cannot read"):
        load(environ={}, toml_path="/nonexistent/smsgate.toml")


def test_roles() -> None:
    assert load({}).runs("dispatch")
    front = load({"SMSGATE_ROLES": "api, smpp"})
    assert front.runs("api") and front.runs("smpp") and not front.runs("dispatch")
    for bad in ("api,mail", "", "api,api"):
        with pytest.raises(ConfigError, match="roles must be"):
            load({"SMSGATE_ROLES": bad})
