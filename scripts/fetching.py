"""Downloading a published file over HTTP: conditionally, with retries, into a temporary file.

A request that fails for a reason that may pass (no connection, a timeout, a 5xx or 429 answer)
is tried again after a growing pause; one that will not pass (404, 403, an HTML page where a file
was expected) is reported at once. What a server said about a file (ETag, Last-Modified) is
returned with it, so that the next harvest asks only for a changed file.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

USER_AGENT = "openup-harvest (+https://github.com/openup)"
_CHUNK = 1024 * 1024
_LONGEST_RETRY_AFTER = 60.0


class FetchFailed(Exception):
    """The file could not be had; str() says why, in Swedish."""

    def __init__(self, message: str, status: int | None = None, retry_after: float | None = None,
                 not_there: bool = False):
        super().__init__(message)
        self.status, self.retry_after = status, retry_after
        # The server says there is no such file (404, 410, 403 as some stores answer for a missing
        # one, or a page in HTML where the file would be).
        self.not_there = not_there or status in (403, 404, 410)


@dataclass(frozen=True)
class Validators:
    """What the server said identifies the file's version."""

    etag: str | None = None
    last_modified: str | None = None

    def headers(self) -> dict[str, str]:
        return {name: value for name, value in (("If-None-Match", self.etag),
                                                ("If-Modified-Since", self.last_modified)) if value}


@dataclass(frozen=True)
class Fetched:
    path: Path | None  # None: not modified since the validators given
    sha256: str | None
    validators: Validators
    content_type: str = ""


class Fetcher:
    def __init__(self, timeout: float = 60, attempts: int = 3, backoff: float = 2.0):
        self.client = httpx.Client(timeout=timeout, follow_redirects=True, headers={"User-Agent": USER_AGENT})
        self.attempts, self.backoff = attempts, backoff

    def close(self) -> None:
        self.client.close()

    def download(self, url: str, target: Path, known: Validators = Validators()) -> Fetched:
        """url into target, unless the server says it has not changed since known."""
        return self._with_retries(url, lambda: self._download_once(url, target, known))

    def json(self, url: str) -> object:
        response = self._with_retries(url, lambda: self._checked(self.client.get(url), url))
        try:
            return response.json()
        except ValueError:
            raise FetchFailed(f"{url} svarade inte med JSON") from None

    def content(self, url: str) -> tuple[bytes, str]:
        """The body of url as bytes (a document that says its own encoding reads it), and its
        content type."""
        response = self._with_retries(url, lambda: self._checked(self.client.get(url), url))
        return response.content, response.headers.get("content-type", "")

    def _with_retries(self, url: str, attempt):
        for number in range(1, self.attempts + 1):
            try:
                return attempt()
            except (httpx.HTTPError, httpx.InvalidURL, FetchFailed) as error:
                if not _may_pass(error) or number == self.attempts:
                    raise _explained(error, url, number) from None
                pause = self.backoff * 2 ** (number - 1)
                time.sleep(max(pause, min(getattr(error, "retry_after", None) or 0, _LONGEST_RETRY_AFTER)))
        raise AssertionError("unreachable")

    def _download_once(self, url: str, target: Path, known: Validators) -> Fetched:
        with self.client.stream("GET", url, headers=known.headers()) as response:
            if response.status_code == 304:
                return Fetched(None, None, known)
            self._checked(response, url)
            content_type = response.headers.get("content-type", "")
            if content_type.startswith(("text/html", "application/xhtml")):
                raise FetchFailed(f"{url} svarade med en HTML-sida, inte en fil (en felsida eller en sida som "
                                  "länkar till filen?)", not_there=True)
            digest = hashlib.sha256()
            with target.open("wb") as handle:
                for chunk in response.iter_bytes(_CHUNK):
                    digest.update(chunk)
                    handle.write(chunk)
            validators = Validators(response.headers.get("etag"), response.headers.get("last-modified"))
            return Fetched(target, digest.hexdigest(), validators, content_type)

    @staticmethod
    def _checked(response: httpx.Response, url: str) -> httpx.Response:
        if response.status_code >= 400:
            retry_after = response.headers.get("retry-after", "")
            raise FetchFailed(f"{url} svarade {response.status_code}", response.status_code,
                              float(retry_after) if retry_after.isdecimal() else None)
        return response


def _may_pass(error: Exception) -> bool:
    """Whether trying again may help: no connection or a timeout, a 5xx or 429 answer; not a
    wrong address, a redirect loop or a 4xx."""
    if isinstance(error, FetchFailed):
        return (error.status or 0) >= 500 or error.status == 429
    return isinstance(error, httpx.TransportError) and not isinstance(error, httpx.UnsupportedProtocol)


def _explained(error: Exception, url: str, attempts: int) -> FetchFailed:
    tried = f" (försökte {attempts} gånger)" if attempts > 1 else ""
    if isinstance(error, httpx.TimeoutException):
        return FetchFailed(f"{url} svarade inte i tid{tried}")
    if isinstance(error, httpx.TooManyRedirects):
        return FetchFailed(f"{url} skickar vidare i en cirkel (för många omdirigeringar)")
    if isinstance(error, (httpx.HTTPError, httpx.InvalidURL)):
        return FetchFailed(f"{url} gick inte att nå: {error}{tried}")
    return FetchFailed(f"{error}{tried}", error.status, not_there=error.not_there)
