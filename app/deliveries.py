"""Sending one webhook delivery over HTTP, as the Standard Webhooks specification says, to a
target that is checked at send time.

- Signed: `webhook-id` (the delivery's message id, the same on every attempt),
  `webhook-timestamp` (this attempt's, in seconds) and `webhook-signature` (`v1,` and an
  HMAC-SHA256 of `id.timestamp.body` under the endpoint's secret, by the `standardwebhooks`
  package).
- Safe targets: only http and https; the host is resolved here, every address it resolves to
  must be a public one (not loopback, private, link-local, cloud metadata, shared or reserved)
  unless private targets are allowed, and the request goes to the address that was checked, so
  a DNS answer that changes in between (rebinding) cannot redirect it.
- Bounded: a 10 s timeout, redirects not followed, at most 64 kB of the answer read.
"""

import asyncio
import ipaddress
import socket
import time
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from urllib.parse import urlsplit, urlunsplit

import httpx
from opentelemetry.trace import Status, StatusCode
from standardwebhooks.webhooks import Webhook

from resolvers import spans
from resolvers.webhooks import Claimed, Outcome

TIMEOUT_SECONDS = 10.0
MAX_RESPONSE_BYTES = 64_000
USER_AGENT = "Quire-Webhooks/1"


class UnsafeTarget(Exception):
    """The URL may not be sent to; retrying would not change that."""


NAT64 = ipaddress.ip_network("64:ff9b::/96")


