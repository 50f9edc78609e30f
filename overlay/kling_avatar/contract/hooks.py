"""Envelope-aware schemathesis checks and hooks for a plain ``st run`` (schemathesis's own
extension point):

    SCHEMATHESIS_HOOKS=kling_avatar.contract.hooks \
        st run "$(kling-avatar contract spec crun)" --url http://127.0.0.1:8123 \
        -H "x-api-key: $CRUN_API_KEY"

crun and Apikley answer most errors as HTTP 200 with the real status in the body's ``code``,
so schemathesis's status-based checks misjudge them: an accepted invalid body and a rejected one
look alike. Loading this module takes ``negative_data_rejection``, ``positive_data_acceptance``,
``missing_required_header`` and ``ignored_auth`` out of schemathesis's registry and turns on
envelope-aware checks in their place for every schema; every other built-in check stays on. For
a schema that does not replace one of the four (fal, with real HTTP statuses, replaces two; a
schema of none of the providers, none) the check in its place runs the built-in itself.

It also sends Apikley's upload operations to their own server: the spec gives them a
``servers`` entry of their own (``/file-upload`` under the API's host), which schemathesis
ignores once ``--url`` is given.

Against a real provider, writes (task creation, uploads) are generated only as requests that
cannot succeed unless CONTRACT_ALLOW_CREATE=1; CONTRACT_SAFE_URL, when set, replaces every
generated URL the provider would fetch or call back.

The suite's own runs (``kling-avatar contract run``, :func:`kling_avatar.contract.run_suite`)
do not need this module: they turn the same checks on for their own schemas only, with their
own settings, and leave the rest of the process's schemathesis as it was.
"""

from ._checks import (
    IgnoredAuth,
    RejectedValidData,
    before_call,
    effective_status,
    envelope,
    envelope_ignored_auth,
    envelope_missing_required_header,
    envelope_negative_data_rejection,
    envelope_positive_data_acceptance,
    everywhere,
    filter_case,
    redirect_fetched_urls,
    route_to_operation_server,
)

everywhere()

__all__ = [
    "IgnoredAuth",
    "RejectedValidData",
    "before_call",
    "effective_status",
    "envelope",
    "envelope_ignored_auth",
    "envelope_missing_required_header",
    "envelope_negative_data_rejection",
    "envelope_positive_data_acceptance",
    "filter_case",
    "redirect_fetched_urls",
    "route_to_operation_server",
]
