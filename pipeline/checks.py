"""`maatwerk check`: is this installation ready to go live? Each check tries the real
thing once — the region profile and every template filled, a login on the mailbox, the
store and its schema, the folders, tesseract and LibreOffice — and says what it saw or
what is wrong and how to fix it, in Dutch. Nothing is sent unless asked for.
"""

from __future__ import annotations

import os
import shutil
import smtplib
import tempfile
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from docx.opc.exceptions import PackageNotFoundError
from jinja2 import ChainableUndefined, Environment, TemplateError, TemplateSyntaxError
from sqlalchemy import create_engine
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

from pipeline import bundled
from pipeline.config import Settings
from pipeline.errors import MaatwerkError, os_reason

MIN_FREE_MB = 1024  # a folder with less free space fails the check
# the fix of a failure a check did not foresee
FIX_MELDING = "Los op wat de melding zegt en draai 'maatwerk check' opnieuw."
FIX_UNEXPECTED = (
    "Draai 'maatwerk check' opnieuw; blijft deze fout, meld hem dan met deze regel"
    " bij de leverancier van maatwerk."
)


@dataclass(frozen=True)
class Finding:
    what: str  # what was checked, e.g. "Mailbox (IMAP)"
    ok: bool
    detail: str  # what was seen, or what is wrong
    fix: str = ""  # how to make it right (when not ok)


Check = Callable[[Settings], str]


class Failed(Exception):
    """A check's failure with how to fix it."""

    def __init__(self, detail: str, fix: str):
        super().__init__(detail)
        self.detail, self.fix = detail, fix


def run_checks(settings: Settings, send_test: str | None = None) -> list[Finding]:
    """Every check, in order; each one's failure is its own finding."""
    checks: list[tuple[str, Check]] = [
        (f"Regioprofiel '{settings.region.profile}'", region),
        ("Documentsjablonen", documents),
        ("Mailsjablonen", mail_templates),
        (f"Mailbox ({settings.mailbox.backend})", mailbox_login),
        ("Database", database),
        ("Mappen", folders),
        ("Tekstherkenning (tesseract)", ocr),
        ("LibreOffice", libreoffice),
    ]
    if send_test:
        checks.append((f"Testmail aan {send_test}", test_mail(send_test)))
    findings = []
    for what, check in checks:
        try:
            findings.append(Finding(what, True, check(settings)))
        except Failed as exc:
            findings.append(Finding(what, False, exc.detail, exc.fix))
        except MaatwerkError as exc:
            findings.append(Finding(what, False, exc.melding, FIX_MELDING))
        except Exception as exc:  # a check must never stop the others
            findings.append(
                Finding(
                    what,
                    False,
                    f"onverwachte fout ({type(exc).__name__})",
                    FIX_UNEXPECTED,
                )
            )
    return findings


def region(settings: Settings) -> str:
    from pipeline.region.profile import load_mappings

    try:
        m = load_mappings(settings.region.mappings_dir, settings.region.profile)
    except MaatwerkError as exc:
        folders = bundled.search_path(settings.region.mappings_dir, bundled.MAPPINGS)
        known = sorted({p.stem for f in folders for p in f.glob("regions/*.toml")})
        raise Failed(
            exc.melding,
            f"Kies in [region] profile een van: {', '.join(known) or 'geen'}; of zet"
            " het profiel als regions/<naam>.toml in [region] mappings_dir.",
        ) from None
    return (
        f"{m.region.naam}: {len(m.region.gemeenten)} gemeente(n),"
        f" {len(m.region.stappen)} adviesstap(pen), tabellen uit {m.root}"
    )


def documents(settings: Settings) -> str:
    """Every .docx template filled once (a sample for each placeholder)."""
    from pipeline.stages.render import Renderer

    renderer = Renderer(settings.region.templates_dir)
    names = sorted(
        {p.stem for f in renderer.folders for p in f.glob("*.docx")}
        - {"aanvraagformulier"}  # the blank form staff are handed, not filled here
    )
    for name in names:
        try:
            renderer.render(name, {v: "voorbeeld" for v in renderer.undeclared(name)})
        except (
            TemplateError,
            OSError,
            ValueError,
            KeyError,
            zipfile.BadZipFile,
            PackageNotFoundError,
        ) as exc:
            raise Failed(
                f"{renderer.path(name)} is niet te vullen: {_reason(exc)}",
                "Herstel het sjabloon (Jinja-velden tussen {{ }}) of haal het weg uit"
                " [region] templates_dir; dan geldt het meegeleverde.",
            ) from None
    return f"{len(names)} gevuld: {', '.join(names)}"


