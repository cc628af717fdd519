"""Fetch one URL safely: public addresses only, bounded size and time, manual redirects.

Every connection goes through :class:`_GuardedBackend`, which resolves the host,
refuses it if any address is not public, and connects to the address it checked,
so a second DNS answer cannot slip a private address in (DNS rebinding).
"""

from __future__ import annotations

import functools
import ipaddress
import socket
import ssl
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from urllib.parse import urljoin, urlsplit

import httpcore
import httpx

from ..errors import FetchError
from .options import ReadOptions, format_size, size_problem
from .sniff import binary_kind, markup_kind

_REDIRECT_STATUSES = {301, 302, 303, 307, 308}
_ACCEPT = (
    "text/html,application/xhtml+xml,application/rss+xml,application/atom+xml,"
    "application/xml;q=0.9,text/plain;q=0.8,application/pdf;q=0.7,*/*;q=0.5"
)
_HTML_TYPES = {"text/html", "application/xhtml+xml"}
_FEED_TYPES = {"application/rss+xml", "application/atom+xml", "application/rdf+xml", "application/rss", "text/rss+xml"}
_XML_TYPES = {"text/xml", "application/xml"}
_UNTYPED = {"", "application/octet-stream", "binary/octet-stream", "application/unknown"}


@dataclass
class FetchedPage:
    """A successful download."""

    url: str  # as requested
    final_url: str  # after redirects
    status: int
    content_type: str  # media type, lower case, without parameters ("" when absent)
    charset: str | None  # from the Content-Type header
    body: bytes
    fetched_at: str  # ISO 8601, UTC


def is_url(source: str) -> bool:
    """True for an ``http://`` or ``https://`` address."""
    return source[:8].lower().startswith(("http://", "https://"))


