"""A small GitHub REST client on the standard library (urllib), for `lockstep comment`.

Bounded retries with exponential backoff on 5xx, 429 and secondary rate limits (honouring
``Retry-After`` and ``x-ratelimit-reset``); pagination by the ``Link`` header, followed only on
the API's own host so the token never leaves it; 401/403/404 turned into actionable messages.
``sleep`` and ``opener`` are injectable so tests run fast against a local server.
"""

from __future__ import annotations

import json
import re
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from ..errors import LockstepError

DEFAULT_API_URL = "https://api.github.com"
LOOPBACK = ("127.0.0.1", "localhost", "::1")


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """urllib would resend the Authorization header to wherever a redirect points."""

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


_open_without_redirects = urllib.request.build_opener(_NoRedirect).open
SECONDARY_WAIT = 60.0  # GitHub: wait at least a minute after a secondary rate limit
LINK_NEXT = re.compile(r'<([^>]+)>\s*;\s*rel="?next"?')
PERMISSION_HELP = (
    "The token lacks permission to comment. Give the job `permissions: pull-requests: write`. "
    "Pull requests from forks only get a read-only GITHUB_TOKEN: there the PR job uploads the "
    "report as an artifact and the workflow_run job (.github/workflows/pr-comment.yml) posts it."
)


class GitHubError(LockstepError):
    def __init__(self, message: str, status: int = 0, transient: bool = False) -> None:
        super().__init__(message)
        self.status = status
        self.transient = transient


@dataclass
class Response:
    status: int
    headers: dict[str, str]
    data: Any


def next_link(header: str | None) -> str | None:
    """The rel="next" URL of a ``Link`` header, if any."""
    match = LINK_NEXT.search(header or "")
    return match.group(1) if match else None


def retry_after(status: int, headers: dict[str, str], message: str, now: float) -> float | None:
    """Seconds to wait before retrying, or None when the response is not retryable."""
    rate_limited = status == 429 or (
        status == 403
        and (
            "retry-after" in headers
            or headers.get("x-ratelimit-remaining") == "0"
            or "rate limit" in message
        )
    )
    if not (status >= 500 or rate_limited):
        return None
    if headers.get("retry-after", "").isdigit():
        return float(headers["retry-after"])
    if (
        headers.get("x-ratelimit-remaining") == "0"
        and headers.get("x-ratelimit-reset", "").isdigit()
    ):
        return max(0.0, float(headers["x-ratelimit-reset"]) - now)
    return SECONDARY_WAIT if rate_limited else 0.0