def is_public(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    """A global unicast address. IPv6 addresses that carry an IPv4 one (mapped, NAT64, 6to4,
    Teredo) are judged by the IPv4 address they reach."""
    if isinstance(address, ipaddress.IPv6Address):
        embedded = address.ipv4_mapped or address.sixtofour
        if address.teredo is not None:
            embedded = address.teredo[1]
        if address in NAT64:
            embedded = ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
        if embedded is not None:
            return is_public(embedded)
        if address.is_site_local:
            return False
    return address.is_global and not address.is_multicast


async def checked_address(url: str, *, allow_private: bool) -> tuple[str, int, str]:
    """(address to connect to, port, host name) for `url`, or UnsafeTarget."""
    try:
        parts = urlsplit(url)
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise UnsafeTarget("The URL cannot be delivered to.") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise UnsafeTarget("Only http and https URLs are delivered to.")
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(
            parts.hostname, port, type=socket.SOCK_STREAM
        )
    except socket.gaierror as error:
        raise OSError(f"cannot resolve {parts.hostname}: {error.strerror}") from None
    addresses = [ipaddress.ip_address(info[4][0]) for info in infos]
    if not allow_private and not all(is_public(address) for address in addresses):
        raise UnsafeTarget(
            f"{parts.hostname} resolves to a private, loopback or link-local address; "
            "set QUIRE_WEBHOOK_ALLOW_PRIVATE_TARGETS=true to deliver there."
        )
    return str(addresses[0]), port, parts.hostname


class Sender:
    """One process's HTTP client for deliveries."""

    def __init__(self, *, allow_private: bool, timeout: float = TIMEOUT_SECONDS) -> None:
        self.allow_private = allow_private
        self.timeout = timeout
        # No connection is reused: requests go to checked addresses, and a pooled TLS
        # connection to one address would serve another host name there unchecked.
        self.client = httpx.AsyncClient(
            follow_redirects=False,
            timeout=timeout,
            trust_env=False,
            headers={"user-agent": USER_AGENT},
            limits=httpx.Limits(max_keepalive_connections=0),
        )

    async def close(self) -> None:
        await self.client.aclose()

    async def send(self, claimed: Claimed, *, now: datetime) -> Outcome:
        """One attempt, within the timeout as a whole (the name's lookup and a slow answer
        included); any failure becomes the outcome, never an exception."""
        attributes = {
            "server.address": urlsplit(claimed.url).hostname,  # never the path: it may be secret
            "quire.webhook.id": claimed.message_id,
            "quire.webhook.attempt": claimed.attempt,
        }
        with spans.span("webhook.delivery", **attributes) as traced:
            outcome = await self._attempt(claimed, now=now)
            if traced is not None:
                if outcome.status_code is not None:
                    traced.set_attribute("http.response.status_code", outcome.status_code)
                if outcome.error is not None:
                    traced.set_status(Status(StatusCode.ERROR, outcome.error))
            return outcome

    async def _attempt(self, claimed: Claimed, *, now: datetime) -> Outcome:
        started = time.perf_counter()
        try:
            async with asyncio.timeout(self.timeout):
                return await self._send(claimed, now=now, started=started)
        except TimeoutError:
            return _outcome(started, None, f"No answer within {self.timeout:.0f} s.")
        except Exception as error:  # a receiver's malformed answer must not stop the queue
            return _outcome(started, None, f"Could not deliver: {type(error).__name__}.")

    async def _send(self, claimed: Claimed, *, now: datetime, started: float) -> Outcome:

        try:
            address, port, host = await checked_address(
                claimed.url, allow_private=self.allow_private
            )
        except UnsafeTarget as error:
            return _outcome(started, None, str(error), final=True)
        except OSError as error:
            return _outcome(started, None, str(error))
        headers = {
            "content-type": "application/json",
            "webhook-id": claimed.message_id,
            "webhook-timestamp": str(int(now.timestamp())),
            "webhook-signature": Webhook(claimed.secret).sign(
                claimed.message_id, now, claimed.body
            ),
        }
        url, extensions = _pinned(claimed.url, address, port, host, headers)
        try:
            async with self.client.stream(
                "POST", url, content=claimed.body, headers=headers, extensions=extensions
            ) as response:
                await _read_some(response)
                code = response.status_code
                retry_after = _retry_after(response.headers.get("retry-after"), now)
                failure = None if 200 <= code < 300 else f"HTTP {code}"
                return _outcome(started, code, failure, retry_after=retry_after)
        except httpx.TimeoutException:
            return _outcome(started, None, f"No answer within {self.timeout:.0f} s.")
        except httpx.HTTPError as error:
            return _outcome(started, None, f"Could not deliver: {type(error).__name__}.")


def _outcome(
    started: float,
    code: int | None,
    error: str | None,
    *,
    retry_after: timedelta | None = None,
    final: bool = False,
) -> Outcome:
    duration = round((time.perf_counter() - started) * 1000)
    return Outcome(code, error, duration, retry_after=retry_after, final=final)


def _pinned(
    url: str, address: str, port: int, host: str, headers: dict[str, str]
) -> tuple[str, dict[str, object]]:
    """The URL with the checked address in place of the host name; the name still goes in the
    Host header and, for https, in the TLS handshake (SNI and certificate check)."""
    parts = urlsplit(url)
    netloc = f"[{address}]" if ":" in address else address
    if parts.port is not None:
        netloc = f"{netloc}:{port}"
    headers["host"] = parts.netloc.rsplit("@", 1)[-1]
    extensions: dict[str, object] = {"sni_hostname": host} if parts.scheme == "https" else {}
    return urlunsplit((parts.scheme, netloc, parts.path or "/", parts.query, "")), extensions


async def _read_some(response: httpx.Response) -> None:
    """Read at most MAX_RESPONSE_BYTES of the answer (a receiver's body is never used)."""
    read = 0
    async for chunk in response.aiter_raw():
        read += len(chunk)
        if read >= MAX_RESPONSE_BYTES:
            break


MAX_RETRY_AFTER_SECONDS = 86_400


def _retry_after(value: str | None, now: datetime) -> timedelta | None:
    """Seconds or an HTTP date, capped at a day; None for anything else."""
    value = (value or "").strip()
    if value.isascii() and value.isdigit():
        return timedelta(seconds=min(int(value[:9]), MAX_RETRY_AFTER_SECONDS))
    try:
        moment = parsedate_to_datetime(value)
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        wait = (moment - now).total_seconds()
    except (TypeError, ValueError, OverflowError, IndexError):
        return None
    return timedelta(seconds=min(max(0.0, wait), MAX_RETRY_AFTER_SECONDS))
