"""What every page of `maatwerk web` shares: the settings, the store (opened once, never
made), the templates (autoescaped: a value is text, never markup), the clock, and the
signed-in user with what their role lets them see."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, Final
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

import jinja2
from sqlalchemy.orm import Session
from starlette.requests import Request
from starlette.responses import HTMLResponse

from pipeline import store
from pipeline.config import Settings
from pipeline.models import Aanvraag
from pipeline.region.profile import Mappings, load_mappings
from pipeline.stages.render import euro as render_euro
from web import charts
from web.auth import Forbidden, Rol, User, signed_in

HERE: Final = Path(__file__).resolve().parent
CASE_ID: Final = re.compile(r"MW-\d{4}-\d{4,6}")


class NotFound(Exception):
    """No such page or case (for a beleidsadviseur: also another gemeente's)."""


class Site:
    def __init__(self, settings: Settings, clock: Callable[[], datetime]) -> None:
        self.settings = settings
        self.zone = ZoneInfo(settings.advice.timezone)
        self.clock = clock
        self.store = store.open_store(settings.store, create=False)
        self._mappings: Mappings | None = None
        self.templates = jinja2.Environment(
            loader=jinja2.FileSystemLoader(HERE / "templates"),
            autoescape=True,
            undefined=jinja2.StrictUndefined,
        )
        self.templates.filters.update(
            datum=self.datum, tijd=self.tijd, euro=euro, pair=lambda v: (v, v)
        )
        self.templates.globals.update(
            query_with=query_with,
            record_fields=self.record_fields,
            document_number=lambda docs, d: docs.index(d) + 1,
            label_x=charts.LABEL_WIDTH - 8,
            bar_x=charts.LABEL_WIDTH,
        )

    @property
    def mappings(self) -> Mappings:
        if self._mappings is None:
            region = self.settings.region
            self._mappings = load_mappings(region.mappings_dir, region.profile)
        return self._mappings

    def today(self) -> date:
        return self.clock().astimezone(self.zone).date()

    @contextmanager
    def session(self) -> Iterator[Session]:
        with self.store.session() as s:
            yield s

    def user(self, request: Request, *roles: Rol) -> User:
        """The signed-in user, who must have one of `roles` (none given: any).
        Raises NotSignedIn, Forbidden."""
        user = signed_in(request, self.settings.web, self.clock().timestamp())
        if roles and user.rol not in roles:
            raise Forbidden()
        return user

    def render(
        self, request: Request, template: str, status: int = 200, **context: Any
    ) -> HTMLResponse:
        user = request.session.get("user")
        page = self.templates.get_template(template).render(
            request=request,
            user=user,
            csrf=request.session.get("csrf", ""),
            **context,
        )
        return HTMLResponse(page, status_code=status)

    def error_page(self) -> bytes:
        """The page shown when something unexpected fails (no user, no request)."""
        page = self.templates.get_template("fout.html")
        return page.render(request=None, user=None, csrf="").encode()

    def datum(self, value: date | datetime | None) -> str:
        if value is None:
            return "—"
        if isinstance(value, datetime):
            value = store.aware(value).astimezone(self.zone).date()
        return f"{value:%d-%m-%Y}"

    def tijd(self, value: datetime | None) -> str:
        if value is None:
            return "—"
        return f"{store.aware(value).astimezone(self.zone):%d-%m-%Y %H:%M}"

    def record_fields(self, record: Aanvraag) -> list[tuple[str, str]]:
        """The record as read, a row per field ("aanbieder – agb code"), in the form's
        order; what was not read shows as "—"."""
        rows: list[tuple[str, str]] = []

        def walk(data: dict[str, Any], prefix: str) -> None:
            for name, value in data.items():
                label = prefix + name.replace("_", " ")
                if isinstance(value, dict):
                    walk(value, label + " – ")
                else:
                    rows.append((label, self.shown(value)))

        walk(record.model_dump(), "")
        return rows

    def shown(self, value: Any) -> str:
        if value is None or value == "" or value == []:
            return "—"
        if isinstance(value, bool):
            return "ja" if value else "nee"
        if isinstance(value, date):
            return self.datum(value)
        if isinstance(value, list):
            return "; ".join(self.shown(v) for v in value)
        return str(value)


def query_with(q: Mapping[str, str], **changes: Any) -> str:
    """The query string `q` with `changes` (for the next page's link)."""
    return urlencode({**dict(q), **{k: str(v) for k, v in changes.items()}})


def euro(value: Decimal | str | None) -> str:
    """An amount as the contract writes it (€ 1.234,50); a stored text as a number."""
    if isinstance(value, str):
        value = Decimal(value) if value else None
    return render_euro(value)


def case_id_of(text: str) -> str:
    """A case number from an address. Raises NotFound for anything else."""
    if not CASE_ID.fullmatch(text):
        raise NotFound()
    return text
