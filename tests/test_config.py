"""ConfigDef as connector authors use it: typed parsing, Kafka's error messages naming the key,
validators, and ``Connector.validate``."""

from __future__ import annotations

from typing import Any

import ferroconnect as fc
import pytest

DEF = (
    fc.ConfigDef()
    .define("host", fc.Type.STRING, importance=fc.Importance.HIGH, doc="Where to connect.")
    .define("port", fc.Type.INT, 5432, fc.Importance.HIGH, "Port.", validator=fc.Range.between(1, 65535))
    .define("ratio", fc.Type.DOUBLE, 0.5, validator=fc.Range.at_least(0))
    .define("enabled", fc.Type.BOOLEAN, True)
    .define("tables", fc.Type.LIST, [])
    .define("mode", fc.Type.STRING, "bulk", validator=fc.ValidString.in_("bulk", "incrementing"))
    .define("secret", fc.Type.PASSWORD, None)
    .define("big", fc.Type.LONG, 1 << 40)
    .define("label", fc.Type.STRING, "x", validator=fc.NonEmptyString())
)


def test_parse_gives_typed_values_and_defaults() -> None:
    values = DEF.parse({"host": "db", "port": "6543", "tables": "a, b", "enabled": "FALSE", "secret": "pw"})
    assert values["host"] == "db"
    assert values["port"] == 6543
    assert values["ratio"] == 0.5
    assert values["enabled"] is False
    assert values["tables"] == ["a", "b"]
    assert values["big"] == 1 << 40
    assert isinstance(values["secret"], fc.Password)
    assert "pw" not in repr(values["secret"]), "a password must not show in reprs or logs"


@pytest.mark.parametrize(
    ("config", "fragments"),
    [
        ({}, ["host", "Missing required configuration"]),
        ({"host": "h", "port": "99999"}, ["port", "99999", "65535"]),
        ({"host": "h", "port": "abc"}, ["port", "abc"]),
        ({"host": "h", "mode": "sometimes"}, ["mode", "sometimes", "bulk"]),
        ({"host": "h", "enabled": "maybe"}, ["enabled", "maybe"]),
        ({"host": "h", "label": ""}, ["label"]),
    ],
)
def test_errors_name_the_key_and_the_reason(config: dict[str, str], fragments: list[str]) -> None:
    with pytest.raises(fc.ConfigError) as raised:
        DEF.parse(config)
    for fragment in fragments:
        assert fragment in str(raised.value)


def test_validate_reports_every_key() -> None:
    errors = DEF.validate({"port": "0", "mode": "no"})
    assert errors["host"] and errors["port"] and errors["mode"]
    assert errors["ratio"] == [] and errors["tables"] == []


def test_a_callable_validator_rejects_with_its_message() -> None:
    def even(name: str, value: Any) -> None:
        if value % 2:
            raise ValueError(f"{name} must be even")

    config_def = fc.ConfigDef().define("n", fc.Type.INT, 2, validator=even)
    assert config_def.parse({"n": "4"})["n"] == 4
    with pytest.raises(fc.ConfigError, match="n must be even"):
        config_def.parse({"n": "3"})


def test_defining_a_key_twice_is_an_error() -> None:
    with pytest.raises(fc.ConfigError, match="host"):
        fc.ConfigDef().define("host", fc.Type.STRING).define("host", fc.Type.STRING)


def test_connector_validate_uses_its_config_def() -> None:
    class Validated(fc.SourceConnector):
        config_def = DEF

    errors = Validated().validate({"host": "db", "port": "0"})
    assert errors["port"] and not errors["host"]
