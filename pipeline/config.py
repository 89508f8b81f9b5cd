"""Settings: embedded defaults, replaced key by key by a TOML file.

Every key and its default is documented in `config.example.toml`; a test checks
that file and these defaults agree.
"""

from __future__ import annotations

import re
import tomllib
from datetime import date, time
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from pipeline.errors import ConfigError, os_reason, pydantic_dutch

DEFAULT_CONFIG_NAME = "maatwerk.toml"
# how a connection to a mail server (IMAP, SMTP) is encrypted
Security = Literal["ssl", "starttls", "none"]


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid")


def _web_address(value: str) -> str:
    """A server's address must be a URL (requests and msal refuse anything else only
    when they are first used)."""
    if not value.startswith(("https://", "http://")):
        raise ValueError("moet een webadres zijn (https://…)")
    return value


class StoreSettings(_Section):
    # several workers: postgresql+psycopg://user@host/db
    url: str = "sqlite:///./data/maatwerk.db"
    password_env: str = "MAATWERK_STORE_PASSWORD"  # or ~/.pgpass; never in this file
    # a mail a worker took is left to it this long (then: worker dead)
    lease_seconds: float = 300.0

    @field_validator("url")
    @classmethod
    def _database_url(cls, value: str) -> str:
        from sqlalchemy.engine import make_url
        from sqlalchemy.exc import ArgumentError

        try:
            make_url(value)
        except ArgumentError:  # the value itself is not shown: it may hold a password
            raise ValueError(
                "is geen database-URL, bijv. sqlite:///./data/maatwerk.db of"
                " postgresql+psycopg://maatwerk@dbhost/maatwerk"
            ) from None
        return value


class MailboxSettings(_Section):
    backend: Literal["maildir", "imap", "graph", "ews"] = "maildir"
    address: str = "inkoop@zorginzou.nl"
    display_name: str = "Maatwerk regio ZOU"
    maildir_root: Path = Path("./data/mail")
    processed_folder: str = "Verwerkt"
    poll_seconds: float = 10.0
    message_id_domain: str = "maatwerk.zorginzou.nl"


class MailServerSettings(_Section):
    """A connection to a mail server: what [imap] and [smtp] both have (each its own
    port, encryption and password variable)."""

    host: str = "localhost"
    port: int
    security: Security
    username: str = ""  # default: [mailbox] address
    password_env: str


class ImapSettings(MailServerSettings):
    port: int = 993
    security: Security = "ssl"
    password_env: str = "MAATWERK_IMAP_PASSWORD"
    folder: str = "INBOX"
    sent_folder: str = "Verzonden"  # a copy of every sent mail ("" for none)
    idle: bool = True
    idle_renew_seconds: float = 300.0
    timeout: float = Field(default=30.0, gt=0)


class SmtpSettings(MailServerSettings):
    port: int = 587
    security: Security = "starttls"
    password_env: str = "MAATWERK_SMTP_PASSWORD"
    timeout: float = Field(default=30.0, gt=0)


class GraphSettings(_Section):
    tenant_id: str = ""
    client_id: str = ""
    secret_env: str = "MAATWERK_GRAPH_SECRET"
    mailbox: str = ""  # default: [mailbox] address
    folder: str = "inbox"
    authority: str = "https://login.microsoftonline.com"
    base_url: str = "https://graph.microsoft.com/v1.0"
    scope: str = "https://graph.microsoft.com/.default"
    # a CA file to trust (a TLS-inspecting proxy); empty: the system's
    ca_bundle: str = ""
    timeout: float = Field(default=30.0, gt=0)

    _web_addresses = field_validator("authority", "base_url")(_web_address)


class EwsSettings(_Section):
    endpoint: str = "https://mail.example.nl/EWS/Exchange.asmx"
    username: str = ""  # the service account, e.g. "GEMEENTE\\svc-maatwerk"
    password_env: str = "MAATWERK_EWS_PASSWORD"
    auth_type: Literal["NTLM", "basic", "digest"] = "NTLM"
    server_build: str = "15.1"  # Exchange 2016 = 15.1, 2019 = 15.2
    mailbox: str = ""  # default: [mailbox] address
    # true: ApplicationImpersonation instead of delegate access
    impersonation: bool = False
    pull: bool = True  # pull notifications (cheap GetEvents) instead of plain polling
    pull_seconds: float = 2.0
    rescan_seconds: float = 300.0  # a full look at the inbox at least this often
    subscription_minutes: int = 30
    ca_bundle: str = ""
    timeout: float = Field(default=30.0, gt=0)

    _web_addresses = field_validator("endpoint")(_web_address)


