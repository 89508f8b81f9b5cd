"""What ships with maatwerk: the region profiles, label vocabulary and tables
(`mappings/`), the document and mail templates (`templates/`) and
`config.example.toml`. In a checkout these are links to the top-level files; in an
installed wheel they are package data.

A region's own folder (`[region] mappings_dir`, `templates_dir`) comes first: a file it
holds replaces the shipped one of that name, the rest is shipped (`search_path`,
`find`). The region's tables are its own data and never shipped ones (see
pipeline/region/profile.py)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

HERE = Path(__file__).resolve().parent
MAPPINGS = HERE / "mappings"
TEMPLATES = HERE / "templates"
EXAMPLE_CONFIG = HERE / "config.example.toml"  # every setting with its default


def search_path(own: Path | None, shipped: Path) -> tuple[Path, ...]:
    """The folders to look in, the region's own first."""
    return (Path(own), shipped) if own is not None else (shipped,)


def find(folders: Sequence[Path], name: str) -> Path:
    """`name` in the first of `folders` that has it; else in the last (so the error
    of a missing file names the shipped place)."""
    for folder in folders:
        if (folder / name).exists():
            return folder / name
    return folders[-1] / name
