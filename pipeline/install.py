"""`maatwerk init`: a folder to run maatwerk from — a starting config with absolute
paths (the same store and folders from wherever it is started) and a copy of a region
profile to edit, in front of the shipped one (pipeline/bundled/)."""

from __future__ import annotations

import shutil
from pathlib import Path

from pipeline import bundled
from pipeline.config import DEFAULT_CONFIG_NAME
from pipeline.errors import ConfigError, FolderUnavailable

STARTING_CONFIG = """\
# maatwerk: starting config written by `maatwerk init` for region profile '{profile}'.
# Every key and its default: config.example.toml beside this file. Secrets (passwords,
# client secrets) never go here: they come from environment variables.

[store]
url = "sqlite:///{data}/maatwerk.db"

[mailbox]
backend = "maildir"                # imap, graph or ews for the real mailbox
address = "inkoop@gemeente.nl"     # the secure procurement mailbox
maildir_root = "{data}/mail"

[drop]
path = "{data}/drop"

[register]
path = "{data}/register"

[region]
profile = "{profile}"
mappings_dir = "{root}/mappings"   # regions/{profile}.toml here is the one read
templates_dir = "{root}/templates" # a .docx or mail/*.txt here replaces the shipped one
"""


# the region's own tables: read from its own mappings folder only (pipeline/bundled/)
TABLES = (
    "tarieven.csv",
    "gecontracteerde_aanbieders.csv",
    "productcode_uitzonderingen.csv",
    "redenen.toml",
)


def profiles() -> list[str]:
    """The region profiles that ship with maatwerk."""
    return sorted(p.stem for p in (bundled.MAPPINGS / "regions").glob("*.toml"))


def init_folder(target: Path, profile: str, data: Path | None = None) -> list[Path]:
    """Write a starting config, config.example.toml, a copy of region `profile` and
    of the region's tables (examples to fill in) into `target`; the files written. The
    store and folders go under `data` (default: `target`/data).

    Raises ConfigError when the profile does not exist or `target` already has a
    config (nothing is overwritten), FolderUnavailable when a folder cannot be made or
    written."""
    if profile not in profiles():
        raise ConfigError(
            f"Regioprofiel '{profile}' bestaat niet; kies uit {', '.join(profiles())}."
        )
    root = target.resolve()
    config = root / DEFAULT_CONFIG_NAME
    if config.exists():
        raise ConfigError(f"{config} bestaat al; er is niets overschreven.")
    data = (data or root / "data").resolve()
    try:
        return _write_folder(root, profile, data)
    except OSError as exc:
        where = Path(exc.filename) if exc.filename else root
        raise FolderUnavailable("de map", where) from exc


def _write_folder(root: Path, profile: str, data: Path) -> list[Path]:
    config = root / DEFAULT_CONFIG_NAME
    regions = root / "mappings" / "regions"
    regions.mkdir(parents=True, exist_ok=True)
    (root / "templates" / "mail").mkdir(parents=True, exist_ok=True)
    data.mkdir(parents=True, exist_ok=True)
    config.write_text(
        STARTING_CONFIG.format(profile=profile, root=root, data=data),
        encoding="utf-8",
    )
    written = [config]
    for name in (bundled.EXAMPLE_CONFIG.name, *(f"mappings/{t}" for t in TABLES)):
        written.append(root / name)
        shutil.copyfile(bundled.HERE / name, root / name)
    written.append(regions / f"{profile}.toml")
    shutil.copyfile(bundled.MAPPINGS / "regions" / f"{profile}.toml", written[-1])
    return written