class DropSettings(_Section):
    path: Path = Path("./data/drop")
    polling: bool = False
    poll_seconds: float = 2.0
    stable_seconds: float = 2.0


class RegisterSettings(_Section):
    path: Path = Path("./data/register")


class RegionSettings(_Section):
    profile: str = "zou"
    # the region's own folders, in front of the shipped ones (pipeline/bundled/);
    # None ("" in the file): only the shipped ones
    mappings_dir: Path | None = None
    templates_dir: Path | None = None

    @field_validator("mappings_dir", "templates_dir", mode="before")
    @classmethod
    def _empty_is_none(cls, value: object) -> object:
        return None if value == "" else value


class AdviceSettings(_Section):
    timezone: str = "Europe/Amsterdam"

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"tijdzone '{value}' bestaat niet") from None
        return value

    cutoff: time = time(17, 0)
    days_spoed: int = 2
    days_normal: int = 5
    extra_closed_days: list[str] = []
    reminder_time: time = time(9, 0)
    escalation_time: time = time(9, 0)
    teamleider: list[str] = []
    coordinator_akkoord: bool = False
    # the signed contract not back after this many working days: a reminder
    contract_retour_werkdagen: int = 10

    @field_validator("extra_closed_days")
    @classmethod
    def _dates(cls, value: list[str]) -> list[str]:
        for day in value:
            try:
                date.fromisoformat(day)
            except ValueError:
                raise ValueError(
                    f"'{day}' is geen datum; schrijf bijv. \"2027-12-24\""
                ) from None
        return value


class ReportSettings(_Section):
    verlopend_enabled: bool = True
    verlopend_weeks: int = 8
    verlopend_weekday: Literal[
        "maandag", "dinsdag", "woensdag", "donderdag", "vrijdag", "zaterdag", "zondag"
    ] = "maandag"
    verlopend_time: time = time(8, 0)


class RetentionSettings(_Section):
    """How long a closed case's personal data are kept (then `maatwerk opschonen`, also
    daily)."""

    # after closing: refused/declined at the decision, contracts when their term ended
    months: int = 36
    enabled: bool = True  # the daily run inside `maatwerk run`
    run_at: time = time(2, 0)  # from this local time on, once a day


class IntakeSettings(_Section):
    # addresses or domains ("zeist.nl"); empty: every sender
    allowed_senders: list[str] = []
    max_attachment_mb: float = 25.0
    # files read per mail; more are refused with a reason (the mail is kept)
    max_formulieren: int = Field(default=20, ge=1)
    # a mail failing this often is set aside in Quarantaine, sender and ICM told
    max_pogingen: int = Field(default=3, ge=1)


class SecuritySettings(_Section):
    """When an answer on a case counts (pipeline/workflow/verify.py). `dmarc`:
    "indien_aanwezig" — where the receiving server wrote an Authentication-Results
    header, DMARC must have passed (or Exchange marked the mail internal); "vereist" —
    also when it wrote none; "uit" — not read.
    """

    dmarc: Literal["indien_aanwezig", "vereist", "uit"] = "indien_aanwezig"
    # authserv-ids of the region's own mail servers; empty: the topmost header
    vertrouwde_servers: list[str] = []


class OcrSettings(_Section):
    languages: str = "nld+tur"


class LimitSettings(_Section):
    """What reading one file may cost (pipeline/sandbox.py runs each reading in a child
    process)."""

    # the child's data memory (RLIMIT_DATA), and that of each program it starts
    memory_mb: int = 1024
    # CPU time of the child and of each program it starts (RLIMIT_CPU)
    cpu_seconds: int = 60
    # the whole reading, programs included: then the child is killed
    wall_seconds: float = 60.0
    max_pages: int = 50  # a PDF with more pages is refused before anything is read
    # a page is rendered for OCR only when it stays under this
    max_page_megapixels: float = 40.0
    # a Word package, counted while unpacking (a form is well under 5 MB)
    max_unpacked_mb: int = 50


