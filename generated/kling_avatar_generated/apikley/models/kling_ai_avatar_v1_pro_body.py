from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.kling_ai_avatar_v1_pro_body_model import KlingAiAvatarV1ProBodyModel
from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.kling_ai_avatar_v1_pro_body_input import KlingAiAvatarV1ProBodyInput


T = TypeVar("T", bound="KlingAiAvatarV1ProBody")


@_attrs_define
class KlingAiAvatarV1ProBody:
    """
    Example:
        {'model': 'kling/ai-avatar-v1-pro', 'callBackUrl': 'https://your-domain.com/api/callback', 'input':
            {'image_url': 'https://file.aiquickdraw.com/custom-page/akr/section-images/175792685809077e8h8k3.png',
            'audio_url': 'https://file.aiquickdraw.com/custom-page/akr/section-images/1757925802302srqfkcqh.mp3', 'prompt':
            ''}}

    Attributes:
        model (KlingAiAvatarV1ProBodyModel): The model name to use for generation. Required field.
            - Must be `kling/ai-avatar-v1-pro` for this endpoint Default: KlingAiAvatarV1ProBodyModel.KLINGAI_AVATAR_V1_PRO.
            Example: kling/ai-avatar-v1-pro.
        input_ (KlingAiAvatarV1ProBodyInput): Input parameters for the generation task
        call_back_url (str | Unset): The URL to receive generation task completion updates. Optional but recommended for
            production use.
            - System will POST task status and results to this URL when generation completes
            - Callback includes generated content URLs and task information
            - Your callback endpoint should accept POST requests with JSON payload containing results
            - Alternatively, use the Get Task Details endpoint to poll task status Example: https://your-
            domain.com/api/callback.
    """

    input_: KlingAiAvatarV1ProBodyInput
    model: KlingAiAvatarV1ProBodyModel = (
        KlingAiAvatarV1ProBodyModel.KLINGAI_AVATAR_V1_PRO
    )
    call_back_url: str | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        model = self.model.value

        input_ = self.input_.to_dict()

        call_back_url = self.call_back_url

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "model": model,
                "input": input_,
            }
        )
        if call_back_url is not UNSET:
            field_dict["callBackUrl"] = call_back_url

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.kling_ai_avatar_v1_pro_body_input import (
            KlingAiAvatarV1ProBodyInput,  # noqa: PLC0415
        )

        d = dict(src_dict)
        model = KlingAiAvatarV1ProBodyModel(d.pop("model"))

        input_ = KlingAiAvatarV1ProBodyInput.from_dict(d.pop("input"))

        call_back_url = d.pop("callBackUrl", UNSET)

        kling_ai_avatar_v1_pro_body = cls(
            model=model,
            input_=input_,
            call_back_url=call_back_url,
        )

        kling_ai_avatar_v1_pro_body.additional_properties = d
        return kling_ai_avatar_v1_pro_body

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
