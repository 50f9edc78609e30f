"""One error hierarchy for both providers.

Both providers signal most errors as HTTP 200 with an error `code` in the body, and some with a
real HTTP status; `error_class` maps either number to the same class, so callers catch one
type whatever the provider chose.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, TypedDict, Unpack

if TYPE_CHECKING:
    from ._models import Task


class ErrorFields(TypedDict, total=False):
    """What every AvatarError may carry besides its message."""

    provider: str | None
    code: int | None
    request_id: str | None
    retry_after: float | None
    task_id: str | None
    no_task_reason: str | None


class AvatarError(Exception):
    """Base class of every error the client raises.

    `provider` is ``"crun"`` or ``"apikley"``; `code` the HTTP status or body code that signalled
    the error (None when nothing was answered); `request_id` the provider's id for the request
    when it sent one; `retry_after` the seconds the provider asked to wait, when it did;
    `task_id` the task the error is about, when one is known (an error answer that names a task
    carries that task's id: the task may exist); `no_task_reason`, set by the provider's adapter
    on an answer that proves no task was created and that another provider may take, says why
    (the router then moves on).
    """

    def __init__(
        self,
        message: str,
        *,
        provider: str | None = None,
        code: int | None = None,
        request_id: str | None = None,
        retry_after: float | None = None,
        task_id: str | None = None,
        no_task_reason: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.provider = provider
        self.code = code
        self.request_id = request_id
        self.retry_after = retry_after
        self.task_id = task_id
        self.no_task_reason = no_task_reason

    def __str__(self) -> str:
        where = f"[{self.provider}] " if self.provider else ""
        code = f"{self.code}: " if self.code is not None else ""
        rid = f" (request id {self.request_id})" if self.request_id else ""
        return f"{where}{code}{self.message}{rid}"

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(message={self.message!r}, provider={self.provider!r}, "
            f"code={self.code!r}, request_id={self.request_id!r})"
        )


class AuthenticationError(AvatarError):
    """401: the API key is missing or wrong."""


class InsufficientCreditsError(AvatarError):
    """402: the account cannot pay for the task."""


class NotFoundError(AvatarError):
    """No such task: the body code 404, or Apikley's "recordInfo is null" once the grace period
    after creation is over."""


class EndpointNotFoundError(AvatarError):
    """HTTP 404: nothing answers at that address, so the base URL (or a URL from an answer) is
    wrong. Not a NotFoundError: neither provider answers a missing task with an HTTP 404 (they
    send HTTP 200 and the code in the body), so catching "no such task" must not catch this."""


class InvalidRequestError(AvatarError):
    """422 (or 400) from the provider, or input rejected before anything was sent (`field`
    names it). A local rejection has `code` 422 too, as the providers answer it, so a service
    maps both the same way."""

    def __init__(
        self, message: str, *, field: str | None = None, **fields: Unpack[ErrorFields]
    ) -> None:
        fields.setdefault("code", 422)
        super().__init__(message, **fields)
        self.field = field


class RateLimitError(AvatarError):
    """429; `retry_after` holds the provider's Retry-After in seconds when it sent one."""


class ServiceUnavailableError(AvatarError):
    """455 (maintenance) or 503."""


class ServerError(AvatarError):
    """500 and any other 5xx without a class of its own."""


class GenerationFailedError(AvatarError):
    """501, or a task that ended failed (`task` is that task, with its error code and message)."""

    def __init__(
        self, message: str, *, task: Task | None = None, **fields: Unpack[ErrorFields]
    ) -> None:
        super().__init__(message, **fields)
        self.task = task


class FeatureDisabledError(AvatarError):
    """505: the provider has switched the feature off."""


class APIConnectionError(AvatarError):
    """No answer: the connection failed or broke.

    `request_sent` is False only when the request provably never left (the connection could not
    be made); only then is a task creation retried.
    """

    def __init__(
        self,
        message: str,
        *,
        provider: str | None = None,
        request_sent: bool = True,
    ) -> None:
        super().__init__(message, provider=provider)
        self.request_sent = request_sent


class APITimeoutError(APIConnectionError):
    """The request took longer than the client's timeout."""


class WaitTimeoutError(AvatarError, TimeoutError):
    """`wait_for_task` reached its deadline; `task` is the last state seen (None if none was)."""

    def __init__(
        self,
        message: str,
        *,
        provider: str | None = None,
        task_id: str,
        task: Task | None = None,
    ) -> None:
        super().__init__(message, provider=provider, task_id=task_id)
        self.task_id: str = task_id
        self.task = task


class UnexpectedResponseError(AvatarError):
    """The answer is not the documented envelope: HTML, truncated JSON, an unknown code, a
    missing or mistyped field."""


class ResponseTooLargeError(UnexpectedResponseError):
    """The answer is bigger than the client reads for one answer (`max_answer_bytes`), before
    or after decompression; reading stopped at the cap."""


class DownloadError(AvatarError):
    """`download` could not fetch or save the video: a refused URL or file name, an existing
    file (pass ``overwrite=True``), a wrong length, the size cap or deadline, or a disk error.
    Nothing is left behind: the temporary file is removed."""


class NotSupportedError(AvatarError):
    """The provider has no such operation (cancelling a task, reading a balance): nothing was
    sent."""


class InvalidSignatureError(AvatarError):
    """A callback's signature is missing, wrong, or outside the replay window."""


# Both numbering schemes (HTTP status and body `code`) share this table. 400 and 503 are not in
# the providers' code lists but are what kie.ai and the gateways in front answer.
_BY_CODE: dict[int, type[AvatarError]] = {
    400: InvalidRequestError,
    401: AuthenticationError,
    402: InsufficientCreditsError,
    404: NotFoundError,
    422: InvalidRequestError,
    429: RateLimitError,
    455: ServiceUnavailableError,
    500: ServerError,
    501: GenerationFailedError,
    503: ServiceUnavailableError,
    505: FeatureDisabledError,
}

# Retried for reads; a creation is retried only on APIConnectionError with request_sent=False.
TRANSIENT: tuple[type[AvatarError], ...] = (
    RateLimitError,
    ServiceUnavailableError,
    ServerError,
    APIConnectionError,
)


def error_class(code: int) -> type[AvatarError]:
    """The class for an error code; a code nobody documents is an unexpected response."""
    if code in _BY_CODE:
        return _BY_CODE[code]
    if 500 <= code < 600:
        return ServerError
    return UnexpectedResponseError
