"""No traceback, ever: every command of `maatwerk`, found by walking the Typer app, run
as a process against broken configs, an unreachable mail server and an unreachable
store. Each ends with the exit code that fits (written out per setup and command
below) and, when it fails, one Dutch line on stderr; the README's table of exit codes
lists exactly `ExitCode`.

A command that does not touch what a setup breaks runs in a few shared setups only
(`Setup.shared`), so the whole matrix stays within a few minutes on two cores; the
processes run four at a time. Every command meets the config that is no TOML and the
one that is not there; the other broken configs, which fail in the same place (reading
the settings), take the commands in turn, each command one of them.
"""

from __future__ import annotations

import functools
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from pipeline import bundled
from pipeline.errors import ExitCode

REPO = Path(__file__).resolve().parent.parent
MAATWERK = [sys.executable, "-m", "maatwerk"]
CASE_ID = "MW-2026-0001"
TIMEOUT = 120  # one process; a hang fails its case, never the whole run
FORM = bundled.TEMPLATES / "aanvraagformulier.docx"  # the blank form: it reads
SECRETS = (
    "MAATWERK_IMAP_PASSWORD",
    "MAATWERK_SMTP_PASSWORD",
    "MAATWERK_GRAPH_SECRET",
    "MAATWERK_EWS_PASSWORD",
)

Command = tuple[str, ...]


def command_paths() -> list[Command]:
    """Every command and group of the app, as the words that call it."""
    from typer.core import TyperGroup
    from typer.main import get_command

    from maatwerk import app

    def walk(group: TyperGroup, path: Command):
        yield path
        for name, command in group.commands.items():
            if isinstance(command, TyperGroup):
                yield from walk(command, (*path, name))
            else:
                yield (*path, name)

    root = get_command(app)
    assert isinstance(root, TyperGroup)
    return list(walk(root, ()))


# the least each command needs; {cwd} is the run's own folder
ARGUMENTS: dict[Command, tuple[str, ...]] = {
    (): (),
    ("init",): ("{cwd}/nieuw",),
    ("run",): ("--once",),
    ("reprocess",): (),
    ("check",): (),
    ("status",): (),
    ("case",): (CASE_ID, "--reden", "x"),
    ("inzage",): (CASE_ID,),
    ("opschonen",): (),
    ("extract",): (str(FORM),),
    ("quarantaine",): (),
    ("quarantaine", "opnieuw"): ("1", "--reden", "x"),
    ("quarantaine", "vrijgeven"): ("1",),
    ("quarantaine", "verwijderen"): ("1",),
    ("bench",): (),
    ("bench", "extract"): ("{cwd}/formulieren",),
    ("report",): (),
    ("report", "verlopend"): (),
    ("report", "monitoring"): ("--year", "2027"),
    ("web",): (),
}
ALL = tuple(ARGUMENTS)

# groups without a command show their help (exit 2) and read no config, like init
GROUPS = ((), ("bench",), ("report",))
CONFIG_FREE = (*GROUPS, ("init",))
CONFIG_READERS = tuple(c for c in ALL if c not in CONFIG_FREE)
CHECK = ("check",)
# the held mails one by one: Graph and EWS refuse it before connecting (exit 3)
HELD = (
    ("reprocess",),
    ("quarantaine",),
    ("quarantaine", "opnieuw"),
    ("quarantaine", "vrijgeven"),
    ("quarantaine", "verwijderen"),
)
MAIL = (("run",), *HELD, CHECK)
SENDS = (("run",), CHECK)  # logs in on the mail server whatever the backend
STORE_READERS = (("status",), ("case",), ("inzage",), ("report", "monitoring"))
STORE = (
    ("run",),
    *HELD,
    ("opschonen",),
    ("report", "verlopend"),
    *STORE_READERS,
    CHECK,
)
# what needs the region profile: every config reader but status, case, inzage, check
PROFILE = tuple(
    c for c in CONFIG_READERS if c not in (("status",), ("case",), ("inzage",), CHECK)
)

# nothing broken that the command touches, on a store with no cases (copied into
# each run's folder): a reader finds no case (4), status no worker running (13)
UNTOUCHED: dict[Command, ExitCode] = {
    (): ExitCode.usage,  # "geef een opdracht"
    ("bench",): ExitCode.usage,  # the group's help
    ("report",): ExitCode.usage,
    ("init",): ExitCode.ok,
    ("status",): ExitCode.down,
    ("case",): ExitCode.not_found,
    ("inzage",): ExitCode.not_found,
    ("opschonen",): ExitCode.ok,
    ("extract",): ExitCode.ok,
    ("bench", "extract"): ExitCode.ok,
    ("report", "verlopend"): ExitCode.ok,
    ("report", "monitoring"): ExitCode.ok,
    ("web",): ExitCode.config,  # no [web] issuer: signing in is not set up
}


