"""GET /api/v1/client/job/Models: one operation of the API.

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
from ...models.model_list_response import ModelListResponse
from ...types import UNSET, Response, Unset


def request_kwargs(
    *,
    modality: str | Unset = UNSET,
    operation: str | Unset = UNSET,
) -> dict[str, Any]:

    params: dict[str, Any] = {}

    params["modality"] = modality

    params["operation"] = operation

    params = {k: v for k, v in params.items() if v is not UNSET and v is not None}

    _kwargs: dict[str, Any] = {
        "method": "get",
        "url": "/api/v1/client/job/Models",
        "params": params,
    }

    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Envelope | ModelListResponse | None:
    if response.status_code == 200:
        response_200 = ModelListResponse.from_dict(response.json())

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
) -> Response[Envelope | ModelListResponse]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    *,
    client: AuthenticatedClient | Client,
    modality: str | Unset = UNSET,
    operation: str | Unset = UNSET,
) -> Response[Envelope | ModelListResponse]:
    """List the models crun serves

     The models, optionally only those of one modality (`video`, `image`, `audio`) or one
    operation (`image-to-video`, ...). CrunTeam's CLI sends both filters as query
    parameters; the answer's shape beyond the envelope is not shown in any source.

    Args:
        modality (str | Unset):
        operation (str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Envelope | ModelListResponse]
    """

    kwargs = request_kwargs(
        modality=modality,
        operation=operation,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    *,
    client: AuthenticatedClient | Client,
    modality: str | Unset = UNSET,
    operation: str | Unset = UNSET,
) -> Envelope | ModelListResponse | None:
    """List the models crun serves

     The models, optionally only those of one modality (`video`, `image`, `audio`) or one
    operation (`image-to-video`, ...). CrunTeam's CLI sends both filters as query
    parameters; the answer's shape beyond the envelope is not shown in any source.

    Args:
        modality (str | Unset):
        operation (str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Envelope | ModelListResponse
    """

    return sync_detailed(
        client=client,
        modality=modality,
        operation=operation,
    ).parsed


async def asyncio_detailed(
    *,
    client: AuthenticatedClient | Client,
    modality: str | Unset = UNSET,
    operation: str | Unset = UNSET,
) -> Response[Envelope | ModelListResponse]:
    """List the models crun serves

     The models, optionally only those of one modality (`video`, `image`, `audio`) or one
    operation (`image-to-video`, ...). CrunTeam's CLI sends both filters as query
    parameters; the answer's shape beyond the envelope is not shown in any source.

    Args:
        modality (str | Unset):
        operation (str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Envelope | ModelListResponse]
    """

    kwargs = request_kwargs(
        modality=modality,
        operation=operation,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    *,
    client: AuthenticatedClient | Client,
    modality: str | Unset = UNSET,
    operation: str | Unset = UNSET,
) -> Envelope | ModelListResponse | None:
    """List the models crun serves

     The models, optionally only those of one modality (`video`, `image`, `audio`) or one
    operation (`image-to-video`, ...). CrunTeam's CLI sends both filters as query
    parameters; the answer's shape beyond the envelope is not shown in any source.

    Args:
        modality (str | Unset):
        operation (str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Envelope | ModelListResponse
    """

    return (
        await asyncio_detailed(
            client=client,
            modality=modality,
            operation=operation,
        )
    ).parsed
