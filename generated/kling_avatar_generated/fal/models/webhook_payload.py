from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.webhook_payload_status import WebhookPayloadStatus
from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.error_body import ErrorBody
    from ..models.kling_video_ai_avatar_v2_pro_output import (
        KlingVideoAiAvatarV2ProOutput,
    )
    from ..models.kling_video_ai_avatar_v2_standard_output import (
        KlingVideoAiAvatarV2StandardOutput,
    )
    from ..models.kling_video_v1_pro_ai_avatar_output import (
        KlingVideoV1ProAiAvatarOutput,
    )
    from ..models.kling_video_v1_standard_ai_avatar_output import (
        KlingVideoV1StandardAiAvatarOutput,
    )
    from ..models.webhook_payload_payload_type_2 import WebhookPayloadPayloadType2


T = TypeVar("T", bound="WebhookPayload")


@_attrs_define
class WebhookPayload:
    """What fal POSTs to `fal_webhook`.

    Attributes:
        request_id (str):
        status (WebhookPayloadStatus):
        gateway_request_id (str | Unset):
        payload (ErrorBody | KlingVideoAiAvatarV2ProOutput | KlingVideoAiAvatarV2StandardOutput |
            KlingVideoV1ProAiAvatarOutput | KlingVideoV1StandardAiAvatarOutput | None | Unset | WebhookPayloadPayloadType2):
            OK, the model's output; ERROR, the model's error body; null when it was not JSON (then payload_error says why).
        error (str | Unset): On ERROR, e.g. "Invalid status code: 422".
        payload_error (str | Unset):
    """

    request_id: str
    status: WebhookPayloadStatus
    gateway_request_id: str | Unset = UNSET
    payload: (
        ErrorBody
        | KlingVideoAiAvatarV2ProOutput
        | KlingVideoAiAvatarV2StandardOutput
        | KlingVideoV1ProAiAvatarOutput
        | KlingVideoV1StandardAiAvatarOutput
        | None
        | Unset
        | WebhookPayloadPayloadType2
    ) = UNSET
    error: str | Unset = UNSET
    payload_error: str | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        from ..models.error_body import ErrorBody  # noqa: PLC0415
        from ..models.kling_video_ai_avatar_v2_pro_output import (
            KlingVideoAiAvatarV2ProOutput,  # noqa: PLC0415
        )
        from ..models.kling_video_ai_avatar_v2_standard_output import (
            KlingVideoAiAvatarV2StandardOutput,  # noqa: PLC0415
        )
        from ..models.kling_video_v1_pro_ai_avatar_output import (
            KlingVideoV1ProAiAvatarOutput,  # noqa: PLC0415
        )
        from ..models.kling_video_v1_standard_ai_avatar_output import (
            KlingVideoV1StandardAiAvatarOutput,  # noqa: PLC0415
        )
        from ..models.webhook_payload_payload_type_2 import WebhookPayloadPayloadType2  # noqa: PLC0415

        request_id = self.request_id

        status = self.status.value

        gateway_request_id = self.gateway_request_id

        payload: dict[str, Any] | None | Unset
        if isinstance(self.payload, Unset):
            payload = UNSET
        elif isinstance(self.payload, KlingVideoAiAvatarV2StandardOutput):
            payload = self.payload.to_dict()
        elif isinstance(self.payload, KlingVideoAiAvatarV2ProOutput):
            payload = self.payload.to_dict()
        elif isinstance(self.payload, KlingVideoV1StandardAiAvatarOutput):
            payload = self.payload.to_dict()
        elif isinstance(self.payload, KlingVideoV1ProAiAvatarOutput):
            payload = self.payload.to_dict()
        elif isinstance(self.payload, ErrorBody):
            payload = self.payload.to_dict()
        elif isinstance(self.payload, WebhookPayloadPayloadType2):
            payload = self.payload.to_dict()
        else:
            payload = self.payload

        error = self.error

        payload_error = self.payload_error

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "request_id": request_id,
                "status": status,
            }
        )
        if gateway_request_id is not UNSET:
            field_dict["gateway_request_id"] = gateway_request_id
        if payload is not UNSET:
            field_dict["payload"] = payload
        if error is not UNSET:
            field_dict["error"] = error
        if payload_error is not UNSET:
            field_dict["payload_error"] = payload_error

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.error_body import ErrorBody  # noqa: PLC0415
        from ..models.kling_video_ai_avatar_v2_pro_output import (
            KlingVideoAiAvatarV2ProOutput,  # noqa: PLC0415
        )
        from ..models.kling_video_ai_avatar_v2_standard_output import (
            KlingVideoAiAvatarV2StandardOutput,  # noqa: PLC0415
        )
        from ..models.kling_video_v1_pro_ai_avatar_output import (
            KlingVideoV1ProAiAvatarOutput,  # noqa: PLC0415
        )
        from ..models.kling_video_v1_standard_ai_avatar_output import (
            KlingVideoV1StandardAiAvatarOutput,  # noqa: PLC0415
        )
        from ..models.webhook_payload_payload_type_2 import WebhookPayloadPayloadType2  # noqa: PLC0415

        d = dict(src_dict)
        request_id = d.pop("request_id")

        status = WebhookPayloadStatus(d.pop("status"))

        gateway_request_id = d.pop("gateway_request_id", UNSET)

        def _parse_payload(
            data: object,
        ) -> (
            ErrorBody
            | KlingVideoAiAvatarV2ProOutput
            | KlingVideoAiAvatarV2StandardOutput
            | KlingVideoV1ProAiAvatarOutput
            | KlingVideoV1StandardAiAvatarOutput
            | None
            | Unset
            | WebhookPayloadPayloadType2
        ):
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                componentsschemas_avatar_output_type_0 = (
                    KlingVideoAiAvatarV2StandardOutput.from_dict(data)
                )

                return componentsschemas_avatar_output_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                componentsschemas_avatar_output_type_1 = (
                    KlingVideoAiAvatarV2ProOutput.from_dict(data)
                )

                return componentsschemas_avatar_output_type_1
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                componentsschemas_avatar_output_type_2 = (
                    KlingVideoV1StandardAiAvatarOutput.from_dict(data)
                )

                return componentsschemas_avatar_output_type_2
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                componentsschemas_avatar_output_type_3 = (
                    KlingVideoV1ProAiAvatarOutput.from_dict(data)
                )

                return componentsschemas_avatar_output_type_3
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                payload_type_1 = ErrorBody.from_dict(data)

                return payload_type_1
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                payload_type_2 = WebhookPayloadPayloadType2.from_dict(data)

                return payload_type_2
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(
                ErrorBody
                | KlingVideoAiAvatarV2ProOutput
                | KlingVideoAiAvatarV2StandardOutput
                | KlingVideoV1ProAiAvatarOutput
                | KlingVideoV1StandardAiAvatarOutput
                | None
                | Unset
                | WebhookPayloadPayloadType2,
                data,
            )

        payload = _parse_payload(d.pop("payload", UNSET))

        error = d.pop("error", UNSET)

        payload_error = d.pop("payload_error", UNSET)

        webhook_payload = cls(
            request_id=request_id,
            status=status,
            gateway_request_id=gateway_request_id,
            payload=payload,
            error=error,
            payload_error=payload_error,
        )

        webhook_payload.additional_properties = d
        return webhook_payload

    @property
    def additional_keys(self) -> list[str]:
        return list(self.additional_properties.keys())

    def __getitem__(self, key: str) -> Any:
        return self.additional_properties[key]

    def __setitem__(self, key: str, value: Any) -> None:
        self.additional_properties[key] = value

    def __delitem__(self, key: str) -> None:
        del self.additional_properties[key]

    def __contains__(self, key: str) -> bool:
        return key in self.additional_properties
