from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

if TYPE_CHECKING:
    from ..models.file import File


T = TypeVar("T", bound="KlingVideoAiAvatarV2StandardOutput")


@_attrs_define
class KlingVideoAiAvatarV2StandardOutput:
    """
    Attributes:
        duration (float): Duration of the output video in seconds.
        video (File):
    """

    duration: float
    video: File
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        duration = self.duration

        video = self.video.to_dict()

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "duration": duration,
                "video": video,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.file import File  # noqa: PLC0415

        d = dict(src_dict)
        duration = d.pop("duration")

        video = File.from_dict(d.pop("video"))

        kling_video_ai_avatar_v2_standard_output = cls(
            duration=duration,
            video=video,
        )

        kling_video_ai_avatar_v2_standard_output.additional_properties = d
        return kling_video_ai_avatar_v2_standard_output

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
