"""The wheel as an operator gets it: built from the checkout, installed into a fresh
venv outside it, and a request run through `maatwerk run --once` there.

The wheel is built from a copy of the checkout in a temporary folder (without .venv,
build/, caches): setuptools' build/ folder would otherwise be written into the checkout
and could hand a stale file to the wheel. The venv gets its packages from PyPI
(or what pip is configured to use), never the checkout's."""

from __future__ import annotations

import json
import mailbox
import os
import shutil
import subprocess
import sys
import tomllib
import zipfile
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path

import pytest

from pipeline.errors import ExitCode
from tests.conftest import REPO, mail_with_form, sample

VERSION = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))[
    "project"
]["version"]
PACKAGES = ("pipeline", "watchers", "maatwerk", "web")
# not copied to build from: the venv, git, build output, caches, a local run's data
NOT_SOURCE = {".git", ".venv", "build", "dist", "data", "maatwerk.toml"}
# where the installed venv's python finds each package
WHERE = (
    f"import importlib\nfor n in {PACKAGES!r}:\n"
    "    print(importlib.import_module(n).__file__)"
)
FORM = "legacy-table.docx"  # a Zeist request: advisers p.smit@zeist.nl and ICM


def _not_source(folder: str, names: list[str]) -> set[str]:
    top = Path(folder).resolve() == REPO
    return {
        n
        for n in names
        if n == "__pycache__"
        or n.endswith((".pyc", ".egg-info"))
        or (top and (n in NOT_SOURCE or n.endswith("_cache") or n == ".hypothesis"))
    }


def _env(venv: Path | None = None) -> dict[str, str]:
    """The environment without anything that points into the checkout or its venv:
    no PYTHONPATH, no MAATWERK_* settings, the checkout's venv off PATH."""
    drop = {"PYTHONPATH", "PYTHONHOME", "PYTHONSTARTUP", "VIRTUAL_ENV"}
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in drop and not k.startswith("MAATWERK_")
    }
    ours = [REPO]
    if sys.prefix != sys.base_prefix:  # the tests' own venv
        ours.append(Path(sys.prefix).resolve())
    path = [
        p
        for p in env.get("PATH", "").split(os.pathsep)
        if p and not any(Path(p).resolve().is_relative_to(o) for o in ours)
    ]
    env["PATH"] = os.pathsep.join([str(venv / "bin"), *path] if venv else path)
    env["PYTHONNOUSERSITE"] = "1"
    return env


def _run(
    cmd: list[str], cwd: Path, venv: Path | None = None, timeout: int = 180
) -> subprocess.CompletedProcess:
    return subprocess.run(
        cmd,
        cwd=cwd,
        env=_env(venv),
        capture_output=True,
        text=True,
        timeout=timeout,
    )


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    tmp = tmp_path_factory.mktemp("wheel")
    src = tmp / "src"
    shutil.copytree(REPO, src, symlinks=True, ignore=_not_source)
    built = _run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps"]
        + ["--disable-pip-version-check", "-q", "-w", str(tmp / "dist"), str(src)],
        cwd=tmp,
        timeout=300,
    )
    assert built.returncode == 0, built.stdout[-3000:] + built.stderr[-3000:]
    (found,) = (tmp / "dist").glob("maatwerk-*.whl")
    return found


@pytest.fixture(scope="module")
def venv(wheel, tmp_path_factory):
    """A fresh venv (no system site-packages) with the wheel and its dependencies;
    removed afterwards (it is some 450 MB)."""
    where = tmp_path_factory.mktemp("venv") / "venv"
    made = _run([sys.executable, "-m", "venv", str(where)], cwd=where.parent)
    assert made.returncode == 0, made.stderr
    assert "include-system-site-packages = false" in (where / "pyvenv.cfg").read_text()
    # --no-compile: byte-compiling every dependency would take longer than installing
    installed = _run(
        [str(where / "bin" / "python"), "-m", "pip", "install", "--no-compile"]
        + ["--disable-pip-version-check", "-q", str(wheel)],
        cwd=where.parent,
        timeout=420,
    )
    assert installed.returncode == 0, (
        installed.stdout[-3000:] + installed.stderr[-3000:]
    )
    yield where
    shutil.rmtree(where, ignore_errors=True)


