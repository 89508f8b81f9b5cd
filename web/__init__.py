"""`maatwerk web`: pages for ICM, the beleidsadviseurs and the backoffice over the store
and register the workers use. Server-rendered HTML (Starlette, Jinja2), styled with the
NL Design System's Utrecht components, vendored under web/static/vendor/; signing in
by OpenID Connect.

    app      the addresses, signing in and out, error pages
    auth     OpenID Connect, roles, the session
    guard    security headers, CSRF, the access log
    site     what the pages share: store, templates, clock, the signed-in user
    pages    Werkvoorraad, Zaak, documents, Register, Aflopend, Monitoring
    held     Quarantaine and its actions
    charts   the Monitoring charts' bars
"""

from web.app import create_app

__all__ = ["create_app"]
