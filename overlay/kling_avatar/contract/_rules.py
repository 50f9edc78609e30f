"""Facts about the providers' operations that the hooks and the suite share (no schemathesis
import: the suite plans its runs without loading it). Each provider's own are in its module of
`_providers`; these are their union, for what is decided by operation alone (the checks read
the facts of the provider a case's schema is)."""

from __future__ import annotations

from .._registry import PROVIDERS
from ._providers import facts

__all__ = [
    "FETCHED_FIELDS",
    "PROVIDERS",
    "REPLACED_CHECKS",
    "REQUEST_TIMEOUT",
    "TASK_CREATIONS",
    "TRANSIENT_STATUSES",
    "WRITE_OPERATIONS",
]

# The built-in checks the envelope-aware ones replace for some provider (`--exclude-checks`);
# each provider's own are its facts' `replaced_checks`.
REPLACED_CHECKS = tuple(
    dict.fromkeys(check for name in PROVIDERS for check in facts(name).replaced_checks)
)

# Operations that create something: a task (credits) or a stored file. Against a real provider
# they are sent only with a body that cannot run, unless CONTRACT_ALLOW_CREATE=1.
WRITE_OPERATIONS = frozenset(op for name in PROVIDERS for op in facts(name).writes)
TASK_CREATIONS = frozenset(op for name in PROVIDERS for op in facts(name).creations)

# Seconds any request of the suite may take, a real provider's too.
REQUEST_TIMEOUT = 30

# Real HTTP statuses a provider may answer any request with (rate limit, outage); they say
# nothing about the request's validity, and `not_a_server_error` judges the 5xx ones.
TRANSIENT_STATUSES = frozenset({429, 500, 502, 503, 504})

# Request fields holding a URL the provider fetches, POSTs the result to, or looks up (a
# download link is only made for the provider's own files).
FETCHED_FIELDS = ("callback_url", "callBackUrl", "image_url", "audio_url", "fileUrl", "url")
