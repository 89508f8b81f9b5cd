"""The pages that show the store: Werkvoorraad (the open cases), Zaak (one case, after a
reason for looking is given), its documents, Register, Aflopend and Monitoring. They
only read, but for the inzage log: every view of a case is noted with who looked and
why."""

from __future__ import annotations

import dataclasses
from datetime import timedelta
from typing import Final

from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import ImmutableMultiDict
from starlette.requests import Request
from starlette.responses import FileResponse, RedirectResponse, Response

from pipeline import store
from pipeline.register.index import contract_row
from pipeline.reports.case import CONTRACT_DOCUMENTS, documents, view_case
from pipeline.reports.monitoring import Monitoring, monitoring
from pipeline.reports.status import CaseRow, case_row
from pipeline.reports.workbook import monitoring_filename, monitoring_workbook
from pipeline.states import CONTRACT_STATES
from pipeline.store import Case
from pipeline.store.views import contracts_ending
from web import charts
from web.auth import Forbidden, Rol, User
from web.guard import checked_form
from web.site import NotFound, Site, case_id_of

WEB: Final = "maatwerk web"  # where a viewing through these pages is noted
PER_PAGE: Final = 100
REMEMBERED_REASONS: Final = 20  # cases whose reason the session keeps
CASE_READERS: Final = (Rol.icm, Rol.beleidsadviseur)


