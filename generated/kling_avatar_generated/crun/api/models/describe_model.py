"""GET /api/v1/client/job/Models/{model}: one operation of the API.

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
from ...models.envelope import Envelope
from ...models.model_detail_response import ModelDetailResponse
from ...types import Response


def request_kwargs(
    model: str,
) -> dict[str, Any]:

    _kwargs: dict[str, Any] = {
        "method": "get",
        "url": "/api/v1/client/job/Models/{model}".format(
            model=quote(str(model), safe=""),
        ),
    }

    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Envelope | ModelDetailResponse | None:
    if response.status_code == 200:
        response_200 = ModelDetailResponse.from_dict(response.json())

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
) -> Response[Envelope | ModelDetailResponse]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    model: str,
    *,
    client: AuthenticatedClient | Client,
) -> Response[Envelope | ModelDetailResponse]:
    """One model's input schema

     The model's `input_schema` (a JSON Schema of its `input` object) and its
    `required_input_fields`.

    Args:
        model (str):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Envelope | ModelDetailResponse]
    """

    kwargs = request_kwargs(
        model=model,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    model: str,
    *,
    client: AuthenticatedClient | Client,
) -> Envelope | ModelDetailResponse | None:
    """One model's input schema

     The model's `input_schema` (a JSON Schema of its `input` object) and its
    `required_input_fields`.

    Args:
        model (str):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Envelope | ModelDetailResponse
    """

    return sync_detailed(
        model=model,
        client=client,
    ).parsed


async def asyncio_detailed(
    model: str,
    *,
    client: AuthenticatedClient | Client,
) -> Response[Envelope | ModelDetailResponse]:
    """One model's input schema

     The model's `input_schema` (a JSON Schema of its `input` object) and its
    `required_input_fields`.

    Args:
        model (str):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Envelope | ModelDetailResponse]
    """

    kwargs = request_kwargs(
        model=model,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    model: str,
    *,
    client: AuthenticatedClient | Client,
) -> Envelope | ModelDetailResponse | None:
    """One model's input schema

     The model's `input_schema` (a JSON Schema of its `input` object) and its
    `required_input_fields`.

    Args:
        model (str):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Envelope | ModelDetailResponse
    """

    return (
        await asyncio_detailed(
            model=model,
            client=client,
        )
    ).parsed