def check_address(host: str, allow_private: bool = False) -> list[str]:
    """Resolve ``host`` and return its addresses; raise FetchError if any is not public."""
    host = host.strip("[]")
    try:
        infos = socket.getaddrinfo(host, None, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise FetchError(host, f"could not resolve host {host} ({exc})") from None
    addresses = list(dict.fromkeys(info[4][0] for info in infos))
    if not allow_private:
        for address in addresses:
            kind = non_public_kind(address)
            if kind:
                raise FetchError(host, f"refused: {address} is {kind} (use --allow-private to allow)")
    return addresses


def non_public_kind(address: str) -> str | None:
    """"a loopback address", "a private address", ... or None for a public address."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])  # drop an IPv6 zone id
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    for test, kind in (
        (ip.is_unspecified, "an unspecified address"),
        (ip.is_loopback, "a loopback address"),
        (ip.is_link_local, "a link-local address"),
        (ip.is_multicast, "a multicast address"),
        (ip.is_reserved, "a reserved address"),
        (ip.is_private, "a private address"),
        (not ip.is_global, "not a public address"),
    ):
        if test:
            return kind
    return None


class _GuardedBackend(httpcore.SyncBackend):
    """Connects only to addresses that :func:`check_address` accepted."""

    def __init__(self, allow_private: bool):
        self.allow_private = allow_private

    def connect_tcp(self, host, port, timeout=None, local_address=None, socket_options=None):  # noqa: ANN001 - httpcore API
        last_error: Exception | None = None
        for address in check_address(host, self.allow_private):
            try:
                return super().connect_tcp(address, port, timeout, local_address, socket_options)
            except httpcore.ConnectError as exc:
                last_error = exc
        raise last_error or httpcore.ConnectError(f"no address for {host}")


@functools.lru_cache(maxsize=1)
def _ssl_context() -> ssl.SSLContext:
    return httpx.create_ssl_context(trust_env=False)  # loading CA certificates costs ~0.1 s: once per process


class _GuardedTransport(httpx.HTTPTransport):
    def __init__(self, allow_private: bool):
        super().__init__(verify=_ssl_context(), trust_env=False)
        # httpx has no public hook for the network backend; swap in a pool that uses ours.
        self._pool = httpcore.ConnectionPool(
            ssl_context=_ssl_context(),
            max_connections=4,
            network_backend=_GuardedBackend(allow_private),
        )


def fetch_url(url: str, options: ReadOptions | None = None) -> FetchedPage:
    """Download ``url`` under the address, redirect, size and time rules of ``options``.

    Raises :class:`FetchError` (``source`` = ``url``) with a message meant for the user.
    """
    options = options or ReadOptions()
    deadline = time.monotonic() + options.timeout
    headers = {"User-Agent": options.user_agent, "Accept": _ACCEPT}
    current = url
    with httpx.Client(transport=_GuardedTransport(options.allow_private), follow_redirects=False, trust_env=False) as client:
        for _hop in range(options.max_redirects + 1):
            _require_http(url, current)
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise FetchError(url, f"timed out after {options.timeout:g} s")
            try:
                with client.stream("GET", current, headers=headers, timeout=httpx.Timeout(remaining)) as response:
                    if response.status_code in _REDIRECT_STATUSES:
                        location = response.headers.get("location")
                        if not location:
                            raise FetchError(url, f"HTTP {response.status_code} redirect without a Location header")
                        current = urljoin(current, location)
                        continue
                    if not 200 <= response.status_code < 300:
                        raise FetchError(url, f"HTTP {response.status_code} {response.reason_phrase}".strip())
                    body = _read_capped(response, url, options, deadline)
                    media_type, charset = parse_content_type(response.headers.get("content-type", ""))
                    return FetchedPage(
                        url=url,
                        final_url=str(response.url),
                        status=response.status_code,
                        content_type=media_type,
                        charset=charset,
                        body=body,
                        fetched_at=datetime.now(timezone.utc).isoformat(timespec="seconds"),
                    )
            except FetchError as exc:
                if exc.source == url:
                    raise
                raise FetchError(url, exc.problem) from None  # from the backend: name the URL, not the host
            except httpx.TimeoutException:
                raise FetchError(url, f"timed out after {options.timeout:g} s") from None
            except httpx.ConnectError as exc:
                raise FetchError(url, f"could not connect: {exc}") from None
            except httpx.HTTPError as exc:
                raise FetchError(url, f"fetch failed: {type(exc).__name__}: {exc}") from None
    raise FetchError(url, f"too many redirects (more than {options.max_redirects})")


def _require_http(url: str, current: str) -> None:
    scheme = urlsplit(current).scheme.lower()
    if scheme not in ("http", "https"):
        what = "redirect to" if current != url else "URL"
        raise FetchError(url, f"refused: {what} {current} (only http and https are followed)")
    if not urlsplit(current).hostname:
        raise FetchError(url, f"refused: {current} has no host")


def _read_capped(response: httpx.Response, url: str, options: ReadOptions, deadline: float) -> bytes:
    declared = response.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > options.max_bytes:
        raise FetchError(url, size_problem("download", int(declared), options.max_bytes))
    chunks: list[bytes] = []
    size = 0
    for chunk in response.iter_bytes():  # decoded (gunzipped) bytes: the cap bounds memory, not wire size
        size += len(chunk)
        if size > options.max_bytes:
            raise FetchError(url, size_problem("download", None, options.max_bytes))
        if time.monotonic() > deadline:
            raise FetchError(url, f"timed out after {options.timeout:g} s (slow download, {format_size(size)} so far)")
        chunks.append(chunk)
    return b"".join(chunks)


def parse_content_type(header: str) -> tuple[str, str | None]:
    """``(media type, charset)`` from a Content-Type header value."""
    media_type, _, params = header.partition(";")
    charset = None
    for param in params.split(";"):
        key, _, value = param.partition("=")
        if key.strip().lower() == "charset" and value.strip():
            charset = value.strip().strip("\"'")
    return media_type.strip().lower(), charset


def page_format(page: FetchedPage) -> str:
    """``"html"``, ``"text"`` or ``"feed"``, from the Content-Type and a look at the body.

    Raises FetchError for binary or unsupported content and for an empty body.
    """
    if not page.body.strip():
        raise FetchError(page.url, "empty response")
    binary = binary_kind(page.body[:4096])
    if binary:
        raise FetchError(page.url, f"binary content ({binary}), not text or HTML")
    sniffed = markup_kind(page.body[:8192].decode("latin-1"))
    media_type = page.content_type
    if media_type in _FEED_TYPES:
        return "feed"
    if media_type in _HTML_TYPES:
        return "feed" if sniffed == "feed" else "html"
    if media_type in _XML_TYPES or media_type.endswith("+xml"):
        if sniffed:
            return sniffed
        raise FetchError(page.url, f"XML ({media_type}) that is neither an RSS/Atom feed nor HTML")
    if media_type.startswith("text/") or media_type in _UNTYPED:
        return sniffed or "text"
    raise FetchError(page.url, f"unsupported content type {media_type}, not text or HTML")
