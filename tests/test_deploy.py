"""The systemd unit in deploy/: systemd itself finds nothing wrong with it, and the
hardening a reviewer looks for is in the file that ships.

`systemd-analyze verify` checks that ExecStart's program exists and is executable, so
it runs on a copy whose ExecStart points at the `maatwerk` of this test's venv instead
of /opt/maatwerk/venv. User=maatwerk stays as shipped: verify (systemd 252) does not
look users up, so no such user is needed on the machine that runs the test.

systemd-analyze is part of Debian's `systemd` package; without it this test fails
rather than skips, so that CI never passes without having checked the unit.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

UNIT = Path(__file__).resolve().parent.parent / "deploy" / "maatwerk.service"
SHIPPED_EXEC = "/opt/maatwerk/venv/bin/maatwerk"


def systemd_analyze() -> str:
    # /usr/bin also when PATH lacks it (systemd-analyze is not in sbin)
    found = shutil.which("systemd-analyze") or shutil.which(
        "systemd-analyze", path="/usr/bin:/bin"
    )
    if found is None:
        pytest.fail(
            "systemd-analyze not found: install Debian's 'systemd' package"
            " (apt-get install systemd) to check deploy/maatwerk.service"
        )
    return found


def installed_maatwerk() -> Path:
    beside = Path(sys.executable).parent / "maatwerk"
    if beside.is_file() and os.access(beside, os.X_OK):
        return beside
    found = shutil.which("maatwerk")
    if found is None:
        pytest.fail("the maatwerk program is not installed (pip install -e .)")
    return Path(found)


def directives(text: str) -> dict[str, dict[str, list[str]]]:
    """{section: {key: [values in order]}}; a key may appear more than once."""
    sections: dict[str, dict[str, list[str]]] = {}
    current: dict[str, list[str]] | None = None
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("[") and line.endswith("]"):
            current = sections.setdefault(line[1:-1], {})
            continue
        assert current is not None, f"directive outside a section: {line}"
        assert not line.endswith("\\"), f"continued lines are not expected: {line}"
        key, sep, value = line.partition("=")
        assert sep, f"not a directive: {line}"
        current.setdefault(key.strip(), []).append(value.strip())
    return sections


def local_copy(tmp_path: Path, text: str) -> Path:
    """The unit with ExecStart on this venv's maatwerk, as tmp_path/maatwerk.service."""
    exe = installed_maatwerk()
    pattern = re.compile(rf"^ExecStart={re.escape(SHIPPED_EXEC)}(?= )", re.M)
    copied, count = pattern.subn(lambda _: f'ExecStart="{exe}"', text)
    assert count == 1, "deploy/maatwerk.service has no ExecStart on " + SHIPPED_EXEC
    unit = tmp_path / "maatwerk.service"
    unit.write_text(copied, encoding="utf-8")
    return unit


def verify(unit: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [systemd_analyze(), "verify", "--no-pager", str(unit)],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "SYSTEMD_LOG_COLOR": "0", "SYSTEMD_PAGER": ""},
    )


def about_unit(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if "maatwerk" in line]


def test_systemd_analyze_verify_finds_nothing_wrong_with_the_unit(tmp_path):
    unit = local_copy(tmp_path, UNIT.read_text(encoding="utf-8"))
    result = verify(unit)
    output = f"stdout:\n{result.stdout}\nstderr:\n{result.stderr}"
    assert result.returncode == 0, output
    assert about_unit(result.stderr) == [], output


def test_verify_would_report_a_mistyped_directive(tmp_path):
    # verify exits 0 on an unknown key and only warns: the test above must read stderr
    text = UNIT.read_text(encoding="utf-8").replace(
        "\nPrivateTmp=yes\n", "\nPrivateTemp=yes\n"
    )
    result = verify(local_copy(tmp_path, text))
    assert any("PrivateTemp" in line for line in about_unit(result.stderr)), (
        result.stderr
    )


def test_the_shipped_unit_runs_maatwerk_as_its_own_user_with_its_config():
    unit = directives(UNIT.read_text(encoding="utf-8"))
    service = unit["Service"]
    assert service["ExecStart"] == [
        f"{SHIPPED_EXEC} run --config /etc/maatwerk/maatwerk.toml"
    ]
    assert service["User"] == ["maatwerk"]
    assert service["Group"] == ["maatwerk"]
    assert service["WorkingDirectory"] == ["/var/lib/maatwerk"]
    assert service["StateDirectory"] == ["maatwerk"]
    assert service["EnvironmentFile"] == ["-/etc/maatwerk/maatwerk.env"]
    assert "HOME=/var/lib/maatwerk" in service["Environment"]
    assert unit["Install"]["WantedBy"] == ["multi-user.target"]


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("ProtectSystem", "strict"),
        ("NoNewPrivileges", "yes"),
        ("PrivateTmp", "yes"),
        ("ProtectHome", "yes"),
        ("PrivateDevices", "yes"),
        ("ProtectKernelTunables", "yes"),
        ("ProtectKernelModules", "yes"),
        ("ProtectControlGroups", "yes"),
        ("RestrictAddressFamilies", "AF_UNIX AF_INET AF_INET6"),
        ("RestrictSUIDSGID", "yes"),
        ("SystemCallArchitectures", "native"),
        ("UMask", "0027"),
        ("Restart", "on-failure"),
        ("RestartSec", "30"),
        # SIGTERM to the worker alone: a form reader killed mid-read would refuse it
        ("KillMode", "mixed"),
        ("KillSignal", "SIGTERM"),
    ],
)
def test_the_shipped_unit_has_the_hardening(key, value):
    service = directives(UNIT.read_text(encoding="utf-8"))["Service"]
    assert service.get(key) == [value], f"{key}= in deploy/maatwerk.service"


def test_the_shipped_unit_limits_memory_and_writes_only_its_own_folder():
    service = directives(UNIT.read_text(encoding="utf-8"))["Service"]
    assert len(service.get("MemoryMax", [])) == 1
    assert re.fullmatch(r"\d+[KMGT]?", service["MemoryMax"][0]), service["MemoryMax"]
    assert service.get("TasksMax"), "TasksMax= in deploy/maatwerk.service"
    assert service.get("ReadWritePaths") == ["/var/lib/maatwerk"]
