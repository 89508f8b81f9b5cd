"""kill -9 trials: a 50-mail inbox handled by the real `maatwerk run --once`, killed
with SIGKILL at a random moment (one to three times), then run until done; after each
trial everything is counted: one case per form, each advice request sent exactly once,
the referrer one receipt per case, nothing left in the inbox or unsent, no partial or
orphan file in the register.

    python -m bench.kill_trials                 # 100 trials of 50 mails
    python -m bench.kill_trials --trials 5 --mails 20

Appends its counts to bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime
from email.parser import BytesHeaderParser
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import inputs  # noqa: E402
from bench.results import append_results  # noqa: E402
from pipeline import store  # noqa: E402
from pipeline.mail import MaildirPostOffice  # noqa: E402

INKOOP = "inkoop@zorginzou.nl"
REFERRER = "s.devries@zeist.nl"


def _start(root: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "maatwerk", "run", "--once"],
        cwd=root,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def _headers(office: MaildirPostOffice, address: str) -> list:
    box = office.maildir(address)
    parser = BytesHeaderParser()
    return [parser.parsebytes(box.get_bytes(k)) for k in box.iterkeys()]


def _inbox(office: MaildirPostOffice) -> list[str]:
    """The keys of the mails still in the inbox."""
    return list(office.maildir(INKOOP).iterkeys())


def _kill_at_random(root: Path, rng: random.Random, full_run: float) -> int:
    """Start `maatwerk run --once` one to three times, each killed with SIGKILL at a
    random moment if it is still running then; returns how many were killed."""
    kills = 0
    for _ in range(rng.randint(1, 3)):
        proc = _start(root)
        time.sleep(rng.uniform(0.2, full_run))
        if proc.poll() is None:
            os.kill(proc.pid, signal.SIGKILL)
            kills += 1
        proc.wait()
    return kills


def _run_until_done(root: Path, office: MaildirPostOffice) -> None:
    """Restart until a run ends by itself with the inbox empty (at most five runs)."""
    runs = 0
    while True:
        runs += 1
        done = subprocess.run(
            [sys.executable, "-m", "maatwerk", "run", "--once"],
            cwd=root,
            capture_output=True,
            timeout=900,
        )
        if done.returncode == 0 and not _inbox(office) or runs >= 5:
            break


def _advice_requests(root: Path, office: MaildirPostOffice) -> Counter[str]:
    """How many different advice requests each case sent (over every mailbox but the
    inbox)."""
    boxes = [
        d.name
        for d in (root / "data" / "mail").iterdir()
        if d.is_dir() and d.name != INKOOP
    ]
    requests = {
        (str(h["X-Maatwerk-Zaak"]), str(h["Message-ID"]))
        for a in boxes
        for h in _headers(office, a)
        if "Adviesaanvraag" in str(h["Subject"])
    }  # a copy in Cc is the same mail
    return Counter(case for case, _ in requests)


def _receipts(office: MaildirPostOffice) -> Counter[str]:
    """How many receipts the referrer got for each case."""
    return Counter(
        str(h["X-Maatwerk-Zaak"])
        for h in _headers(office, REFERRER)
        if "maatwerkovereenkomst ontvangen" in str(h["Subject"])
    )


def _orphans(register: Path, files: list[Path], case_ids: set[str]) -> list[Path]:
    """Files under a case folder of no case. (What a killed run filed before its commit
    is moved to _onderbroken/ by the next run: kept on purpose, not an orphan.)"""
    return [
        p
        for p in files
        if p.relative_to(register).parts[0] != "_onderbroken"
        and p.parent.name.startswith("MW-")
        and p.parent.name not in case_ids
    ]


def _count(root: Path, office: MaildirPostOffice, mails: int, kills: int) -> dict:
    """Everything a trial is judged by, counted in its directory after the last run."""
    st = store.Store(f"sqlite:///{root / 'data' / 'maatwerk.db'}")
    with st.session() as s:
        cases = store.open_cases(s)
        unsent = len(store.unsent_mails(s))
    st.close()
    asked = _advice_requests(root, office)
    receipts = _receipts(office)
    register = root / "data" / "register"
    files = [p for p in register.rglob("*") if p.is_file()]
    case_ids = {c.id for c in cases}
    orphans = _orphans(register, files, case_ids)
    return {
        "kills": kills,
        "cases": len(cases),
        "left": len(_inbox(office)),
        "unsent": unsent,
        "asked_twice": sum(1 for v in asked.values() if v != 2),
        "receipts_wrong": (
            sum(1 for v in receipts.values() if v != 1)
            + (len(case_ids) - len(receipts))
        ),
        "partial": len([p for p in files if p.name.startswith(".tmp-")]),
        "orphans": len(orphans),
        "ok": (
            len(cases) == mails
            and all(v == 2 for v in asked.values())
            and len(asked) == mails
            and not _inbox(office)
            and unsent == 0
            and not orphans
        ),
    }


def trial(
    n: int, mails: int, rng: random.Random, forms: list[bytes], full_run: float
) -> dict:
    """One trial: a `mails`-mail inbox, killed at random, run until done, counted."""
    with tempfile.TemporaryDirectory(prefix=f"maatwerk-kill{n}-") as tmp:
        root = Path(tmp)
        office = MaildirPostOffice(root / "data" / "mail")
        for i in range(mails):
            office.maildir(INKOOP).add(inputs.mail(forms[i], i))
        kills = _kill_at_random(root, rng, full_run)
        _run_until_done(root, office)
        return _count(root, office, mails, kills)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--trials", type=int, default=100)
    ap.add_argument("--mails", type=int, default=50)
    ap.add_argument("--seed", type=int, default=20261202)
    args = ap.parse_args()
    rng = random.Random(args.seed)
    forms = [
        (inputs.template_docx if i % 2 else inputs.legacy_docx)(i)
        for i in range(args.mails)
    ]  # all different
    started = time.monotonic()
    first = trial(
        -1, args.mails, random.Random(0), forms, 0.0
    )  # no kill: how long a full run takes
    full_run = time.monotonic() - started
    results = []
    for n in range(args.trials):
        r = trial(n, args.mails, rng, forms, full_run)
        results.append(r)
        print(f"trial {n + 1}/{args.trials}: {r}", flush=True)
    total = {k: sum(r[k] for r in results) for k in results[0] if k != "ok"}
    failed = [i for i, r in enumerate(results) if not r["ok"]]
    line = (
        f"\n## kill -9 trials ({datetime.now(UTC):%Y-%m-%d}, {platform.machine()},"
        f" {os.cpu_count()} cores)\n\n`python -m bench.kill_trials --trials"
        f" {args.trials} --mails {args.mails}`: {args.trials} trials of a"
        f" {args.mails}-mail inbox, {total['kills']} SIGKILLs at random moments (a full"
        f" run takes {full_run:.0f} s; the baseline run: {first['cases']} cases)."
        f" Trials with everything right: {args.trials - len(failed)}/{args.trials};"
        " summed over all trials: cases short"
        f" {args.trials * args.mails - total['cases']}, mails left in the inbox"
        f" {total['left']}, unsent {total['unsent']}, cases whose advice requests were"
        f" not exactly two {total['asked_twice']}, receipts not exactly one"
        f" {total['receipts_wrong']}, partial files {total['partial']}, orphan files"
        f" {total['orphans']}.\n"
    )
    print(line)
    append_results(line)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
