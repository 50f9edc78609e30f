from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

T = TypeVar("T", bound="KlingVideoAiAvatarV2ProInput")


@_attrs_define
class KlingVideoAiAvatarV2ProInput:
    """
    Attributes:
        audio_url (str): The URL of the audio file. Example: https://example.com/voice.mp3.
        image_url (str): The URL of the image to use as your avatar Example: https://example.com/portrait.png.
        prompt (str | Unset): The prompt to use for the video generation. Default: '.'.
    """

    audio_url: str
    image_url: str
    prompt: str | Unset = "."
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        audio_url = self.audio_url

        image_url = self.image_url

        prompt = self.prompt

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "audio_url": audio_url,
                "image_url": image_url,
            }
        )
        if prompt is not UNSET:
            field_dict["prompt"] = prompt

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        audio_url = d.pop("audio_url")

        image_url = d.pop("image_url")

        prompt = d.pop("prompt", UNSET)

        kling_video_ai_avatar_v2_pro_input = cls(
            audio_url=audio_url,
            image_url=image_url,
            prompt=prompt,
        )

        kling_video_ai_avatar_v2_pro_input.additional_properties = d
        return kling_video_ai_avatar_v2_pro_input

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
