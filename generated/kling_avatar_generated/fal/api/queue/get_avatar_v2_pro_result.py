"""GET /fal-ai/kling-video/ai-avatar/v2/pro/requests/{request_id}: one operation of the API.

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
from ...models.kling_video_ai_avatar_v2_pro_output import KlingVideoAiAvatarV2ProOutput
from ...types import Response


def request_kwargs(
    request_id: str,
) -> dict[str, Any]:

    _kwargs: dict[str, Any] = {
        "method": "get",
        "url": "/fal-ai/kling-video/ai-avatar/v2/pro/requests/{request_id}".format(
            request_id=quote(str(request_id), safe=""),
        ),
    }

    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> ErrorBody | KlingVideoAiAvatarV2ProOutput | None:
    if response.status_code == 200:
        response_200 = KlingVideoAiAvatarV2ProOutput.from_dict(response.json())

        return response_200

    if response.status_code == 400:
        response_400 = ErrorBody.from_dict(response.json())

        return response_400

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
) -> Response[ErrorBody | KlingVideoAiAvatarV2ProOutput]:
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
) -> Response[ErrorBody | KlingVideoAiAvatarV2ProOutput]:
    """A Kling Avatar v2 pro request's output, by its full endpoint path

     The model's output as it answered it (no envelope), once the status is COMPLETED. The HTTP
    status is the model's: 200 with the output; a 4xx (422 with the `detail` list) or 5xx when
    the model failed. fal's own exceptions are 404 (no such request) and 400 (not completed
    yet).

    Args:
        request_id (str): Request ID

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[ErrorBody | KlingVideoAiAvatarV2ProOutput]
    """

    kwargs = request_kwargs(
        request_id=request_id,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    request_id: str,
    *,
    client: AuthenticatedClient | Client,
) -> ErrorBody | KlingVideoAiAvatarV2ProOutput | None:
    """A Kling Avatar v2 pro request's output, by its full endpoint path

     The model's output as it answered it (no envelope), once the status is COMPLETED. The HTTP
    status is the model's: 200 with the output; a 4xx (422 with the `detail` list) or 5xx when
    the model failed. fal's own exceptions are 404 (no such request) and 400 (not completed
    yet).

    Args:
        request_id (str): Request ID

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        ErrorBody | KlingVideoAiAvatarV2ProOutput
    """

    return sync_detailed(
        request_id=request_id,
        client=client,
    ).parsed


async def asyncio_detailed(
    request_id: str,
    *,
    client: AuthenticatedClient | Client,
) -> Response[ErrorBody | KlingVideoAiAvatarV2ProOutput]:
    """A Kling Avatar v2 pro request's output, by its full endpoint path

     The model's output as it answered it (no envelope), once the status is COMPLETED. The HTTP
    status is the model's: 200 with the output; a 4xx (422 with the `detail` list) or 5xx when
    the model failed. fal's own exceptions are 404 (no such request) and 400 (not completed
    yet).

    Args:
        request_id (str): Request ID

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[ErrorBody | KlingVideoAiAvatarV2ProOutput]
    """

    kwargs = request_kwargs(
        request_id=request_id,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    request_id: str,
    *,
    client: AuthenticatedClient | Client,
) -> ErrorBody | KlingVideoAiAvatarV2ProOutput | None:
    """A Kling Avatar v2 pro request's output, by its full endpoint path

     The model's output as it answered it (no envelope), once the status is COMPLETED. The HTTP
    status is the model's: 200 with the output; a 4xx (422 with the `detail` list) or 5xx when
    the model failed. fal's own exceptions are 404 (no such request) and 400 (not completed
    yet).

    Args:
        request_id (str): Request ID

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        ErrorBody | KlingVideoAiAvatarV2ProOutput
    """

    return (
        await asyncio_detailed(
            request_id=request_id,
            client=client,
        )
    ).parsed