def mail_templates(settings: Settings) -> str:
    """Every mail template parsed and filled once, each starting with its subject."""
    folders = [
        f / "mail"
        for f in bundled.search_path(settings.region.templates_dir, bundled.TEMPLATES)
    ]
    env = Environment(undefined=ChainableUndefined, autoescape=False)
    names = sorted({p.name for f in folders for p in f.glob("*.txt")})
    for name in names:
        path = bundled.find(folders, name)
        try:
            text = env.from_string(path.read_text(encoding="utf-8")).render()
        except (TemplateError, OSError, UnicodeDecodeError) as exc:
            raise Failed(
                f"{path} is niet te vullen: {_reason(exc)}",
                "Herstel het sjabloon of haal het weg; dan geldt het meegeleverde.",
            ) from None
        if not text.startswith("Onderwerp:"):
            raise Failed(
                f"{path} begint niet met 'Onderwerp: …'",
                "Zet het onderwerp van de mail op de eerste regel.",
            )
    return f"{len(names)} gelezen en gevuld"


def _reason(exc: Exception) -> str:
    """Why a template could not be filled, in Dutch (Jinja's and python-docx's own
    messages are English)."""
    if isinstance(exc, TemplateSyntaxError):
        return f"de Jinja-opmaak klopt niet op regel {exc.lineno}"
    if isinstance(exc, TemplateError):
        return f"Jinja kan het niet vullen ({type(exc).__name__})"
    if isinstance(exc, (zipfile.BadZipFile, PackageNotFoundError)):
        return "geen Word-bestand (.docx)"
    if isinstance(exc, UnicodeDecodeError):
        return "geen UTF-8-tekst"
    if isinstance(exc, OSError):
        return os_reason(exc)
    return f"onleesbaar ({type(exc).__name__})"


def mailbox_login(settings: Settings) -> str:
    from pipeline.mail import open_mailbox

    mailbox = open_mailbox(settings)
    try:
        return mailbox.check()
    except MaatwerkError as exc:
        raise Failed(exc.melding, _mailbox_fix(settings)) from None
    finally:
        mailbox.close()


def _mailbox_fix(settings: Settings) -> str:
    """What to look at when the mailbox check fails, for the configured backend."""
    backend = settings.mailbox.backend
    if backend == "imap":
        return (
            "Controleer [imap] en [smtp] (host, port, security, username), of de"
            " mailserver draait, en het wachtwoord in de omgevingsvariabele"
            f" {settings.imap.password_env} (en {settings.smtp.password_env})."
        )
    if backend == "graph":
        return (
            "Controleer [graph] tenant_id, client_id, authority en base_url, de client"
            f" secret in de omgevingsvariabele {settings.graph.secret_env}, en of de"
            " app toegang heeft tot de mailbox (README, 'Mail backends')."
        )
    if backend == "ews":
        return (
            "Controleer [ews] endpoint, username en auth_type, of Exchange"
            " bereikbaar is, en het wachtwoord in de omgevingsvariabele"
            f" {settings.ews.password_env}."
        )
    return "Controleer [mailbox] maildir_root: de map moet er zijn en schrijfbaar."


def database(settings: Settings) -> str:
    """Reachable, and its schema this version's; a missing SQLite file is made by the
    first `maatwerk run` (its folder must be writable)."""
    from pipeline.store import schema_problem, schema_revisions

    url = make_url(settings.store.url)
    shown = url.render_as_string()
    if url.get_backend_name() == "sqlite" and url.database not in (None, ":memory:"):
        db = Path(url.database or "")
        if not db.exists():
            _writable(db.parent if db.parent.exists() else db.parent.parent)
            return f"{db.resolve()} bestaat nog niet; 'maatwerk run' maakt hem"
    password = os.environ.get(settings.store.password_env)
    engine = create_engine(url.set(password=password) if password else url)
    try:
        current, head = schema_revisions(engine)
    except SQLAlchemyError as exc:
        raise Failed(
            f"{shown} is niet bereikbaar ({type(exc).__name__})",
            "Controleer [store] url, of de databaseserver draait, en het wachtwoord"
            f" in de omgevingsvariabele {settings.store.password_env} (of ~/.pgpass).",
        ) from None
    finally:
        engine.dispose()
    if problem := schema_problem(current, head):
        if current is None:
            return f"{shown}: bereikbaar; {problem}"
        raise Failed(f"{shown}: {problem}", "Zie README, 'Als dienst draaien'.")
    return f"{shown}: bereikbaar, schema {current} (actueel)"


