"""GET /api/v1/client/files/upload-url: one operation of the API.

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
from ...models.upload_url_response import UploadUrlResponse
from ...types import UNSET, Response


def request_kwargs(
    *,
    content_type: str,
    ext: str,
) -> dict[str, Any]:

    params: dict[str, Any] = {}

    params["content_type"] = content_type

    params["ext"] = ext

    params = {k: v for k, v in params.items() if v is not UNSET and v is not None}

    _kwargs: dict[str, Any] = {
        "method": "get",
        "url": "/api/v1/client/files/upload-url",
        "params": params,
    }

    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Envelope | UploadUrlResponse | None:
    if response.status_code == 200:
        response_200 = UploadUrlResponse.from_dict(response.json())

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
) -> Response[Envelope | UploadUrlResponse]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    *,
    client: AuthenticatedClient | Client,
    content_type: str,
    ext: str,
) -> Response[Envelope | UploadUrlResponse]:
    """Get a presigned upload URL

     Answers a presigned URL to `PUT` the raw bytes to (with a `Content-Type` header), and
    the `file_url` to pass as `image_url` / `audio_url` afterwards.

    Args:
        content_type (str):
        ext (str):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Envelope | UploadUrlResponse]
    """

    kwargs = request_kwargs(
        content_type=content_type,
        ext=ext,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    *,
    client: AuthenticatedClient | Client,
    content_type: str,
    ext: str,
) -> Envelope | UploadUrlResponse | None:
    """Get a presigned upload URL

     Answers a presigned URL to `PUT` the raw bytes to (with a `Content-Type` header), and
    the `file_url` to pass as `image_url` / `audio_url` afterwards.

    Args:
        content_type (str):
        ext (str):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Envelope | UploadUrlResponse
    """

    return sync_detailed(
        client=client,
        content_type=content_type,
        ext=ext,
    ).parsed


async def asyncio_detailed(
    *,
    client: AuthenticatedClient | Client,
    content_type: str,
    ext: str,
) -> Response[Envelope | UploadUrlResponse]:
    """Get a presigned upload URL

     Answers a presigned URL to `PUT` the raw bytes to (with a `Content-Type` header), and
    the `file_url` to pass as `image_url` / `audio_url` afterwards.

    Args:
        content_type (str):
        ext (str):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Envelope | UploadUrlResponse]
    """

    kwargs = request_kwargs(
        content_type=content_type,
        ext=ext,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    *,
    client: AuthenticatedClient | Client,
    content_type: str,
    ext: str,
) -> Envelope | UploadUrlResponse | None:
    """Get a presigned upload URL

     Answers a presigned URL to `PUT` the raw bytes to (with a `Content-Type` header), and
    the `file_url` to pass as `image_url` / `audio_url` afterwards.

    Args:
        content_type (str):
        ext (str):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Envelope | UploadUrlResponse
    """

    return (
        await asyncio_detailed(
            client=client,
            content_type=content_type,
            ext=ext,
        )
    ).parsed
