"""GET /api/v1/jobs/recordInfo: one operation of the API.

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
from ...models.api_response import ApiResponse
from ...models.get_task_details_response_200 import GetTaskDetailsResponse200
from ...models.task_query_error import TaskQueryError
from ...types import UNSET, Response


def request_kwargs(
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
) -> ApiResponse | GetTaskDetailsResponse200 | TaskQueryError | None:
    if response.status_code == 200:
        response_200 = GetTaskDetailsResponse200.from_dict(response.json())

        return response_200

    if response.status_code == 400:
        response_400 = TaskQueryError.from_dict(response.json())

        return response_400

    if response.status_code == 401:
        response_401 = TaskQueryError.from_dict(response.json())

        return response_401

    if response.status_code == 404:
        response_404 = TaskQueryError.from_dict(response.json())

        return response_404

    if response.status_code == 422:
        response_422 = TaskQueryError.from_dict(response.json())

        return response_422

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
) -> Response[ApiResponse | GetTaskDetailsResponse200 | TaskQueryError]:
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
) -> Response[ApiResponse | GetTaskDetailsResponse200 | TaskQueryError]:
    """Get Task Details

     Query a task's state and, once it succeeded, its result URLs. Right after creation,
    and for unknown ids, the answer is `{"code":422,"msg":"recordInfo is null","data":null}`
    as HTTP 200 (kie.ai OpenAPI and public clients). Poll every 2-3 s for the first 30 s,
    then every 5-10 s, every 15-30 s after 2 minutes, and stop at 10-15 minutes (doc,
    docs.apikley.ru/get-task-detail). Result URLs last about 24 h (doc, get-task-detail);
    kie.ai keeps generated files 14 days (doc, kie.ai's docs home page).

    kie.ai's OpenAPI for this page documents 400 "taskId parameter is required", 401,
    404 "Task not found", 422 "recordInfo is null", 429 and 500; each is listed below as
    an HTTP status, and the same codes also come as HTTP 200 with the code in the body.

    Args:
        task_id (str):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[ApiResponse | GetTaskDetailsResponse200 | TaskQueryError]
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
) -> ApiResponse | GetTaskDetailsResponse200 | TaskQueryError | None:
    """Get Task Details

     Query a task's state and, once it succeeded, its result URLs. Right after creation,
    and for unknown ids, the answer is `{"code":422,"msg":"recordInfo is null","data":null}`
    as HTTP 200 (kie.ai OpenAPI and public clients). Poll every 2-3 s for the first 30 s,
    then every 5-10 s, every 15-30 s after 2 minutes, and stop at 10-15 minutes (doc,
    docs.apikley.ru/get-task-detail). Result URLs last about 24 h (doc, get-task-detail);
    kie.ai keeps generated files 14 days (doc, kie.ai's docs home page).

    kie.ai's OpenAPI for this page documents 400 "taskId parameter is required", 401,
    404 "Task not found", 422 "recordInfo is null", 429 and 500; each is listed below as
    an HTTP status, and the same codes also come as HTTP 200 with the code in the body.

    Args:
        task_id (str):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        ApiResponse | GetTaskDetailsResponse200 | TaskQueryError
    """

    return sync_detailed(
        client=client,
        task_id=task_id,
    ).parsed


async def asyncio_detailed(
    *,
    client: AuthenticatedClient | Client,
    task_id: str,
) -> Response[ApiResponse | GetTaskDetailsResponse200 | TaskQueryError]:
    """Get Task Details

     Query a task's state and, once it succeeded, its result URLs. Right after creation,
    and for unknown ids, the answer is `{"code":422,"msg":"recordInfo is null","data":null}`
    as HTTP 200 (kie.ai OpenAPI and public clients). Poll every 2-3 s for the first 30 s,
    then every 5-10 s, every 15-30 s after 2 minutes, and stop at 10-15 minutes (doc,
    docs.apikley.ru/get-task-detail). Result URLs last about 24 h (doc, get-task-detail);
    kie.ai keeps generated files 14 days (doc, kie.ai's docs home page).

    kie.ai's OpenAPI for this page documents 400 "taskId parameter is required", 401,
    404 "Task not found", 422 "recordInfo is null", 429 and 500; each is listed below as
    an HTTP status, and the same codes also come as HTTP 200 with the code in the body.

    Args:
        task_id (str):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[ApiResponse | GetTaskDetailsResponse200 | TaskQueryError]
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
) -> ApiResponse | GetTaskDetailsResponse200 | TaskQueryError | None:
    """Get Task Details

     Query a task's state and, once it succeeded, its result URLs. Right after creation,
    and for unknown ids, the answer is `{"code":422,"msg":"recordInfo is null","data":null}`
    as HTTP 200 (kie.ai OpenAPI and public clients). Poll every 2-3 s for the first 30 s,
    then every 5-10 s, every 15-30 s after 2 minutes, and stop at 10-15 minutes (doc,
    docs.apikley.ru/get-task-detail). Result URLs last about 24 h (doc, get-task-detail);
    kie.ai keeps generated files 14 days (doc, kie.ai's docs home page).

    kie.ai's OpenAPI for this page documents 400 "taskId parameter is required", 401,
    404 "Task not found", 422 "recordInfo is null", 429 and 500; each is listed below as
    an HTTP status, and the same codes also come as HTTP 200 with the code in the body.

    Args:
        task_id (str):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        ApiResponse | GetTaskDetailsResponse200 | TaskQueryError
    """

    return (
        await asyncio_detailed(
            client=client,
            task_id=task_id,
        )
    ).parsed