class Pages:
    def __init__(self, site: Site):
        self.site = site

    def werkvoorraad(self, request: Request) -> Response:
        user = self.site.user(request, *CASE_READERS)
        q = request.query_params
        today = self.site.today()
        with self.site.session() as s:
            rows = [
                case_row(s, c, today)
                for c in store.open_cases(s)
                if user.sees(c.gemeente)
            ]
        gemeenten = sorted({r.gemeente for r in rows if r.gemeente})
        states = sorted({r.status for r in rows})
        shown = [r for r in rows if _wanted(r, q, user)]
        shown.sort(key=lambda r: (not r.te_laat, r.uiterlijk or today.max, r.zaak))
        page = max(1, _int(q.get("pagina"), 1))
        return self.site.render(
            request,
            "werkvoorraad.html",
            rows=shown[(page - 1) * PER_PAGE : page * PER_PAGE],
            total=len(shown),
            late=sum(r.te_laat for r in shown),
            page=page,
            pages=max(1, -(-len(shown) // PER_PAGE)),
            gemeenten=gemeenten,
            states=states,
            q=q,
        )

    def zaak(self, request: Request) -> Response:
        user = self.site.user(request)
        case_id = case_id_of(request.path_params["zaak"])
        reden = request.session.get("redenen", {}).get(case_id)
        with self.site.session() as s:
            self._allowed(s, user, case_id)
            if reden is None:
                return self.site.render(
                    request, "reden.html", zaak=case_id, redenen=self._reasons()
                )
            view = view_case(s, case_id, wie=user.login, reden=reden, bron=WEB)
        if user.rol is Rol.backoffice:
            docs = [d for d in view.documents if d.soort in CONTRACT_DOCUMENTS]
            view = dataclasses.replace(view, documents=docs)
        return self.site.render(request, "zaak.html", zaak=view, reden=reden)

    async def reden(self, request: Request) -> Response:
        """The reason for looking at a case, chosen on its first view."""
        user = self.site.user(request)
        case_id = case_id_of(request.path_params["zaak"])
        form = await checked_form(request)
        choice = form.get("reden", "")
        text = form.get("toelichting", "").strip()[:200]
        reason = text if choice == "anders" else choice
        if choice not in (*self._reasons(), "anders") or not reason:
            return self.site.render(
                request,
                "reden.html",
                status=400,
                zaak=case_id,
                redenen=self._reasons(),
                fout="Kies een reden, of kies 'anders' en schrijf de reden op.",
            )
        with self.site.session() as s:
            self._allowed(s, user, case_id)
        remembered = dict(request.session.get("redenen", {}))
        remembered.pop(case_id, None)
        remembered[case_id] = reason
        request.session["redenen"] = dict(
            list(remembered.items())[-REMEMBERED_REASONS:]
        )
        return RedirectResponse(f"/zaak/{case_id}", status_code=303)

    def document(self, request: Request) -> Response:
        user = self.site.user(request)
        case_id = case_id_of(request.path_params["zaak"])
        reden = request.session.get("redenen", {}).get(case_id)
        if reden is None:  # first the reason, on the case's page
            return RedirectResponse(f"/zaak/{case_id}", status_code=303)
        with self.site.session() as s:
            case = self._allowed(s, user, case_id)
            docs = documents(case.id, case.register_dir)
            nr = _int(request.path_params["nr"], 0)
            if not 1 <= nr <= len(docs):
                raise NotFound()
            doc = docs[nr - 1]
            if user.rol is Rol.backoffice and doc.soort not in CONTRACT_DOCUMENTS:
                raise Forbidden()
            store.log_access(
                s, case.id, wie=user.login, actie="gedownload", reden=reden, bron=WEB
            )
        return FileResponse(doc.path, filename=doc.naam)

    async def register(self, request: Request) -> Response:
        """Every contract; searched by a posted form (what is typed stays out of
        addresses and logs), filtered by the address."""
        fields = dict(request.query_params)
        if request.method == "POST":
            fields.update(await checked_form(request))
        return await run_in_threadpool(self._register, request, fields)

    def _register(self, request: Request, q: dict[str, str]) -> Response:
        user = self.site.user(request)
        today = self.site.today()
        with self.site.session() as s:
            cases = [c for c in store.contract_cases(s) if user.sees(c.gemeente)]
        gemeenten = sorted({c.gemeente for c in cases if c.gemeente})
        if q.get("gemeente"):
            cases = [c for c in cases if c.gemeente == q["gemeente"]]
        signed = q.get("getekend")
        if signed in ("ja", "nee"):
            cases = [
                c for c in cases if (c.getekend_op is not None) == (signed == "ja")
            ]
        search = (q.get("zoek") or "").strip().lower()
        if search:
            cases = [c for c in cases if search in _searchable(c)]
        return self.site.render(
            request,
            "register.html",
            rows=[contract_row(c, today) for c in cases],
            gemeenten=gemeenten,
            q=q,
        )

    def aflopend(self, request: Request) -> Response:
        user = self.site.user(request)
        default = self.site.settings.reports.verlopend_weeks
        weeks = min(104, max(1, _int(request.query_params.get("weken"), default)))
        today = self.site.today()
        with self.site.session() as s:
            cases = contracts_ending(s, today, today + timedelta(weeks=weeks))
            rows = [contract_row(c, today) for c in cases if user.sees(c.gemeente)]
        return self.site.render(request, "aflopend.html", rows=rows, weken=weeks)

    def monitoring(self, request: Request) -> Response:
        user = self.site.user(request, *CASE_READERS)
        figures = self._figures(request, user)
        return self.site.render(
            request, "monitoring.html", figures=figures, charts=charts.of(figures)
        )

    def monitoring_xlsx(self, request: Request) -> Response:
        user = self.site.user(request, *CASE_READERS)
        figures = self._figures(request, user)
        name = monitoring_filename(figures)
        return Response(
            monitoring_workbook(figures),
            media_type="application/vnd.openxmlformats-officedocument"
            ".spreadsheetml.sheet",
            headers={"Content-Disposition": f'attachment; filename="{name}"'},
        )

    def _figures(self, request: Request, user: User) -> Monitoring:
        year = _int(request.query_params.get("jaar"), self.site.today().year)
        with self.site.session() as s:
            figures = monitoring(s, year, self.site.mappings)
        own = [f for f in figures.gemeenten if user.sees(f.gemeente)]
        return dataclasses.replace(figures, gemeenten=own)

    def _allowed(self, s: Session, user: User, case_id: str) -> Case:
        """The case, if the user may see it. A beleidsadviseur is refused another
        gemeente's case and a case that does not exist alike (Forbidden: nothing of
        it shown); the backoffice sees contract cases only."""
        case = store.find_case(s, case_id)
        if case is None and user.rol is Rol.icm:
            raise NotFound()
        if case is None or not user.sees(case.gemeente):
            raise Forbidden()
        if user.rol is Rol.backoffice and case.state not in CONTRACT_STATES:
            raise Forbidden()
        return case

    def _reasons(self) -> list[str]:
        return self.site.settings.web.redenen


def _wanted(row: CaseRow, q: ImmutableMultiDict[str, str], user: User) -> bool:
    get = q.get
    if get("gemeente") and row.gemeente != get("gemeente"):
        return False
    if get("status") and row.status != get("status"):
        return False
    if get("spoed") == "spoed" and row.spoed == "nee":
        return False
    if get("spoed") == "crisis" and row.spoed != "crisis":
        return False
    return not (get("mijn") == "ja" and user.login not in row.adressen)


def _int(text: str | None, default: int) -> int:
    try:
        return int(text) if text else default
    except ValueError:
        return default


def _searchable(c: Case) -> str:
    return " ".join(
        filter(None, (c.id, c.aanbieder, c.productcode, c.gemeente))
    ).lower()