def test_wheel_holds_the_shipped_data_and_only_the_product(wheel):
    with zipfile.ZipFile(wheel) as zf:
        names = set(zf.namelist())
        shipped = {
            **{
                f"pipeline/bundled/{p.relative_to(REPO)}": p
                for top in ("mappings", "templates")
                for p in (REPO / top).rglob("*")
                if p.is_file()
            },
            "pipeline/bundled/config.example.toml": REPO / "config.example.toml",
            # the web pages' templates and their vendored NL Design System CSS
            **{
                str(p.relative_to(REPO)): p
                for top in ("web/templates", "web/static")
                for p in (REPO / top).rglob("*")
                if p.is_file()
            },
        }
        missing = sorted(set(shipped) - names)
        assert not missing, missing
        changed = [n for n, p in shipped.items() if zf.read(n) != p.read_bytes()]
        assert not changed, changed  # the links resolved to the top-level files
    for name in (
        "pipeline/bundled/mappings/regions/zou.toml",
        "pipeline/bundled/mappings/labels.toml",
        "pipeline/bundled/templates/maatwerkovereenkomst.docx",
        "pipeline/bundled/templates/leveranciersformulier.docx",
        "pipeline/bundled/templates/afwijzingsbrief.docx",
        "pipeline/bundled/templates/mail/adviesaanvraag.txt",
        "pipeline/store/migrations/env.py",
        "pipeline/store/migrations/versions/0001_initial.py",
    ):
        assert name in names, name
    # every module of the product and every migration (a folder without __init__.py
    # is no package to setuptools)
    modules = {
        str(p.relative_to(REPO))
        for pkg in PACKAGES
        for p in (REPO / pkg).rglob("*.py")
        if "__pycache__" not in p.parts
    }
    assert not sorted(modules - names), sorted(modules - names)
    dist_info = f"maatwerk-{VERSION}.dist-info"
    assert {n.split("/")[0] for n in names} == {*PACKAGES, dist_info}
    assert not [n for n in names if "__pycache__" in n or n.endswith(".pyc")]
    with zipfile.ZipFile(wheel) as zf:
        entry_points = zf.read(f"{dist_info}/entry_points.txt").decode()
    assert "maatwerk = maatwerk:main" in entry_points


def test_installed_package_is_the_wheel_not_the_checkout(venv, tmp_path):
    python = str(venv / "bin" / "python")
    site = _run(
        [python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        tmp_path,
        venv,
    ).stdout.strip()
    where = _run([python, "-c", WHERE], tmp_path, venv)
    assert where.returncode == 0, where.stderr
    files = [Path(line) for line in where.stdout.split()]
    assert len(files) == len(PACKAGES)
    for file in files:
        assert file.is_relative_to(site) and not file.is_relative_to(REPO), file
    version = _run([str(venv / "bin" / "maatwerk"), "--version"], tmp_path, venv)
    assert version.returncode == 0, version.stderr
    assert version.stdout.strip() == f"maatwerk {VERSION}"


def _mails(root: Path, address: str) -> list[EmailMessage]:
    md = mailbox.Maildir(root / address, create=False)
    return [
        BytesParser(policy=policy.default).parsebytes(md.get_bytes(k))
        for k in md.iterkeys()
    ]


def test_a_request_runs_through_the_installed_wheel(venv, tmp_path):
    form = sample(FORM)
    maatwerk = str(venv / "bin" / "maatwerk")
    init = _run([maatwerk, "init", "site"], tmp_path, venv)
    assert init.returncode == 0, init.stderr
    config = tmp_path / "site" / "maatwerk.toml"
    settings = tomllib.loads(config.read_text(encoding="utf-8"))
    assert settings["region"]["profile"] == "zou"
    assert (tmp_path / "site" / "config.example.toml").exists()
    assert (tmp_path / "site" / "mappings" / "regions" / "zou.toml").exists()
    assert not [p for p in (tmp_path / "site" / "templates").rglob("*") if p.is_file()]

    mail_root = Path(settings["mailbox"]["maildir_root"])
    inkoop = settings["mailbox"]["address"]
    mail_root.mkdir(parents=True, exist_ok=True)
    inbox = mailbox.Maildir(mail_root / inkoop, create=True)
    inbox.add(
        mail_with_form(
            "Esther van Dijk <e.vandijk@zeist.nl>",
            "Aanvraag maatwerk – Zeist",
            "Aanvraag maatwerk – Zeist.docx",
            form.read_bytes(),
            body="Beste collega's,\n\nHierbij de aanvraag voor Zeist.\n",
            to=inkoop,
        )
    )

    with_config = [maatwerk, "--config", str(config)]
    run = _run([*with_config, "run", "--once"], tmp_path, venv)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "Traceback" not in run.stderr, run.stderr
    assert not list((mail_root / inkoop / "new").iterdir())  # taken in

    status = _run([*with_config, "status", "--json"], tmp_path, venv)
    assert status.returncode == ExitCode.down, status.stdout + status.stderr
    st = json.loads(status.stdout)
    assert [(c["status"], c["gemeente"]) for c in st["zaken"]] == [
        ("advies_gevraagd", "Zeist")
    ], st
    case = st["zaken"][0]["zaak"]

    for adviser in ("p.smit@zeist.nl", "icm@zorginzou.nl"):
        (asked,) = _mails(mail_root, adviser)
        assert str(asked["Subject"]).startswith(f"[{case}] Adviesaanvraag"), adviser
        assert [p.get_filename() for p in asked.iter_attachments()] == [
            f"Aanvraagformulier {case}.docx"
        ]
    (receipt,) = _mails(mail_root, "e.vandijk@zeist.nl")
    assert case in str(receipt["Subject"])

    register = Path(settings["register"]["path"])
    (filed,) = register.rglob(f"*aanvraagformulier {case}.docx")
    assert filed.parent.name == case and filed.parent.parent.name == "Zeist"
    assert filed.read_bytes() == form.read_bytes()

    check = _run([*with_config, "check"], tmp_path, venv)
    assert check.returncode == ExitCode.ok, check.stdout + check.stderr
    assert "Alles OK." in check.stdout and "FOUT" not in check.stdout, check.stdout
