"""GET /api/v1/client/job/TaskInfo: one operation of the API.

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
from ...models.envelope import Envelope
from ...models.task_info_response import TaskInfoResponse
from ...types import UNSET, Response


def request_kwargs(
    *,
    task_id: str,
) -> dict[str, Any]:

    params: dict[str, Any] = {}

    params["task_id"] = task_id

    params = {k: v for k, v in params.items() if v is not UNSET and v is not None}

    _kwargs: dict[str, Any] = {
        "method": "get",
        "url": "/api/v1/client/job/TaskInfo",
        "params": params,
    }

    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Envelope | TaskInfoResponse | None:
    if response.status_code == 200:
        response_200 = TaskInfoResponse.from_dict(response.json())

        return response_200

    if response.status_code == 429:
        response_429 = Envelope.from_dict(response.json())

        return response_429

    if response.status_code == 500:
        response_500 = Envelope.from_dict(response.json())

        return response_500

    if response.status_code == 503:
        response_503 = Envelope.from_dict(response.json())

        return response_503

    if client.raise_on_unexpected_status:
        raise errors.UnexpectedStatus(response.status_code, response.content)
    else:
        return None


def _build_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Response[Envelope | TaskInfoResponse]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    *,
    client: AuthenticatedClient | Client,
    task_id: str,
) -> Response[Envelope | TaskInfoResponse]:
    """Get task info

     Query a task's status and, once it has finished, its result.

    Args:
        task_id (str):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Envelope | TaskInfoResponse]
    """

    kwargs = request_kwargs(
        task_id=task_id,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    *,
    client: AuthenticatedClient | Client,
    task_id: str,
) -> Envelope | TaskInfoResponse | None:
    """Get task info

     Query a task's status and, once it has finished, its result.

    Args:
        task_id (str):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Envelope | TaskInfoResponse
    """

    return sync_detailed(
        client=client,
        task_id=task_id,
    ).parsed


async def asyncio_detailed(
    *,
    client: AuthenticatedClient | Client,
    task_id: str,
) -> Response[Envelope | TaskInfoResponse]:
    """Get task info

     Query a task's status and, once it has finished, its result.

    Args:
        task_id (str):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Envelope | TaskInfoResponse]
    """

    kwargs = request_kwargs(
        task_id=task_id,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    *,
    client: AuthenticatedClient | Client,
    task_id: str,
) -> Envelope | TaskInfoResponse | None:
    """Get task info

     Query a task's status and, once it has finished, its result.

    Args:
        task_id (str):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Envelope | TaskInfoResponse
    """

    return (
        await asyncio_detailed(
            client=client,
            task_id=task_id,
        )
    ).parsed
