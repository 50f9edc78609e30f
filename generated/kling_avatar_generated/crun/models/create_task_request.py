from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.create_task_request_model import CreateTaskRequestModel
from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.kling_avatar_input import KlingAvatarInput


T = TypeVar("T", bound="CreateTaskRequest")


@_attrs_define
class CreateTaskRequest:
    """
    Attributes:
        model (CreateTaskRequestModel): The model name to use for generation. Required field.
            - Must be `kling/avatar` for this endpoint
        input_ (KlingAvatarInput): Input parameters for the kling avatar image-to-video generation task
        callback_url (str | Unset): Optional. Callback URL for receiving task completion notifications.
            - System will POST task status and results to this URL when generation completes
            - Callback payloads structure is consistent with the data object returned by the task status query
            - Your callback endpoint should accept POST requests with JSON payload containing results
            - It returns an HTTP 200 status code upon successful receipt Example: https://your-domain.com/api/callback.
    """

    model: CreateTaskRequestModel
    input_: KlingAvatarInput
    callback_url: str | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        model = self.model.value

        input_ = self.input_.to_dict()

        callback_url = self.callback_url

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "model": model,
                "input": input_,
            }
        )
        if callback_url is not UNSET:
            field_dict["callback_url"] = callback_url

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.kling_avatar_input import KlingAvatarInput  # noqa: PLC0415

        d = dict(src_dict)
        model = CreateTaskRequestModel(d.pop("model"))

        input_ = KlingAvatarInput.from_dict(d.pop("input"))

        callback_url = d.pop("callback_url", UNSET)

        create_task_request = cls(
            model=model,
            input_=input_,
            callback_url=callback_url,
        )

        create_task_request.additional_properties = d
        return create_task_request

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
