"""POST /storage/upload/initiate: one operation of the API.

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
from ...models.upload_request import UploadRequest
from ...models.upload_target import UploadTarget
from ...types import UNSET, Response, Unset


def request_kwargs(
    *,
    body: UploadRequest,
    storage_type: str | Unset = UNSET,
) -> dict[str, Any]:
    headers: dict[str, Any] = {}

    params: dict[str, Any] = {}

    params["storage_type"] = storage_type

    params = {k: v for k, v in params.items() if v is not UNSET and v is not None}

    _kwargs: dict[str, Any] = {
        "method": "post",
        "url": "/storage/upload/initiate",
        "params": params,
    }

    _kwargs["json"] = body.to_dict()

    headers["Content-Type"] = "application/json"

    _kwargs["headers"] = headers
    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> ErrorBody | UploadTarget | None:
    if response.status_code == 200:
        response_200 = UploadTarget.from_dict(response.json())

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
) -> Response[ErrorBody | UploadTarget]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    *,
    client: AuthenticatedClient | Client,
    body: UploadRequest,
    storage_type: str | Unset = UNSET,
) -> Response[ErrorBody | UploadTarget]:
    """Start an upload to fal's CDN

     Answers where to PUT a file's bytes (`upload_url`, with the file's `Content-Type`
    and no key: the URL carries its own authority) and the URL to use as `image_url` /
    `audio_url` afterwards (`file_url`). The PUT goes to a host the answer names, so it is
    not an operation of this spec (see `x-then`). Files over 90 MB go through
    `/storage/upload/initiate-multipart` instead (fal-js), which this spec leaves out.
    Uploaded files share the CDN's retention rules with the outputs.

    Args:
        storage_type (str | Unset):
        body (UploadRequest):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[ErrorBody | UploadTarget]
    """

    kwargs = request_kwargs(
        body=body,
        storage_type=storage_type,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    *,
    client: AuthenticatedClient | Client,
    body: UploadRequest,
    storage_type: str | Unset = UNSET,
) -> ErrorBody | UploadTarget | None:
    """Start an upload to fal's CDN

     Answers where to PUT a file's bytes (`upload_url`, with the file's `Content-Type`
    and no key: the URL carries its own authority) and the URL to use as `image_url` /
    `audio_url` afterwards (`file_url`). The PUT goes to a host the answer names, so it is
    not an operation of this spec (see `x-then`). Files over 90 MB go through
    `/storage/upload/initiate-multipart` instead (fal-js), which this spec leaves out.
    Uploaded files share the CDN's retention rules with the outputs.

    Args:
        storage_type (str | Unset):
        body (UploadRequest):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        ErrorBody | UploadTarget
    """

    return sync_detailed(
        client=client,
        body=body,
        storage_type=storage_type,
    ).parsed


async def asyncio_detailed(
    *,
    client: AuthenticatedClient | Client,
    body: UploadRequest,
    storage_type: str | Unset = UNSET,
) -> Response[ErrorBody | UploadTarget]:
    """Start an upload to fal's CDN

     Answers where to PUT a file's bytes (`upload_url`, with the file's `Content-Type`
    and no key: the URL carries its own authority) and the URL to use as `image_url` /
    `audio_url` afterwards (`file_url`). The PUT goes to a host the answer names, so it is
    not an operation of this spec (see `x-then`). Files over 90 MB go through
    `/storage/upload/initiate-multipart` instead (fal-js), which this spec leaves out.
    Uploaded files share the CDN's retention rules with the outputs.

    Args:
        storage_type (str | Unset):
        body (UploadRequest):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[ErrorBody | UploadTarget]
    """

    kwargs = request_kwargs(
        body=body,
        storage_type=storage_type,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    *,
    client: AuthenticatedClient | Client,
    body: UploadRequest,
    storage_type: str | Unset = UNSET,
) -> ErrorBody | UploadTarget | None:
    """Start an upload to fal's CDN

     Answers where to PUT a file's bytes (`upload_url`, with the file's `Content-Type`
    and no key: the URL carries its own authority) and the URL to use as `image_url` /
    `audio_url` afterwards (`file_url`). The PUT goes to a host the answer names, so it is
    not an operation of this spec (see `x-then`). Files over 90 MB go through
    `/storage/upload/initiate-multipart` instead (fal-js), which this spec leaves out.
    Uploaded files share the CDN's retention rules with the outputs.

    Args:
        storage_type (str | Unset):
        body (UploadRequest):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        ErrorBody | UploadTarget
    """

    return (
        await asyncio_detailed(
            client=client,
            body=body,
            storage_type=storage_type,
        )
    ).parsed
