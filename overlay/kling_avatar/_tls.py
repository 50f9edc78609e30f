"""The one TLS context every httpx client of this package shares in a process.

httpx builds a new `ssl.SSLContext` for each client it makes, parsing certifi's whole CA bundle
each time (about 20 ms of CPU): a service opening a client per request, the mock's callback
sender and the contract suite paid that for every client they opened. One context, made by httpx
the same way (`SSL_CERT_FILE` and `SSL_CERT_DIR` still honoured: a new value gets its own
context), serves them all; an SSLContext may be shared by clients and threads.
"""

from __future__ import annotations

import functools
import os
import ssl

import httpx

__all__ = ["tls_context"]


def tls_context() -> ssl.SSLContext:
    """The shared context for verifying servers, as httpx's default ``verify=True`` makes it."""
    return _context(os.environ.get("SSL_CERT_FILE"), os.environ.get("SSL_CERT_DIR"))


@functools.lru_cache(maxsize=4)
def _context(cafile: str | None, capath: str | None) -> ssl.SSLContext:
    # The arguments are the cache's key only: httpx reads the same variables itself.
    del cafile, capath
    return httpx.create_ssl_context()
