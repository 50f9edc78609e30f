"""The one module that reaches into httpx's and httpcore's private attributes, and why.

httpx offers no public way to do either thing a channel needs of its clients:
- keep no cookies: its `cookies` setter copies into a plain jar, which passes every answer's
  Set-Cookie through http.cookiejar (a tenth of a whole request), to send it back where it can
  only track the client; the providers authenticate with the key, presigned URLs with their
  query;
- put the deadline backend (`_deadline_backend`) under a client's connection pools, so that
  every connect, read and write of a request ends by its deadline.
"""

from __future__ import annotations

import httpx

__all__ = ["install_deadlines", "keep_no_cookies"]


class _NoCookies(httpx.Cookies):
    """A cookie jar that keeps none."""

    def extract_cookies(self, response: httpx.Response) -> None:
        return None


def keep_no_cookies(client: httpx.Client | httpx.AsyncClient) -> None:
    client._cookies = _NoCookies()  # noqa: SLF001


def install_deadlines(client: httpx.Client) -> httpx.Client:
    """Puts the deadline backend under `client`'s own transports, also under a wrapper that
    keeps its inner transport as `_inner` (a caller's own `transport=` that is no
    HTTPTransport is left alone: only the time between its chunks is then checked)."""
    transports = [client._transport, *client._mounts.values()]  # noqa: SLF001
    for outer in transports:
        transport = outer
        while transport is not None and not isinstance(transport, httpx.HTTPTransport):
            transport = getattr(transport, "_inner", None)  # under the traffic recorder
        if isinstance(transport, httpx.HTTPTransport):
            # Imported here: like httpx, the package loads httpcore only with a real transport.
            from ._deadline_backend import deadline_backend

            pool = transport._pool  # noqa: SLF001
            backend = deadline_backend(pool._network_backend)  # noqa: SLF001
            if backend is not None:
                pool._network_backend = backend  # noqa: SLF001
    return client
