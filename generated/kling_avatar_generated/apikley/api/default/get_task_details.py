from http import HTTPStatus
from typing import Any

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.api_response import ApiResponse
from ...models.get_task_details_response_200 import GetTaskDetailsResponse200
from ...types import UNSET, Response


def _get_kwargs(
    *,
    task_id: str,
) -> dict[str, Any]:

    params: dict[str, Any] = {}

    params["taskId"] = task_id

    params = {k: v for k, v in params.items() if v is not UNSET and v is not None}

    _kwargs: dict[str, Any] = {
        "method": "get",
        "url": "/api/v1/jobs/recordInfo",
        "params": params,
    }

    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> ApiResponse | GetTaskDetailsResponse200 | None:
    if response.status_code == 200:
        response_200 = GetTaskDetailsResponse200.from_dict(response.json())

        return response_200

    if response.status_code == 429:
        response_429 = ApiResponse.from_dict(response.json())

        return response_429

    if response.status_code == 500:
        response_500 = ApiResponse.from_dict(response.json())

        return response_500

    if response.status_code == 503:
        response_503 = ApiResponse.from_dict(response.json())

        return response_503

    if client.raise_on_unexpected_status:
        raise errors.UnexpectedStatus(response.status_code, response.content)
    else:
        return None


def _build_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Response[ApiResponse | GetTaskDetailsResponse200]:
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
) -> Response[ApiResponse | GetTaskDetailsResponse200]:
    """Get Task Details

     Query a task's state and, once it succeeded, its result URLs. Right after creation,
    and for unknown ids, the answer is `{"code":422,"msg":"recordInfo is null","data":null}`
    as HTTP 200 (kie.ai OpenAPI and public clients). Poll from 2-3 s, back off, give up
    after 10-15 min; result URLs expire after about 24 h (doc, kie.ai).

    Args:
        task_id (str):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[ApiResponse | GetTaskDetailsResponse200]
    """

    kwargs = _get_kwargs(
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
) -> ApiResponse | GetTaskDetailsResponse200 | None:
    """Get Task Details

     Query a task's state and, once it succeeded, its result URLs. Right after creation,
    and for unknown ids, the answer is `{"code":422,"msg":"recordInfo is null","data":null}`
    as HTTP 200 (kie.ai OpenAPI and public clients). Poll from 2-3 s, back off, give up
    after 10-15 min; result URLs expire after about 24 h (doc, kie.ai).

    Args:
        task_id (str):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        ApiResponse | GetTaskDetailsResponse200
    """

    return sync_detailed(
        client=client,
        task_id=task_id,
    ).parsed


async def asyncio_detailed(
    *,
    client: AuthenticatedClient | Client,
    task_id: str,
) -> Response[ApiResponse | GetTaskDetailsResponse200]:
    """Get Task Details

     Query a task's state and, once it succeeded, its result URLs. Right after creation,
    and for unknown ids, the answer is `{"code":422,"msg":"recordInfo is null","data":null}`
    as HTTP 200 (kie.ai OpenAPI and public clients). Poll from 2-3 s, back off, give up
    after 10-15 min; result URLs expire after about 24 h (doc, kie.ai).

    Args:
        task_id (str):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[ApiResponse | GetTaskDetailsResponse200]
    """

    kwargs = _get_kwargs(
        task_id=task_id,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    *,
    client: AuthenticatedClient | Client,
    task_id: str,
) -> ApiResponse | GetTaskDetailsResponse200 | None:
    """Get Task Details

     Query a task's state and, once it succeeded, its result URLs. Right after creation,
    and for unknown ids, the answer is `{"code":422,"msg":"recordInfo is null","data":null}`
    as HTTP 200 (kie.ai OpenAPI and public clients). Poll from 2-3 s, back off, give up
    after 10-15 min; result URLs expire after about 24 h (doc, kie.ai).

    Args:
        task_id (str):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        ApiResponse | GetTaskDetailsResponse200
    """

    return (
        await asyncio_detailed(
            client=client,
            task_id=task_id,
        )
    ).parsed
