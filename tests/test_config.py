"""config.example.toml documents every key with its default; a config file replaces any
of it."""

import tomllib
from pathlib import Path

import pytest

from pipeline.config import Settings, load_settings
from pipeline.errors import ConfigError

EXAMPLE = Path(__file__).resolve().parent.parent / "config.example.toml"


def _keys(model, prefix=""):
    out = set()
    for name, field in type(model).model_fields.items():
        key = field.alias or name
        value = getattr(model, name)
        if hasattr(type(value), "model_fields"):
            out |= _keys(value, f"{prefix}{key}.")
        else:
            out.add(f"{prefix}{key}")
    return out


def _flat(d, prefix=""):
    out = {}
    for k, v in d.items():
        if isinstance(v, dict) and v:  # an empty table is a value ({} of a dict key)
            out.update(_flat(v, f"{prefix}{k}."))
        else:
            out[f"{prefix}{k}"] = v
    return out


def test_example_documents_every_key_with_its_default():
    data = tomllib.loads(EXAMPLE.read_text(encoding="utf-8"))
    assert set(_flat(data)) == _keys(Settings())
    example = Settings.model_validate(data)
    defaults = Settings()
    assert example == defaults


def test_a_config_file_replaces_only_what_it_says(tmp_path):
    cfg = tmp_path / "m.toml"
    cfg.write_text(
        '[mailbox]\naddress = "inkoop@regio.test"\n[advice]\ndays_normal = 4\n'
    )
    s = load_settings(cfg)
    assert s.mailbox.address == "inkoop@regio.test" and s.advice.days_normal == 4
    assert s.store.url == Settings().store.url


def test_a_wrong_key_is_a_clear_dutch_error(tmp_path):
    cfg = tmp_path / "m.toml"
    cfg.write_text('[mailbox]\nadres = "x"\n')
    with pytest.raises(ConfigError, match="klopt niet: mailbox.adres"):
        load_settings(cfg)
    with pytest.raises(ConfigError, match="niet gevonden"):
        load_settings(tmp_path / "nope.toml")


def test_who_may_sign_in_is_an_address_or_a_group(tmp_path):
    cfg = tmp_path / "m.toml"
    cfg.write_text('[web]\nicm = ["group:icm-team"]\n')
    with pytest.raises(ConfigError, match="web.icm: 'group:icm-team' is geen e-mail"):
        load_settings(cfg)
    cfg.write_text('[web]\nbeleidsadviseurs = { Zeist = ["Petra Smit"] }\n')
    with pytest.raises(ConfigError, match="web.beleidsadviseurs"):
        load_settings(cfg)
    cfg.write_text('[web]\nicm = ["groep:icm-team", "icm@zorginzou.nl"]\n')
    assert load_settings(cfg).web.icm == ["groep:icm-team", "icm@zorginzou.nl"]
