"""POST /fal-ai/kling-video/ai-avatar/v2/pro: one operation of the API.

`request_kwargs(...)` is the public request builder: it returns the keyword arguments of
`httpx.Client.request` (method, url, params, headers, json/content/files) without sending
anything. An overlay uses it to build the request and send it through its own transport; the
`sync*`/`asyncio*` functions below use it too.
"""

from http import HTTPStatus
from typing import Any

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.error_body import ErrorBody
from ...models.kling_video_ai_avatar_v2_pro_input import KlingVideoAiAvatarV2ProInput
from ...models.no_retry import NoRetry
from ...models.queue_priority import QueuePriority
from ...models.queue_submitted import QueueSubmitted
from ...types import UNSET, Response, Unset


def request_kwargs(
    *,
    body: KlingVideoAiAvatarV2ProInput,
    fal_webhook: str | Unset = UNSET,
    fal_max_queue_length: int | Unset = UNSET,
    x_fal_request_timeout: float | Unset = UNSET,
    x_fal_queue_priority: QueuePriority | Unset = UNSET,
    x_fal_runner_hint: str | Unset = UNSET,
    x_fal_no_retry: NoRetry | Unset = UNSET,
    x_fal_object_lifecycle_preference: str | Unset = UNSET,
    x_fal_store_io: str | Unset = UNSET,
) -> dict[str, Any]:
    headers: dict[str, Any] = {}
    if not isinstance(x_fal_request_timeout, Unset):
        headers["X-Fal-Request-Timeout"] = str(x_fal_request_timeout)

    if not isinstance(x_fal_queue_priority, Unset):
        headers["X-Fal-Queue-Priority"] = str(x_fal_queue_priority)

    if not isinstance(x_fal_runner_hint, Unset):
        headers["X-Fal-Runner-Hint"] = x_fal_runner_hint

    if not isinstance(x_fal_no_retry, Unset):
        headers["x-fal-no-retry"] = str(x_fal_no_retry)

    if not isinstance(x_fal_object_lifecycle_preference, Unset):
        headers["X-Fal-Object-Lifecycle-Preference"] = x_fal_object_lifecycle_preference

    if not isinstance(x_fal_store_io, Unset):
        headers["X-Fal-Store-IO"] = x_fal_store_io

    params: dict[str, Any] = {}

    params["fal_webhook"] = fal_webhook

    params["fal_max_queue_length"] = fal_max_queue_length

    params = {k: v for k, v in params.items() if v is not UNSET and v is not None}

    _kwargs: dict[str, Any] = {
        "method": "post",
        "url": "/fal-ai/kling-video/ai-avatar/v2/pro",
        "params": params,
    }

    _kwargs["json"] = body.to_dict()

    headers["Content-Type"] = "application/json"

    _kwargs["headers"] = headers
    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> ErrorBody | QueueSubmitted | None:
    if response.status_code == 200:
        response_200 = QueueSubmitted.from_dict(response.json())

        return response_200

    if response.status_code == 401:
        response_401 = ErrorBody.from_dict(response.json())

        return response_401

    if response.status_code == 403:
        response_403 = ErrorBody.from_dict(response.json())

        return response_403

    if response.status_code == 422:
        response_422 = ErrorBody.from_dict(response.json())

        return response_422

    if response.status_code == 429:
        response_429 = ErrorBody.from_dict(response.json())

        return response_429

    if response.status_code == 500:
        response_500 = ErrorBody.from_dict(response.json())

        return response_500

    if response.status_code == 502:
        response_502 = ErrorBody.from_dict(response.json())

        return response_502

    if response.status_code == 503:
        response_503 = ErrorBody.from_dict(response.json())

        return response_503

    if response.status_code == 504:
        response_504 = ErrorBody.from_dict(response.json())

        return response_504

    if client.raise_on_unexpected_status:
        raise errors.UnexpectedStatus(response.status_code, response.content)
    else:
        return None


