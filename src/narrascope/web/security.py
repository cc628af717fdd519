"""Security for the web app: headers, request size limit, optional bearer token, generic errors.

Article text and metadata are untrusted input. Templates escape everything (Jinja2
autoescape); the Content-Security-Policy below is the second line of defence: no
inline script runs, nothing loads from another origin.
"""

from __future__ import annotations

import hmac
import json
import logging
from urllib.parse import quote

CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; style-src-attr 'unsafe-inline'; "
       "img-src 'self' data:; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")
SECURITY_HEADERS = [
    (b"content-security-policy", CSP.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
    (b"cross-origin-opener-policy", b"same-origin"),
]
MAX_BODY_BYTES = 2_000_000
ERROR_PAGE = ("<!doctype html><title>narrascope: error</title><link rel=stylesheet href=/static/app.css>"
              "<main><h1>Something went wrong</h1><p>The server hit an internal error; its log has the details.</p>"
              "<p><a href=/>Back to the overview</a></p></main>")
log = logging.getLogger("narrascope.web")
TOKEN_COOKIE = "narrascope_token"
OPEN_PATHS = ("/static/", "/login", "/favicon.ico")  # reachable without the token


def token_matches(given: str | None, token: str) -> bool:
    return given is not None and hmac.compare_digest(given.encode(), token.encode())


def request_token(headers: dict[bytes, bytes]) -> str | None:
    """The bearer token of the Authorization header, else the login cookie's value."""
    auth = headers.get(b"authorization", b"").decode("latin-1")
    if auth[:7].lower() == "bearer ":
        return auth[7:].strip()
    for part in headers.get(b"cookie", b"").decode("latin-1").split(";"):
        name, _, value = part.strip().partition("=")
        if name == TOKEN_COOKIE:
            return value
    return None


class SecurityMiddleware:
    """Pure ASGI middleware: token check, body size cap, security headers on every response."""

    def __init__(self, app, token: str | None = None, max_body: int = MAX_BODY_BYTES):
        self.app = app
        self.token = token or None
        self.max_body = max_body

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        headers = dict(scope.get("headers") or [])
        path = scope.get("path", "")
        # HEAD is GET without the body (monitors, `curl -I`): the routes only declare GET.
        head = scope.get("method") == "HEAD"
        if head:
            scope = {**scope, "method": "GET"}

        started = False

        async def send_with_headers(message):
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                message = {**message, "headers": [*message.get("headers", []), *SECURITY_HEADERS]}
            elif head and message["type"] == "http.response.body":
                message = {**message, "body": b""}
            await send(message)

        if self.token and not path.startswith(OPEN_PATHS) and not token_matches(request_token(headers), self.token):
            if not wants_html(headers, path):
                return await _json(send_with_headers, 401, {"error": "unauthorised: give the token as 'Authorization: Bearer TOKEN'"},
                                   extra=[(b"www-authenticate", b"Bearer")])
            target = quote(path + ("?" + scope["query_string"].decode("latin-1") if scope.get("query_string") else ""), safe="")
            return await _redirect(send_with_headers, f"/login?next={target}")

        length = headers.get(b"content-length")
        if length is not None:
            try:
                too_big = int(length) > self.max_body
            except ValueError:
                return await _json(send_with_headers, 400, {"error": "bad Content-Length header"})
            if too_big:
                return await _json(send_with_headers, 413, {"error": f"request body over the {self.max_body:,} byte limit"})

        received = 0
        over = False

        async def capped_receive():
            nonlocal received, over
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_body:
                    over = True
                    raise BodyTooLarge()
            return message

        try:
            await self.app(scope, capped_receive, send_with_headers)
        except BodyTooLarge:
            if not over or started:
                raise
            await _json(send_with_headers, 413, {"error": f"request body over the {self.max_body:,} byte limit"})
        except Exception:  # noqa: BLE001 - never a stack trace to the client; the log keeps it
            log.exception("error while serving %s %s", scope.get("method"), path)
            if started:
                return
            if wants_html(headers, path):
                await _html(send_with_headers, 500, ERROR_PAGE)
            else:
                await _json(send_with_headers, 500, {"error": "internal error; the server log has the details"})


def wants_html(headers: dict[bytes, bytes], path: str) -> bool:
    return not path.startswith("/api/") and b"text/html" in headers.get(b"accept", b"")


class BodyTooLarge(Exception):
    pass


async def _json(send, status: int, payload: dict, extra: list | None = None) -> None:
    body = json.dumps(payload).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()), *(extra or [])]})
    await send({"type": "http.response.body", "body": body})


async def _redirect(send, location: str) -> None:
    await send({"type": "http.response.start", "status": 303,
                "headers": [(b"location", location.encode("latin-1")), (b"content-length", b"0")]})
    await send({"type": "http.response.body", "body": b""})


async def _html(send, status: int, page: str) -> None:
    body = page.encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"text/html; charset=utf-8"), (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})
