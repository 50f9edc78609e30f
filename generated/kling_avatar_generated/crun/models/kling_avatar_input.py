from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.kling_avatar_input_mode import KlingAvatarInputMode
from ..types import UNSET, Unset

T = TypeVar("T", bound="KlingAvatarInput")


@_attrs_define
class KlingAvatarInput:
    """Input parameters for the kling avatar image-to-video generation task

    Attributes:
        image_url (str): URL of the portrait image. Example: https://example.com/reference_avatar.png.
        audio_url (str): URL of the audio file the avatar speaks. Example: https://example.com/avatar_audio.mp3.
        mode (KlingAvatarInputMode | Unset): Generation quality. The seed's example sends `pro`; no source says what
            crun does when it is left out.
        prompt (str | Unset): Optional motion and expression guidance, at most 2500 characters.
    """

    image_url: str
    audio_url: str
    mode: KlingAvatarInputMode | Unset = UNSET
    prompt: str | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        image_url = self.image_url

        audio_url = self.audio_url

        mode: str | Unset = UNSET
        if not isinstance(self.mode, Unset):
            mode = self.mode.value

        prompt = self.prompt

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "image_url": image_url,
                "audio_url": audio_url,
            }
        )
        if mode is not UNSET:
            field_dict["mode"] = mode
        if prompt is not UNSET:
            field_dict["prompt"] = prompt

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        image_url = d.pop("image_url")

        audio_url = d.pop("audio_url")

        _mode = d.pop("mode", UNSET)
        mode: KlingAvatarInputMode | Unset
        if isinstance(_mode, Unset):
            mode = UNSET
        else:
            mode = KlingAvatarInputMode(_mode)

        prompt = d.pop("prompt", UNSET)

        kling_avatar_input = cls(
            image_url=image_url,
            audio_url=audio_url,
            mode=mode,
            prompt=prompt,
        )

        kling_avatar_input.additional_properties = d
        return kling_avatar_input

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