def _build_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Response[ErrorBody | QueueSubmitted]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    *,
    client: AuthenticatedClient | Client,
    body: KlingVideoAiAvatarV2ProInput,
    fal_webhook: str | Unset = UNSET,
    fal_max_queue_length: int | Unset = UNSET,
    x_fal_request_timeout: float | Unset = UNSET,
    x_fal_queue_priority: QueuePriority | Unset = UNSET,
    x_fal_runner_hint: str | Unset = UNSET,
    x_fal_no_retry: NoRetry | Unset = UNSET,
    x_fal_object_lifecycle_preference: str | Unset = UNSET,
    x_fal_store_io: str | Unset = UNSET,
) -> Response[ErrorBody | QueueSubmitted]:
    """Submit a Kling Avatar v2 pro request

     Queues one Kling Avatar job: a portrait (`image_url`) and a voice (`audio_url`) become a
    talking video. The answer carries the `request_id` and the URLs to follow for its status,
    its result and its cancellation; poll the status, or pass `fal_webhook` to be told when it
    ends. Standard or pro, v1 or v2, is the endpoint (`x-kling-avatar`); fal bills each second
    of the output video (`x-price`).

    Args:
        fal_webhook (str | Unset):
        fal_max_queue_length (int | Unset):
        x_fal_request_timeout (float | Unset):
        x_fal_queue_priority (QueuePriority | Unset): A request's priority in the queue (fal-js
            sends normal unless told).
        x_fal_runner_hint (str | Unset):
        x_fal_no_retry (NoRetry | Unset): The values of x-fal-no-retry that turn the queue's
            retries off.
        x_fal_object_lifecycle_preference (str | Unset):
        x_fal_store_io (str | Unset):
        body (KlingVideoAiAvatarV2ProInput):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[ErrorBody | QueueSubmitted]
    """

    kwargs = request_kwargs(
        body=body,
        fal_webhook=fal_webhook,
        fal_max_queue_length=fal_max_queue_length,
        x_fal_request_timeout=x_fal_request_timeout,
        x_fal_queue_priority=x_fal_queue_priority,
        x_fal_runner_hint=x_fal_runner_hint,
        x_fal_no_retry=x_fal_no_retry,
        x_fal_object_lifecycle_preference=x_fal_object_lifecycle_preference,
        x_fal_store_io=x_fal_store_io,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    *,
    client: AuthenticatedClient | Client,
    body: KlingVideoAiAvatarV2ProInput,
    fal_webhook: str | Unset = UNSET,
    fal_max_queue_length: int | Unset = UNSET,
    x_fal_request_timeout: float | Unset = UNSET,
    x_fal_queue_priority: QueuePriority | Unset = UNSET,
    x_fal_runner_hint: str | Unset = UNSET,
    x_fal_no_retry: NoRetry | Unset = UNSET,
    x_fal_object_lifecycle_preference: str | Unset = UNSET,
    x_fal_store_io: str | Unset = UNSET,
) -> ErrorBody | QueueSubmitted | None:
    """Submit a Kling Avatar v2 pro request

     Queues one Kling Avatar job: a portrait (`image_url`) and a voice (`audio_url`) become a
    talking video. The answer carries the `request_id` and the URLs to follow for its status,
    its result and its cancellation; poll the status, or pass `fal_webhook` to be told when it
    ends. Standard or pro, v1 or v2, is the endpoint (`x-kling-avatar`); fal bills each second
    of the output video (`x-price`).

    Args:
        fal_webhook (str | Unset):
        fal_max_queue_length (int | Unset):
        x_fal_request_timeout (float | Unset):
        x_fal_queue_priority (QueuePriority | Unset): A request's priority in the queue (fal-js
            sends normal unless told).
        x_fal_runner_hint (str | Unset):
        x_fal_no_retry (NoRetry | Unset): The values of x-fal-no-retry that turn the queue's
            retries off.
        x_fal_object_lifecycle_preference (str | Unset):
        x_fal_store_io (str | Unset):
        body (KlingVideoAiAvatarV2ProInput):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        ErrorBody | QueueSubmitted
    """

    return sync_detailed(
        client=client,
        body=body,
        fal_webhook=fal_webhook,
        fal_max_queue_length=fal_max_queue_length,
        x_fal_request_timeout=x_fal_request_timeout,
        x_fal_queue_priority=x_fal_queue_priority,
        x_fal_runner_hint=x_fal_runner_hint,
        x_fal_no_retry=x_fal_no_retry,
        x_fal_object_lifecycle_preference=x_fal_object_lifecycle_preference,
        x_fal_store_io=x_fal_store_io,
    ).parsed


