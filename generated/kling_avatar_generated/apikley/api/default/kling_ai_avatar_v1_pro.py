"""POST /api/v1/jobs/createTask: one operation of the API.

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
from ...models.kling_ai_avatar_v1_pro_body import KlingAiAvatarV1ProBody
from ...models.kling_ai_avatar_v1_pro_response_200 import KlingAiAvatarV1ProResponse200
from ...types import Response


def request_kwargs(
    *,
    body: KlingAiAvatarV1ProBody,
) -> dict[str, Any]:
    headers: dict[str, Any] = {}

    _kwargs: dict[str, Any] = {
        "method": "post",
        "url": "/api/v1/jobs/createTask",
    }

    _kwargs["json"] = body.to_dict()

    headers["Content-Type"] = "application/json"

    _kwargs["headers"] = headers
    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> ApiResponse | KlingAiAvatarV1ProResponse200 | None:
    if response.status_code == 200:
        response_200 = KlingAiAvatarV1ProResponse200.from_dict(response.json())

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
) -> Response[ApiResponse | KlingAiAvatarV1ProResponse200]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    *,
    client: AuthenticatedClient | Client,
    body: KlingAiAvatarV1ProBody,
) -> Response[ApiResponse | KlingAiAvatarV1ProResponse200]:
    """Generate content using kling/ai-avatar-v1-pro

     Submits an asynchronous Kling avatar task: one portrait image and one audio file become
    a talking video. Answers with a `taskId`; poll `getTaskDetails` or pass `callBackUrl`.
    Pro or standard is chosen by the model name (see `x-model-names` on `model`).

    Args:
        body (KlingAiAvatarV1ProBody):  Example: {'model': 'kling/ai-avatar-v1-pro',
            'callBackUrl': 'https://your-domain.com/api/callback', 'input': {'image_url':
            'https://file.aiquickdraw.com/custom-page/akr/section-images/175792685809077e8h8k3.png',
            'audio_url': 'https://file.aiquickdraw.com/custom-page/akr/section-
            images/1757925802302srqfkcqh.mp3', 'prompt': ''}}.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[ApiResponse | KlingAiAvatarV1ProResponse200]
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
    body: KlingAiAvatarV1ProBody,
) -> ApiResponse | KlingAiAvatarV1ProResponse200 | None:
    """Generate content using kling/ai-avatar-v1-pro

     Submits an asynchronous Kling avatar task: one portrait image and one audio file become
    a talking video. Answers with a `taskId`; poll `getTaskDetails` or pass `callBackUrl`.
    Pro or standard is chosen by the model name (see `x-model-names` on `model`).

    Args:
        body (KlingAiAvatarV1ProBody):  Example: {'model': 'kling/ai-avatar-v1-pro',
            'callBackUrl': 'https://your-domain.com/api/callback', 'input': {'image_url':
            'https://file.aiquickdraw.com/custom-page/akr/section-images/175792685809077e8h8k3.png',
            'audio_url': 'https://file.aiquickdraw.com/custom-page/akr/section-
            images/1757925802302srqfkcqh.mp3', 'prompt': ''}}.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        ApiResponse | KlingAiAvatarV1ProResponse200
    """

    return sync_detailed(
        client=client,
        body=body,
    ).parsed


async def asyncio_detailed(
    *,
    client: AuthenticatedClient | Client,
    body: KlingAiAvatarV1ProBody,
) -> Response[ApiResponse | KlingAiAvatarV1ProResponse200]:
    """Generate content using kling/ai-avatar-v1-pro

     Submits an asynchronous Kling avatar task: one portrait image and one audio file become
    a talking video. Answers with a `taskId`; poll `getTaskDetails` or pass `callBackUrl`.
    Pro or standard is chosen by the model name (see `x-model-names` on `model`).

    Args:
        body (KlingAiAvatarV1ProBody):  Example: {'model': 'kling/ai-avatar-v1-pro',
            'callBackUrl': 'https://your-domain.com/api/callback', 'input': {'image_url':
            'https://file.aiquickdraw.com/custom-page/akr/section-images/175792685809077e8h8k3.png',
            'audio_url': 'https://file.aiquickdraw.com/custom-page/akr/section-
            images/1757925802302srqfkcqh.mp3', 'prompt': ''}}.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[ApiResponse | KlingAiAvatarV1ProResponse200]
    """

    kwargs = request_kwargs(
        body=body,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    *,
    client: AuthenticatedClient | Client,
    body: KlingAiAvatarV1ProBody,
) -> ApiResponse | KlingAiAvatarV1ProResponse200 | None:
    """Generate content using kling/ai-avatar-v1-pro

     Submits an asynchronous Kling avatar task: one portrait image and one audio file become
    a talking video. Answers with a `taskId`; poll `getTaskDetails` or pass `callBackUrl`.
    Pro or standard is chosen by the model name (see `x-model-names` on `model`).

    Args:
        body (KlingAiAvatarV1ProBody):  Example: {'model': 'kling/ai-avatar-v1-pro',
            'callBackUrl': 'https://your-domain.com/api/callback', 'input': {'image_url':
            'https://file.aiquickdraw.com/custom-page/akr/section-images/175792685809077e8h8k3.png',
            'audio_url': 'https://file.aiquickdraw.com/custom-page/akr/section-
            images/1757925802302srqfkcqh.mp3', 'prompt': ''}}.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        ApiResponse | KlingAiAvatarV1ProResponse200
    """

    return (
        await asyncio_detailed(
            client=client,
            body=body,
        )
    ).parsed
