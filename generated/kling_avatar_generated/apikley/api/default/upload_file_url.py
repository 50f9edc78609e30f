"""POST /api/file-url-upload: one operation of the API.

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
from ...models.file_upload_response import FileUploadResponse
from ...models.file_url_upload_request import FileUrlUploadRequest
from ...types import Response


def request_kwargs(
    *,
    body: FileUrlUploadRequest,
) -> dict[str, Any]:
    headers: dict[str, Any] = {}

    _kwargs: dict[str, Any] = {
        "method": "post",
        "url": "/api/file-url-upload",
    }

    _kwargs["json"] = body.to_dict()

    headers["Content-Type"] = "application/json"

    _kwargs["headers"] = headers
    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> ApiResponse | FileUploadResponse | None:
    if response.status_code == 200:
        response_200 = FileUploadResponse.from_dict(response.json())

        return response_200

    if response.status_code == 400:
        response_400 = FileUploadResponse.from_dict(response.json())

        return response_400

    if response.status_code == 401:
        response_401 = FileUploadResponse.from_dict(response.json())

        return response_401

    if response.status_code == 405:
        response_405 = FileUploadResponse.from_dict(response.json())

        return response_405

    if response.status_code == 429:
        response_429 = ApiResponse.from_dict(response.json())

        return response_429

    if response.status_code == 500:
        response_500 = FileUploadResponse.from_dict(response.json())

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
) -> Response[ApiResponse | FileUploadResponse]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    *,
    client: AuthenticatedClient | Client,
    body: FileUrlUploadRequest,
) -> Response[ApiResponse | FileUploadResponse]:
    """Upload a file by fetching it from a URL

     The server gives the download 30 seconds and recommends files of at most 100 MB (doc,
    Apikley). Uploaded files are deleted after 3 days. The file-upload API has its own codes
    (200, 400, 401, 405, 500) and its errors are `{success: false, code, msg}`.

    Args:
        body (FileUrlUploadRequest):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[ApiResponse | FileUploadResponse]
    """

    kwargs = request_kwargs(
        body=body,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    *,
    client: AuthenticatedClient | Client,
    body: FileUrlUploadRequest,
) -> ApiResponse | FileUploadResponse | None:
    """Upload a file by fetching it from a URL

     The server gives the download 30 seconds and recommends files of at most 100 MB (doc,
    Apikley). Uploaded files are deleted after 3 days. The file-upload API has its own codes
    (200, 400, 401, 405, 500) and its errors are `{success: false, code, msg}`.

    Args:
        body (FileUrlUploadRequest):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        ApiResponse | FileUploadResponse
    """

    return sync_detailed(
        client=client,
        body=body,
    ).parsed


async def asyncio_detailed(
    *,
    client: AuthenticatedClient | Client,
    body: FileUrlUploadRequest,
) -> Response[ApiResponse | FileUploadResponse]:
    """Upload a file by fetching it from a URL

     The server gives the download 30 seconds and recommends files of at most 100 MB (doc,
    Apikley). Uploaded files are deleted after 3 days. The file-upload API has its own codes
    (200, 400, 401, 405, 500) and its errors are `{success: false, code, msg}`.

    Args:
        body (FileUrlUploadRequest):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[ApiResponse | FileUploadResponse]
    """

    kwargs = request_kwargs(
        body=body,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    *,
    client: AuthenticatedClient | Client,
    body: FileUrlUploadRequest,
) -> ApiResponse | FileUploadResponse | None:
    """Upload a file by fetching it from a URL

     The server gives the download 30 seconds and recommends files of at most 100 MB (doc,
    Apikley). Uploaded files are deleted after 3 days. The file-upload API has its own codes
    (200, 400, 401, 405, 500) and its errors are `{success: false, code, msg}`.

    Args:
        body (FileUrlUploadRequest):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        ApiResponse | FileUploadResponse
    """

    return (
        await asyncio_detailed(
            client=client,
            body=body,
        )
    ).parsed
