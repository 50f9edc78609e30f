"""PUT /fal-ai/kling-video/ai-avatar/v2/standard/requests/{request_id}/cancel: one operation of the API.

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
from ...models.cancel_answer import CancelAnswer
from ...models.cancel_avatar_v2_standard_response_200 import (
    CancelAvatarV2StandardResponse200,
)
from ...models.error_body import ErrorBody
from ...types import Response


def request_kwargs(
    request_id: str,
) -> dict[str, Any]:

    _kwargs: dict[str, Any] = {
        "method": "put",
        "url": "/fal-ai/kling-video/ai-avatar/v2/standard/requests/{request_id}/cancel".format(
            request_id=quote(str(request_id), safe=""),
        ),
    }

    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> (
    CancelAnswer
    | CancelAnswer
    | ErrorBody
    | CancelAvatarV2StandardResponse200
    | ErrorBody
    | None
):
    if response.status_code == 200:
        response_200 = CancelAvatarV2StandardResponse200.from_dict(response.json())

        return response_200

    if response.status_code == 202:
        response_202 = CancelAnswer.from_dict(response.json())

        return response_202

    if response.status_code == 400:

        def _parse_response_400(data: object) -> CancelAnswer | ErrorBody:
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                response_400_type_0 = CancelAnswer.from_dict(data)

                return response_400_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            if not isinstance(data, dict):
                raise TypeError()
            response_400_type_1 = ErrorBody.from_dict(data)

            return response_400_type_1

        response_400 = _parse_response_400(response.json())

        return response_400

    if response.status_code == 401:
        response_401 = ErrorBody.from_dict(response.json())

        return response_401

    if response.status_code == 403:
        response_403 = ErrorBody.from_dict(response.json())

        return response_403

    if response.status_code == 404:

        def _parse_response_404(data: object) -> CancelAnswer | ErrorBody:
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                response_404_type_0 = CancelAnswer.from_dict(data)

                return response_404_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            if not isinstance(data, dict):
                raise TypeError()
            response_404_type_1 = ErrorBody.from_dict(data)

            return response_404_type_1

        response_404 = _parse_response_404(response.json())

        return response_404

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
) -> Response[
    CancelAnswer
    | CancelAnswer
    | ErrorBody
    | CancelAvatarV2StandardResponse200
    | ErrorBody
]:
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
) -> Response[
    CancelAnswer
    | CancelAnswer
    | ErrorBody
    | CancelAvatarV2StandardResponse200
    | ErrorBody
]:
    """Cancel a Kling Avatar v2 standard request, by its full endpoint path

     Asks fal to cancel the request: a queued one is removed, one in progress gets a
    cancellation signal and may still finish (and be billed). Accepted is 200 or 202; 400
    means it had already completed.

    Args:
        request_id (str): Request ID

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[CancelAnswer | CancelAnswer | ErrorBody | CancelAvatarV2StandardResponse200 | ErrorBody]
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
) -> (
    CancelAnswer
    | CancelAnswer
    | ErrorBody
    | CancelAvatarV2StandardResponse200
    | ErrorBody
    | None
):
    """Cancel a Kling Avatar v2 standard request, by its full endpoint path

     Asks fal to cancel the request: a queued one is removed, one in progress gets a
    cancellation signal and may still finish (and be billed). Accepted is 200 or 202; 400
    means it had already completed.

    Args:
        request_id (str): Request ID

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        CancelAnswer | CancelAnswer | ErrorBody | CancelAvatarV2StandardResponse200 | ErrorBody
    """

    return sync_detailed(
        request_id=request_id,
        client=client,
    ).parsed


async def asyncio_detailed(
    request_id: str,
    *,
    client: AuthenticatedClient | Client,
) -> Response[
    CancelAnswer
    | CancelAnswer
    | ErrorBody
    | CancelAvatarV2StandardResponse200
    | ErrorBody
]:
    """Cancel a Kling Avatar v2 standard request, by its full endpoint path

     Asks fal to cancel the request: a queued one is removed, one in progress gets a
    cancellation signal and may still finish (and be billed). Accepted is 200 or 202; 400
    means it had already completed.

    Args:
        request_id (str): Request ID

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[CancelAnswer | CancelAnswer | ErrorBody | CancelAvatarV2StandardResponse200 | ErrorBody]
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
) -> (
    CancelAnswer
    | CancelAnswer
    | ErrorBody
    | CancelAvatarV2StandardResponse200
    | ErrorBody
    | None
):
    """Cancel a Kling Avatar v2 standard request, by its full endpoint path

     Asks fal to cancel the request: a queued one is removed, one in progress gets a
    cancellation signal and may still finish (and be billed). Accepted is 200 or 202; 400
    means it had already completed.

    Args:
        request_id (str): Request ID

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        CancelAnswer | CancelAnswer | ErrorBody | CancelAvatarV2StandardResponse200 | ErrorBody
    """

    return (
        await asyncio_detailed(
            request_id=request_id,
            client=client,
        )
    ).parsed