@dataclass
class Client:
    token: str = field(repr=False)
    api_url: str = DEFAULT_API_URL
    retries: int = 4
    backoff: float = 2.0
    max_wait: float = 120.0
    timeout: float = 30.0
    sleep: Callable[[float], None] = time.sleep
    opener: Callable[..., Any] = _open_without_redirects
    log: Callable[[str], None] = field(default=lambda message: None)

    def __post_init__(self) -> None:
        parts = urllib.parse.urlsplit(self.api_url)
        if parts.scheme != "https" and not (parts.scheme == "http" and parts.hostname in LOOPBACK):
            raise LockstepError(
                f"--api-url {self.api_url!r} must be https:// (plain http only on 127.0.0.1), "
                "so the token is never sent unencrypted"
            )

    def url(self, path_or_url: str) -> str:
        if path_or_url.startswith(("http://", "https://")):
            mine, theirs = urllib.parse.urlsplit(self.api_url), urllib.parse.urlsplit(path_or_url)
            if (mine.scheme, mine.netloc) != (theirs.scheme, theirs.netloc):
                raise GitHubError(f"refusing to send the token to {theirs.netloc} (not the API)")
            return path_or_url
        return self.api_url.rstrip("/") + path_or_url

    def _once(self, method: str, url: str, body: bytes | None) -> Response:
        request = urllib.request.Request(url, data=body, method=method)
        request.add_header("Accept", "application/vnd.github+json")
        request.add_header("X-GitHub-Api-Version", "2022-11-28")
        request.add_header("User-Agent", "lockstep-comment")
        request.add_header("Authorization", f"Bearer {self.token}")
        if body is not None:
            request.add_header("Content-Type", "application/json")
        try:
            with self.opener(request, timeout=self.timeout) as reply:
                status, headers, raw = reply.status, reply.headers, reply.read()
        except urllib.error.HTTPError as err:
            status, headers, raw = err.code, err.headers, err.read()
        headers = {k.lower(): v for k, v in (headers or {}).items()}
        try:
            data = json.loads(raw) if raw else None
        except json.JSONDecodeError:
            data = raw.decode("utf-8", "replace")
        return Response(status, headers, data)

    def pause(self, attempt: int, wait: float, message: str) -> None:
        """Sleep before retry ``attempt``: Retry-After or exponential backoff, capped."""
        delay = min(self.max_wait, max(wait, self.backoff * 2**attempt))
        self.log(f"retrying in {delay:.0f}s: {message}")
        self.sleep(delay)

    def request(
        self, method: str, path_or_url: str, payload: Any = None, retry_unsure: bool = True
    ) -> Response:
        """Send one request, retrying transient failures; raise GitHubError on the rest.

        With ``retry_unsure=False`` (a POST), a 5xx or network error, after which GitHub may
        have acted anyway, is raised as transient instead of retried, so the caller can look
        before sending again. Rate limits are always retried: GitHub did not act on those.
        """
        url = self.url(path_or_url)
        body = None if payload is None else json.dumps(payload).encode("utf-8")
        for attempt in range(self.retries + 1):
            try:
                response = self._once(method, url, body)
            except (urllib.error.URLError, TimeoutError, ConnectionError) as exc:
                response, wait, unsure = None, 0.0, True
                message = f"{method} {url}: {getattr(exc, 'reason', exc)}"
            else:
                if response.status < 300:
                    return response
                if response.status < 400:  # redirects are not followed with a token
                    raise GitHubError(
                        f"{method} {url}: redirected ({response.status}) to "
                        f"{response.headers.get('location', '?')}; set --api-url to the "
                        "final API address (the token is never sent to a redirect target)",
                        response.status,
                    )
                message = _message(response)
                wait = retry_after(response.status, response.headers, message.lower(), time.time())
                if wait is None:
                    raise _error(method, url, response.status, message)
                unsure = response.status >= 500
            status = response.status if response else 0
            if unsure and not retry_unsure:
                raise GitHubError(f"{method} {url}: {message}", status, transient=True)
            if attempt == self.retries:
                raise GitHubError(f"{message} (gave up after {attempt + 1} attempts)", status, True)
            self.pause(attempt, wait, message)
        raise AssertionError("unreachable")

    def paginate(self, path: str) -> Iterator[Any]:
        """Every item of a list endpoint, following ``Link: rel="next"`` page by page."""
        url: str | None = path
        while url:
            response = self.request("GET", url)
            yield from response.data or []
            url = next_link(response.headers.get("link"))


def _message(response: Response) -> str:
    data = response.data
    text = data.get("message", "") if isinstance(data, dict) else str(data or "")
    return f"HTTP {response.status}: {text}".strip()


def _error(method: str, url: str, status: int, message: str) -> GitHubError:
    where = f"{method} {url} failed ({message})"
    if status == 401:
        return GitHubError(
            f"{where}. GitHub rejected the token: set GITHUB_TOKEN to a valid token for this API.",
            status,
        )
    if status == 403:
        return GitHubError(f"{where}. {PERMISSION_HELP}", status)
    if status == 404:
        return GitHubError(
            f"{where}. Check --repo and --pr, --api-url for GitHub Enterprise, and that the token "
            "can see the repository.",
            status,
        )
    return GitHubError(where, status)