def folders(settings: Settings) -> str:
    paths = {
        "register": settings.register_.path,
        "dropmap": settings.drop.path,
    }
    if settings.mailbox.backend == "maildir":
        paths["mailmappen"] = settings.mailbox.maildir_root
    seen = []
    for name, path in paths.items():
        free = _writable(path)
        seen.append(f"{name} {path.resolve()} ({free // 1024} GB vrij)")
    return "; ".join(seen)


def _writable(path: Path) -> int:
    """`path` made when missing, a file written in it and removed; its free MB. Raises
    Failed."""
    try:
        path.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=path, prefix=".maatwerk-check-"):
            pass
        free = shutil.disk_usage(path).free // 2**20
    except OSError as exc:
        raise Failed(
            f"{path.resolve()}: niet te schrijven ({os_reason(exc)})",
            "Maak de map aan en geef de gebruiker van maatwerk schrijfrechten (bij de"
            " dienst ook in ReadWritePaths).",
        ) from None
    if free < MIN_FREE_MB:
        raise Failed(
            f"{path.resolve()}: nog maar {free} MB vrij",
            f"Maak ruimte: minstens {MIN_FREE_MB} MB.",
        )
    return free


def ocr(settings: Settings) -> str:
    from pipeline.readers.tesseract import installed_languages

    have = installed_languages()
    if not have:
        raise Failed(
            "tesseract is niet geïnstalleerd: scans worden niet gelezen",
            "apt-get install tesseract-ocr tesseract-ocr-nld",
        )
    wanted = settings.ocr.languages.split("+")
    missing = [lang for lang in wanted if lang not in have]
    if "nld" in missing:
        raise Failed(
            "tesseract kent geen Nederlands ('nld')",
            "apt-get install tesseract-ocr-nld",
        )
    return f"talen {'+'.join(lang for lang in wanted if lang in have)}" + (
        f" (niet geïnstalleerd, overgeslagen: {', '.join(missing)})" if missing else ""
    )


def libreoffice(settings: Settings) -> str:
    """A small document converted to PDF, as the contract is."""
    from docx import Document

    from pipeline.convert import soffice, to_pdf
    from pipeline.errors import ConversionFailed

    if soffice() is None:
        raise Failed(
            "LibreOffice (soffice) is niet gevonden: geen PDF van het contract, geen"
            " .doc/.odt/.rtf-formulieren",
            "apt-get install libreoffice-writer-nogui (of zet MAATWERK_SOFFICE)",
        )
    import io

    doc, buf = Document(), io.BytesIO()
    doc.add_paragraph("maatwerk check")
    doc.save(buf)
    try:
        pdf = to_pdf({"check": buf.getvalue()})["check"]
    except ConversionFailed as exc:
        raise Failed(exc.melding, "Start soffice eens met de hand.") from None
    return f"{soffice()}: een document omgezet naar PDF ({len(pdf) // 1024} kB)"


def test_mail(address: str) -> Check:
    def send(settings: Settings) -> str:
        from pipeline.mail import MailComposer, open_mailbox

        composer = MailComposer(
            settings.region.templates_dir,
            settings.mailbox.address,
            settings.mailbox.display_name,
            settings.mailbox.message_id_domain,
        )
        mail = composer.compose(
            "testbericht",
            {"afzender": settings.mailbox.address},
            to=[address],
            kind="testbericht",
        )
        mailbox = open_mailbox(settings)
        try:
            mailbox.send(mail.raw, mail.recipients)
        except MaatwerkError as exc:
            raise Failed(exc.melding, _mailbox_fix(settings)) from None
        except smtplib.SMTPException as exc:  # the server answers and refuses
            raise Failed(
                f"de SMTP-server weigert de testmail ({type(exc).__name__})",
                f"Controleer het adres {address}, en of de server mail van"
                f" {settings.mailbox.address} aanneemt ([smtp] username).",
            ) from None
        finally:
            mailbox.close()
        return f"verstuurd ({mail.message_id})"

    return send