async def asyncio_detailed(
    *,
    client: AuthenticatedClient | Client,
    body: KlingVideoAiAvatarV2ProInput,
    fal_webhook: str | Unset = UNSET,
    fal_max_queue_length: int | Unset = UNSET,
    x_fal_request_timeout: float | Unset = UNSET,
    x_fal_queue_priority: QueuePriority | Unset = UNSET,
    x_fal_runner_hint: str | Unset = UNSET,
    x_fal_no_retry: NoRetry | Unset = UNSET,
    x_fal_object_lifecycle_preference: str | Unset = UNSET,
    x_fal_store_io: str | Unset = UNSET,
) -> Response[ErrorBody | QueueSubmitted]:
    """Submit a Kling Avatar v2 pro request

     Queues one Kling Avatar job: a portrait (`image_url`) and a voice (`audio_url`) become a
    talking video. The answer carries the `request_id` and the URLs to follow for its status,
    its result and its cancellation; poll the status, or pass `fal_webhook` to be told when it
    ends. Standard or pro, v1 or v2, is the endpoint (`x-kling-avatar`); fal bills each second
    of the output video (`x-price`).

    Args:
        fal_webhook (str | Unset):
        fal_max_queue_length (int | Unset):
        x_fal_request_timeout (float | Unset):
        x_fal_queue_priority (QueuePriority | Unset): A request's priority in the queue (fal-js
            sends normal unless told).
        x_fal_runner_hint (str | Unset):
        x_fal_no_retry (NoRetry | Unset): The values of x-fal-no-retry that turn the queue's
            retries off.
        x_fal_object_lifecycle_preference (str | Unset):
        x_fal_store_io (str | Unset):
        body (KlingVideoAiAvatarV2ProInput):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[ErrorBody | QueueSubmitted]
    """

    kwargs = request_kwargs(
        body=body,
        fal_webhook=fal_webhook,
        fal_max_queue_length=fal_max_queue_length,
        x_fal_request_timeout=x_fal_request_timeout,
        x_fal_queue_priority=x_fal_queue_priority,
        x_fal_runner_hint=x_fal_runner_hint,
        x_fal_no_retry=x_fal_no_retry,
        x_fal_object_lifecycle_preference=x_fal_object_lifecycle_preference,
        x_fal_store_io=x_fal_store_io,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    *,
    client: AuthenticatedClient | Client,
    body: KlingVideoAiAvatarV2ProInput,
    fal_webhook: str | Unset = UNSET,
    fal_max_queue_length: int | Unset = UNSET,
    x_fal_request_timeout: float | Unset = UNSET,
    x_fal_queue_priority: QueuePriority | Unset = UNSET,
    x_fal_runner_hint: str | Unset = UNSET,
    x_fal_no_retry: NoRetry | Unset = UNSET,
    x_fal_object_lifecycle_preference: str | Unset = UNSET,
    x_fal_store_io: str | Unset = UNSET,
) -> ErrorBody | QueueSubmitted | None:
    """Submit a Kling Avatar v2 pro request

     Queues one Kling Avatar job: a portrait (`image_url`) and a voice (`audio_url`) become a
    talking video. The answer carries the `request_id` and the URLs to follow for its status,
    its result and its cancellation; poll the status, or pass `fal_webhook` to be told when it
    ends. Standard or pro, v1 or v2, is the endpoint (`x-kling-avatar`); fal bills each second
    of the output video (`x-price`).

    Args:
        fal_webhook (str | Unset):
        fal_max_queue_length (int | Unset):
        x_fal_request_timeout (float | Unset):
        x_fal_queue_priority (QueuePriority | Unset): A request's priority in the queue (fal-js
            sends normal unless told).
        x_fal_runner_hint (str | Unset):
        x_fal_no_retry (NoRetry | Unset): The values of x-fal-no-retry that turn the queue's
            retries off.
        x_fal_object_lifecycle_preference (str | Unset):
        x_fal_store_io (str | Unset):
        body (KlingVideoAiAvatarV2ProInput):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        ErrorBody | QueueSubmitted
    """

    return (
        await asyncio_detailed(
            client=client,
            body=body,
            fal_webhook=fal_webhook,
            fal_max_queue_length=fal_max_queue_length,
            x_fal_request_timeout=x_fal_request_timeout,
            x_fal_queue_priority=x_fal_queue_priority,
            x_fal_runner_hint=x_fal_runner_hint,
            x_fal_no_retry=x_fal_no_retry,
            x_fal_object_lifecycle_preference=x_fal_object_lifecycle_preference,
            x_fal_store_io=x_fal_store_io,
        )
    ).parsed
