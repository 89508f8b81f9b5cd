"""What ships with maatwerk, and a region's own folders in front of it: `maatwerk init`
writes a folder to edit; a file there replaces the shipped one, the region's tables
are its own."""

from __future__ import annotations

import io

import pytest
from docx import Document

from pipeline import bundled
from pipeline.config import load_settings
from pipeline.errors import ConfigError
from pipeline.install import init_folder
from pipeline.mail import MailComposer
from pipeline.region.profile import load_mappings
from pipeline.stages.render import Renderer
from tests.conftest import docx_text


def test_init_writes_a_folder_whose_config_points_at_it(tmp_path):
    written = init_folder(tmp_path / "regio", "rvn", tmp_path / "gegevens")
    config = tmp_path / "regio" / "maatwerk.toml"
    assert config in written and (tmp_path / "regio" / "config.example.toml") in written
    settings = load_settings(config)
    assert settings.region.profile == "rvn"
    assert settings.region.mappings_dir == tmp_path / "regio" / "mappings"
    assert settings.store.url == f"sqlite:///{tmp_path / 'gegevens'}/maatwerk.db"
    assert settings.register_.path == tmp_path / "gegevens" / "register"
    copy = tmp_path / "regio" / "mappings" / "regions" / "rvn.toml"
    assert copy.read_bytes() == (bundled.MAPPINGS / "regions" / "rvn.toml").read_bytes()


def test_init_overwrites_nothing_and_knows_only_shipped_profiles(tmp_path):
    init_folder(tmp_path, "zou")
    with pytest.raises(ConfigError, match="bestaat al"):
        init_folder(tmp_path, "zou")
    with pytest.raises(ConfigError, match="kies uit rioz, rvn, zou"):
        init_folder(tmp_path / "ander", "utrecht")


def test_the_regions_own_profile_and_tables_are_read_not_the_shipped(tmp_path):
    init_folder(tmp_path, "zou")
    own = tmp_path / "mappings"
    profile = own / "regions" / "zou.toml"
    profile.write_text(
        profile.read_text(encoding="utf-8").replace(
            'naam = "regio ZOU"', 'naam = "regio ZOU (eigen)"'
        ),
        encoding="utf-8",
    )
    (own / "tarieven.csv").unlink()
    mappings = load_mappings(own, "zou")
    assert mappings.region.naam == "regio ZOU (eigen)"
    assert mappings.labels == load_mappings(None, "zou").labels  # the shipped labels
    # the region's tables are its own: none removed is none, never another's tariffs
    assert mappings.standard_tariffs == {}
    assert load_mappings(None, "zou").standard_tariffs


def test_a_profile_in_neither_folder_says_where_it_looked(tmp_path):
    with pytest.raises(ConfigError) as err:
        load_mappings(tmp_path, "utrecht")
    assert str(tmp_path / "regions") in err.value.melding
    assert str(bundled.MAPPINGS / "regions") in err.value.melding


def test_a_regions_own_mail_template_replaces_the_shipped_one_only(tmp_path):
    (tmp_path / "mail").mkdir()
    (tmp_path / "mail" / "testbericht.txt").write_text(
        "Onderwerp: Eigen test\nEigen tekst van {{ afzender }}\n", encoding="utf-8"
    )
    composer = MailComposer(tmp_path, "inkoop@regio.nl", "Regio", "regio.nl")
    own = composer.subject_and_body("testbericht", {"afzender": "ICM"}, False)
    assert own[0] == "Eigen test" and "Eigen tekst van ICM" in own[1]
    shipped = composer.subject_and_body(
        "escalatie",
        {
            "zaak": "MW-2027-0001",
            "wat": "advies",
            "gemeente": "Zeist",
            "aanbieder": "X",
            "stap": "advies",
            "deadline": "vandaag",
            "laat": [],
            "afzender": "ICM",
        },
        False,
    )
    assert shipped[0].startswith("[MW-2027-0001] Termijn verstreken")


def test_a_regions_own_contract_template_replaces_the_shipped_one(tmp_path):
    doc = Document()
    doc.add_paragraph("Eigen overeenkomst voor {{ zaak }}")
    buf = io.BytesIO()
    doc.save(buf)
    (tmp_path / "maatwerkovereenkomst.docx").write_bytes(buf.getvalue())
    renderer = Renderer(tmp_path)
    filled = renderer.render("maatwerkovereenkomst", {"zaak": "MW-2027-0001"})
    assert "Eigen overeenkomst voor MW-2027-0001" in docx_text(filled)
    assert (
        renderer.path("afwijzingsbrief") == bundled.TEMPLATES / "afwijzingsbrief.docx"
    )