class WebSettings(_Section):
    """`maatwerk web`: where it listens, how staff sign in (OpenID Connect) and what
    each may see. Roles are given by e-mail address or by group ("groep:<id>", the
    group claim of the ID token: object ids in Microsoft Entra ID)."""

    host: str = "127.0.0.1"
    port: int = Field(default=8080, ge=1, le=65535)
    base_url: str = (
        "http://127.0.0.1:8080"  # as users open it (https:// behind a proxy)
    )
    issuer: str = ""  # e.g. https://login.microsoftonline.com/<tenant-id>/v2.0
    client_id: str = ""
    secret_env: str = "MAATWERK_OIDC_SECRET"
    session_key_env: str = "MAATWERK_WEB_SESSIE_SLEUTEL"  # unset: new at every start
    groups_claim: str = "groups"
    session_minutes: float = Field(default=480.0, gt=0)
    icm: list[str] = []
    backoffice: list[str] = []
    beleidsadviseurs: dict[str, list[str]] = {}  # gemeente → e-mail addresses, groups
    redenen: list[str] = [
        "behandeling van de aanvraag",
        "advies",
        "contractbeheer",
        "vraag of klacht van de gemeente of aanbieder",
        "verzoek van de betrokkene (inzage)",
    ]

    _base_url = field_validator("base_url", "issuer")(
        lambda v: _web_address(v) if v else v
    )
    _who = field_validator("icm", "backoffice")(lambda v: [_person(e) for e in v])
    _advisers = field_validator("beleidsadviseurs")(
        lambda v: {g: [_person(e) for e in entries] for g, entries in v.items()}
    )


def _person(entry: str) -> str:
    """Who may sign in: an e-mail address or "groep:<id>"."""
    if "@" not in entry and not entry.startswith("groep:"):
        raise ValueError(f"'{entry}' is geen e-mailadres en geen groep:<id>")
    return entry


class ReadSettings(BaseModel):
    """What reading one form needs from the settings: the OCR languages and the
    limits (`Settings.reading`; the defaults when none are given)."""

    ocr: OcrSettings = OcrSettings()
    limits: LimitSettings = LimitSettings()


class Settings(_Section):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    store: StoreSettings = StoreSettings()
    mailbox: MailboxSettings = MailboxSettings()
    imap: ImapSettings = ImapSettings()
    smtp: SmtpSettings = SmtpSettings()
    graph: GraphSettings = GraphSettings()
    ews: EwsSettings = EwsSettings()
    drop: DropSettings = DropSettings()
    region: RegionSettings = RegionSettings()
    advice: AdviceSettings = AdviceSettings()
    ocr: OcrSettings = OcrSettings()
    limits: LimitSettings = LimitSettings()
    intake: IntakeSettings = IntakeSettings()
    security: SecuritySettings = SecuritySettings()
    reports: ReportSettings = ReportSettings()
    retention: RetentionSettings = RetentionSettings()
    web: WebSettings = WebSettings()
    # BaseModel has .register
    register_: RegisterSettings = Field(default=RegisterSettings(), alias="register")
    log_level: str = "INFO"

    @property
    def reading(self) -> ReadSettings:
        return ReadSettings(ocr=self.ocr, limits=self.limits)


def load_settings(path: Path | None = None) -> Settings:
    """Read `path` (or ./maatwerk.toml when present); no file means the defaults.

    Raises ConfigError when `path` is missing, is no TOML, or holds an unknown key or
    a wrong value."""
    if path is None:
        candidate = Path(DEFAULT_CONFIG_NAME)
        if not candidate.exists():
            return Settings()
        path = candidate
    try:
        data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"Configuratiebestand niet gevonden: {path}") from None
    except UnicodeDecodeError:
        raise ConfigError(
            f"Configuratiebestand {path} is geen tekst in UTF-8; sla het op als UTF-8."
        ) from None
    except OSError as exc:
        raise ConfigError(
            f"Configuratiebestand {path} is niet te lezen: {os_reason(exc)}."
        ) from None
    except tomllib.TOMLDecodeError as exc:
        # tomllib's own text is English: where it stumbled is what a user needs
        where = re.search(r"line (\d+), column (\d+)", str(exc))
        at = f" (regel {where.group(1)}, kolom {where.group(2)})" if where else ""
        raise ConfigError(
            f"Configuratiebestand {path} is geen geldige TOML{at}; zie"
            " config.example.toml voor de schrijfwijze."
        ) from None
    try:
        settings = Settings.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc'])}: {pydantic_dutch(e)}"
            for e in exc.errors()
        )
        raise ConfigError(
            f"Configuratiebestand {path} klopt niet: {problems}"
        ) from None
    return settings
