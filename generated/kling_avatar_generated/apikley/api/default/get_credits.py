"""GET /api/v1/chat/credit: one operation of the API.

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
from ...models.get_credits_response_200 import GetCreditsResponse200
from ...types import Response


def request_kwargs() -> dict[str, Any]:

    _kwargs: dict[str, Any] = {
        "method": "get",
        "url": "/api/v1/chat/credit",
    }

    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> ApiResponse | GetCreditsResponse200 | None:
    if response.status_code == 200:
        response_200 = GetCreditsResponse200.from_dict(response.json())

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
) -> Response[ApiResponse | GetCreditsResponse200]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    *,
    client: AuthenticatedClient | Client,
) -> Response[ApiResponse | GetCreditsResponse200]:
    """Remaining credits

     The account's remaining credits, as a bare number in `data`.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[ApiResponse | GetCreditsResponse200]
    """

    kwargs = request_kwargs()

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    *,
    client: AuthenticatedClient | Client,
) -> ApiResponse | GetCreditsResponse200 | None:
    """Remaining credits

     The account's remaining credits, as a bare number in `data`.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        ApiResponse | GetCreditsResponse200
    """

    return sync_detailed(
        client=client,
    ).parsed


async def asyncio_detailed(
    *,
    client: AuthenticatedClient | Client,
) -> Response[ApiResponse | GetCreditsResponse200]:
    """Remaining credits

     The account's remaining credits, as a bare number in `data`.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[ApiResponse | GetCreditsResponse200]
    """

    kwargs = request_kwargs()

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    *,
    client: AuthenticatedClient | Client,
) -> ApiResponse | GetCreditsResponse200 | None:
    """Remaining credits

     The account's remaining credits, as a bare number in `data`.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        ApiResponse | GetCreditsResponse200
    """

    return (
        await asyncio_detailed(
            client=client,
        )
    ).parsed
