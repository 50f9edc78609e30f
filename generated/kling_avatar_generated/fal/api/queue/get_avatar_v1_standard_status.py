"""GET /fal-ai/kling-video/v1/standard/ai-avatar/requests/{request_id}/status: one operation of the API.

`request_kwargs(...)` is the public request builder: it returns the keyword arguments of
`httpx.Client.request` (method, url, params, headers, json/content/files) without sending
anything. An overlay uses it to build the request and send it through its own transport; the
`sync*`/`asyncio*` functions below use it too.
"""

from http import HTTPStatus
from typing import Any
from urllib.parse import quote

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.error_body import ErrorBody
from ...models.queue_status import QueueStatus
from ...types import UNSET, Response, Unset


def request_kwargs(
    request_id: str,
    *,
    logs: float | Unset = UNSET,
) -> dict[str, Any]:

    params: dict[str, Any] = {}

    params["logs"] = logs

    params = {k: v for k, v in params.items() if v is not UNSET and v is not None}

    _kwargs: dict[str, Any] = {
        "method": "get",
        "url": "/fal-ai/kling-video/v1/standard/ai-avatar/requests/{request_id}/status".format(
            request_id=quote(str(request_id), safe=""),
        ),
        "params": params,
    }

    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> ErrorBody | QueueStatus | None:
    if response.status_code == 200:
        response_200 = QueueStatus.from_dict(response.json())

        return response_200

    if response.status_code == 202:
        response_202 = QueueStatus.from_dict(response.json())

        return response_202

    if response.status_code == 401:
        response_401 = ErrorBody.from_dict(response.json())

        return response_401

    if response.status_code == 403:
        response_403 = ErrorBody.from_dict(response.json())

        return response_403

    if response.status_code == 404:
        response_404 = ErrorBody.from_dict(response.json())

        return response_404

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
) -> Response[ErrorBody | QueueStatus]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    request_id: str,
    *,
    client: AuthenticatedClient | Client,
    logs: float | Unset = UNSET,
) -> Response[ErrorBody | QueueStatus]:
    """A Kling Avatar v1 standard request's status, by its full endpoint path

     The request's state: IN_QUEUE (with `queue_position`), IN_PROGRESS, or COMPLETED, which is
    also how a failed request ends (with `error` and `error_type`). `logs=1` adds the logs.

    Args:
        request_id (str): Request ID
        logs (float | Unset): Whether to include logs (`1`) in the response or not (`0`).

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[ErrorBody | QueueStatus]
    """

    kwargs = request_kwargs(
        request_id=request_id,
        logs=logs,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    request_id: str,
    *,
    client: AuthenticatedClient | Client,
    logs: float | Unset = UNSET,
) -> ErrorBody | QueueStatus | None:
    """A Kling Avatar v1 standard request's status, by its full endpoint path

     The request's state: IN_QUEUE (with `queue_position`), IN_PROGRESS, or COMPLETED, which is
    also how a failed request ends (with `error` and `error_type`). `logs=1` adds the logs.

    Args:
        request_id (str): Request ID
        logs (float | Unset): Whether to include logs (`1`) in the response or not (`0`).

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        ErrorBody | QueueStatus
    """

    return sync_detailed(
        request_id=request_id,
        client=client,
        logs=logs,
    ).parsed


async def asyncio_detailed(
    request_id: str,
    *,
    client: AuthenticatedClient | Client,
    logs: float | Unset = UNSET,
) -> Response[ErrorBody | QueueStatus]:
    """A Kling Avatar v1 standard request's status, by its full endpoint path

     The request's state: IN_QUEUE (with `queue_position`), IN_PROGRESS, or COMPLETED, which is
    also how a failed request ends (with `error` and `error_type`). `logs=1` adds the logs.

    Args:
        request_id (str): Request ID
        logs (float | Unset): Whether to include logs (`1`) in the response or not (`0`).

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[ErrorBody | QueueStatus]
    """

    kwargs = request_kwargs(
        request_id=request_id,
        logs=logs,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    request_id: str,
    *,
    client: AuthenticatedClient | Client,
    logs: float | Unset = UNSET,
) -> ErrorBody | QueueStatus | None:
    """A Kling Avatar v1 standard request's status, by its full endpoint path

     The request's state: IN_QUEUE (with `queue_position`), IN_PROGRESS, or COMPLETED, which is
    also how a failed request ends (with `error` and `error_type`). `logs=1` adds the logs.

    Args:
        request_id (str): Request ID
        logs (float | Unset): Whether to include logs (`1`) in the response or not (`0`).

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        ErrorBody | QueueStatus
    """

    return (
        await asyncio_detailed(
            request_id=request_id,
            client=client,
            logs=logs,
        )
    ).parsed