def _free_port() -> int:
    """A loopback port nothing listens on (bound, then let go, never listened on)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


CLOSED = _free_port()
FAST = 5  # the mail servers' timeouts: a hang ends soon


def _imap(port: int) -> str:
    return (
        '[mailbox]\nbackend = "imap"\n'
        f'[imap]\nhost = "127.0.0.1"\nport = {port}\nsecurity = "none"\n'
        f"timeout = {FAST}\n"
        f'[smtp]\nhost = "127.0.0.1"\nport = {port}\nsecurity = "none"\n'
        f"timeout = {FAST}\n"
    )


def _graph(port: int) -> str:
    return (
        '[mailbox]\nbackend = "graph"\n'
        '[graph]\ntenant_id = "tenant"\nclient_id = "app"\n'
        f'authority = "https://127.0.0.1:{port}"\n'
        f'base_url = "https://127.0.0.1:{port}/v1.0"\ntimeout = {FAST}\n'
    )


def _ews(port: int) -> str:
    return (
        '[mailbox]\nbackend = "ews"\n'
        f'[ews]\nendpoint = "http://127.0.0.1:{port}/EWS/Exchange.asmx"\n'
        f'username = "svc-maatwerk"\ntimeout = {FAST}\n'
    )


Expect = Callable[[Command], ExitCode]


@dataclass(frozen=True)
class Setup:
    name: str
    config: str | None  # the TOML; None: --config names a file that is not there
    touches: tuple[Command, ...]  # the commands that meet what is broken
    expect: Expect  # the exit code of each of those
    shared: bool = False  # the untouched commands run here too (UNTOUCHED)
    secrets: bool = True  # the password variables set
    non_root: bool = False  # meaningful only when the user cannot write everywhere
    store_url: str | None = None  # {cwd} replaced
    folders: dict[str, int] = field(default_factory=dict)  # made with this mode


def _always(code: ExitCode) -> Expect:
    return lambda command: code


def _config_error(command: Command) -> ExitCode:
    # check prints its checklist: the configuration FOUT, exit 3
    return ExitCode.config


def _unknown_profile(command: Command) -> ExitCode:
    if command == CHECK:
        return ExitCode.error  # FOUT Regioprofiel
    return ExitCode.config if command in PROFILE else UNTOUCHED[command]


def _server(held: ExitCode) -> Expect:
    """A mail server away: the command waits for it (10); `held` for Quarantaine one
    by one; check lists a FOUT (1)."""

    def expect(command: Command) -> ExitCode:
        if command == CHECK:
            return ExitCode.error
        if command in HELD:
            return held
        return ExitCode.mail_server_unavailable

    return expect


def _no_password(command: Command) -> ExitCode:
    return ExitCode.error if command == CHECK else ExitCode.config


def _store_away(command: Command) -> ExitCode:
    return ExitCode.error if command == CHECK else ExitCode.store_unavailable


def _sqlite_unwritable(command: Command) -> ExitCode:
    """A command that only reads finds no database there (4, it never makes one); one
    that writes cannot make it (8)."""
    if command == CHECK:
        return ExitCode.error
    if command in STORE_READERS:
        return ExitCode.not_found
    return ExitCode.store_unavailable


# the config-free commands get the broken --config once and ignore it
EVERY_COMMAND_CONFIGS = {"geen-toml": "dit is [geen toml\n", "geen-bestand": None}
IN_TURN_CONFIGS = {
    "onbekende-sleutel": "[advice]\ndagen_spoed = 2\n",
    "verkeerd-type": '[advice]\ndays_spoed = "twee"\n',
    "tijdzone": '[advice]\ntimezone = "Europe/Amsterdm"\n',
    "log-level": 'log_level = "LUID"\n',
    "backend": '[mailbox]\nbackend = "pop3"\n',
}


def _in_turn(k: int) -> tuple[Command, ...]:
    """The config readers whose turn it is for the `k`-th of IN_TURN_CONFIGS."""
    n = len(IN_TURN_CONFIGS)
    return tuple(c for i, c in enumerate(CONFIG_READERS) if i % n == k)


SETUPS = (
    *(
        Setup(name, text, CONFIG_READERS, _config_error, shared=name == "geen-toml")
        for name, text in EVERY_COMMAND_CONFIGS.items()
    ),
    *(
        Setup(name, text, _in_turn(k), _config_error)
        for k, (name, text) in enumerate(IN_TURN_CONFIGS.items())
    ),
    Setup(
        "regioprofiel", '[region]\nprofile = "xyz"\n', CONFIG_READERS, _unknown_profile
    ),
    Setup("imap-weg", _imap(CLOSED), MAIL, _server(ExitCode.mail_server_unavailable)),
    Setup("graph-weg", _graph(CLOSED), MAIL, _server(ExitCode.config), shared=True),
    Setup("ews-weg", _ews(CLOSED), MAIL, _server(ExitCode.config)),
    # no password: said before connecting; Graph and EWS refuse the held mails one by
    # one before they need it (above)
    Setup("imap-geen-wachtwoord", _imap(CLOSED), MAIL, _no_password, secrets=False),
    Setup("graph-geen-secret", _graph(CLOSED), SENDS, _no_password, secrets=False),
    Setup("ews-geen-wachtwoord", _ews(CLOSED), SENDS, _no_password, secrets=False),
    Setup(
        "postgresql-weg",
        None,
        STORE,
        _store_away,
        shared=True,
        store_url=f"postgresql+psycopg://maatwerk@127.0.0.1:{CLOSED}/maatwerk",
    ),
    # a path through a regular file: no user can make it, root neither
    Setup(
        "sqlite-onder-bestand",
        None,
        STORE,
        _sqlite_unwritable,
        store_url="sqlite:////dev/null/maatwerk/maatwerk.db",
    ),
    Setup(
        "sqlite-map-alleen-lezen",
        None,
        STORE,
        _sqlite_unwritable,
        non_root=True,
        store_url="sqlite:///{cwd}/alleen-lezen/maatwerk.db",
        folders={"alleen-lezen": 0o500},
    ),
)


@dataclass(frozen=True)
class Case:
    setup: Setup
    command: Command
    expected: ExitCode

    @property
    def id(self) -> str:
        return f"{self.setup.name}:{' '.join(self.command) or '(geen opdracht)'}"


def _cases() -> list[Case]:
    cases = []
    for setup in SETUPS:
        for command in ALL:
            if command in setup.touches:
                cases.append(Case(setup, command, setup.expect(command)))
            elif setup.shared and command in UNTOUCHED:
                cases.append(Case(setup, command, UNTOUCHED[command]))
    return cases


CASES = _cases()


@dataclass(frozen=True)
class Result:
    code: int | None  # None: timed out
    stdout: str
    stderr: str
    seconds: float


@functools.cache
def _writes_anywhere() -> bool:
    """Can this user write in a folder of mode 0500 (root, or CAP_DAC_OVERRIDE)?"""
    with tempfile.TemporaryDirectory() as folder:
        os.chmod(folder, 0o500)
        try:
            (Path(folder) / "probe").touch()
        except PermissionError:
            return False
        finally:
            os.chmod(folder, 0o700)
        return True


def _skip_reason(case: Case) -> str | None:
    if case.setup.non_root and _writes_anywhere():
        return "this user (root) writes in a folder with mode 0500 all the same"
    return None


def _run(case: Case, cwd: Path, store: Path) -> Result:
    """`case` as a process in its own folder `cwd`, with a copy of the empty `store`."""
    setup = case.setup
    (cwd / "data").mkdir()
    shutil.copyfile(store, cwd / "data" / "maatwerk.db")
    (cwd / "formulieren").mkdir()
    config = cwd / "maatwerk-kapot.toml"
    text = setup.config
    if setup.store_url is not None:
        url = setup.store_url.replace("{cwd}", str(cwd))
        text = f'{text or ""}[store]\nurl = "{url}"\n'
    if text is not None:
        config.write_text(text, encoding="utf-8")
    for folder, mode in setup.folders.items():
        (cwd / folder).mkdir()
        (cwd / folder).chmod(mode)
    env = {k: v for k, v in os.environ.items() if not k.startswith("MAATWERK_")}
    if setup.secrets:
        env.update(dict.fromkeys(SECRETS, "geheim"))
    env["COLUMNS"] = "200"
    args = [a.replace("{cwd}", str(cwd)) for a in ARGUMENTS[case.command]]
    started = time.monotonic()
    try:
        done = subprocess.run(
            [*MAATWERK, "--config", str(config), *case.command, *args],
            cwd=cwd,
            env=env,
            capture_output=True,
            text=True,
            timeout=TIMEOUT,
        )
    except subprocess.TimeoutExpired as exc:
        out = exc.stdout.decode() if isinstance(exc.stdout, bytes) else ""
        err = exc.stderr.decode() if isinstance(exc.stderr, bytes) else ""
        return Result(None, out, err, time.monotonic() - started)
    finally:
        for folder in setup.folders:
            (cwd / folder).chmod(0o700)  # so pytest can remove it
    return Result(done.returncode, done.stdout, done.stderr, time.monotonic() - started)


@pytest.fixture(scope="module")
def results(request, tmp_path_factory) -> dict[str, Result]:
    """Every selected case run once, four processes at a time."""
    from pipeline.config import StoreSettings
    from pipeline.store import open_store

    store = tmp_path_factory.mktemp("store") / "maatwerk.db"
    open_store(StoreSettings(url=f"sqlite:///{store}")).close()
    selected = {
        item.callspec.params["case"].id: item.callspec.params["case"]
        for item in request.session.items
        if item.module is sys.modules[__name__]
        and hasattr(item, "callspec")
        and "case" in item.callspec.params
    }
    todo = [c for c in selected.values() if _skip_reason(c) is None]
    with ThreadPoolExecutor(max_workers=4) as pool:
        futures = {
            case.id: pool.submit(
                _run, case, tmp_path_factory.mktemp("run", numbered=True), store
            )
            for case in todo
        }
        return {key: future.result() for key, future in futures.items()}


# what Python, click, pydantic and the libraries say in English, as whole words
# (an exception's type named in brackets, "(ConnectionRefusedError)", is no word)
# (log level names, DEBUG … ERROR, are values to type and may be named)
ENGLISH = re.compile(
    r"\b(Error|error|Traceback|Exception|No such|Invalid|invalid|not permitted|"
    r"Missing|missing|Usage|Permission denied|[Rr]efused|timed out|[Ff]ailed|"
    r"not found|does not exist|[Uu]nknown|[Cc]annot|could not|must be|is not|"
    r"env var|Expected|at line)\b"
)
DUTCH = re.compile(
    r"\b(de|het|een|is|niet|geen|van|voor|op|zet|kan|bestaat|ontbreekt|klopt|"
    r"opdracht|fout|map)\b",
    re.IGNORECASE,
)


def _assert_dutch(line: str, case: Case) -> None:
    assert not ENGLISH.search(line), (case.id, line)
    assert DUTCH.search(line), (case.id, line)


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_every_command_ends_with_its_exit_code_and_one_dutch_line(case, results):
    if (reason := _skip_reason(case)) is not None:
        pytest.skip(reason)
    r = results[case.id]
    said = f"{case.id}: exit {r.code} in {r.seconds:.1f} s\n{r.stdout}\n{r.stderr}"
    assert r.code is not None, f"no end within {TIMEOUT} s: {said}"
    assert "Traceback" not in r.stdout + r.stderr, said
    assert r.code in set(ExitCode), said
    assert r.code == case.expected, said
    if r.code in (ExitCode.ok, ExitCode.down):
        return  # what a command prints when it works is tested elsewhere
    errors = [line for line in r.stderr.splitlines() if line.strip()]
    assert len(errors) <= 1, said
    if case.command == CHECK:
        # the checklist on stdout: each FOUT in Dutch with what to do
        fouten = [line for line in r.stdout.splitlines() if "FOUT" in line]
        assert fouten, said
        for line in fouten:
            _assert_dutch(line, case)
    elif case.command in GROUPS and errors == []:
        assert "Gebruik: maatwerk" in r.stdout, said  # the group's help
    else:
        assert len(errors) == 1, said
        _assert_dutch(errors[0], case)


def test_every_command_is_in_the_matrix():
    """A new command needs its arguments here, and so meets every broken setup."""
    assert sorted(command_paths()) == sorted(ARGUMENTS)
    for setup in SETUPS:
        for command in setup.touches:
            assert setup.expect(command) in set(ExitCode), (setup.name, command)
    covered = {c.command for c in CASES}
    assert covered == set(ARGUMENTS)


def test_usage_unreadable_form_config_and_outage_have_their_own_codes(tmp_path):
    """The four kinds a script must tell apart end differently; an unreadable form
    (not in the matrix: there the form reads) with one Dutch line."""
    kinds = {
        ExitCode.usage,
        ExitCode.unreadable_form,
        ExitCode.config,
        ExitCode.store_unavailable,
        ExitCode.mail_server_unavailable,
        ExitCode.folder_unavailable,
    }
    assert len({int(k) for k in kinds}) == len(kinds)
    letter = tmp_path / "brief.docx"
    letter.write_text("Beste collega, dit is geen formulier.\n", encoding="utf-8")
    done = subprocess.run(
        [*MAATWERK, "extract", str(letter)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
    )
    assert done.returncode == ExitCode.unreadable_form, done.stderr
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "Traceback" not in done.stderr
    assert not ENGLISH.search(lines[0]) and DUTCH.search(lines[0]), lines


def _readme_exit_codes() -> dict[str, int]:
    text = (REPO / "README.md").read_text(encoding="utf-8")
    section = text.split("\n## Exit codes\n", 1)[1].split("\n## ", 1)[0]
    rows = re.findall(r"^\| (\d+) \| `(\w+)` \| (.+?) \|$", section, re.MULTILINE)
    assert all(meaning.strip() for _, _, meaning in rows)
    return {name: int(code) for code, name, _ in rows}


def test_the_readme_lists_every_exit_code_with_its_number():
    assert _readme_exit_codes() == {code.name: code.value for code in ExitCode}
