from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.queue_submitted_status import QueueSubmittedStatus
from ..types import UNSET, Unset

T = TypeVar("T", bound="QueueSubmitted")


@_attrs_define
class QueueSubmitted:
    """The submit answer. Only `request_id` is sure to be there.

    Attributes:
        request_id (str): The id the queue knows the request by (a UUID).
        gateway_request_id (str | Unset): The id of the last retried attempt; not the one to query.
        status (QueueSubmittedStatus | Unset):
        response_url (str | Unset): Where the result will be (the owner/app path, per fal's docs).
        status_url (str | Unset): Where to poll the status.
        cancel_url (str | Unset): Where to cancel.
        queue_position (int | Unset): The request's place in the queue, from 0.
    """

    request_id: str
    gateway_request_id: str | Unset = UNSET
    status: QueueSubmittedStatus | Unset = UNSET
    response_url: str | Unset = UNSET
    status_url: str | Unset = UNSET
    cancel_url: str | Unset = UNSET
    queue_position: int | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        request_id = self.request_id

        gateway_request_id = self.gateway_request_id

        status: str | Unset = UNSET
        if not isinstance(self.status, Unset):
            status = self.status.value

        response_url = self.response_url

        status_url = self.status_url

        cancel_url = self.cancel_url

        queue_position = self.queue_position

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "request_id": request_id,
            }
        )
        if gateway_request_id is not UNSET:
            field_dict["gateway_request_id"] = gateway_request_id
        if status is not UNSET:
            field_dict["status"] = status
        if response_url is not UNSET:
            field_dict["response_url"] = response_url
        if status_url is not UNSET:
            field_dict["status_url"] = status_url
        if cancel_url is not UNSET:
            field_dict["cancel_url"] = cancel_url
        if queue_position is not UNSET:
            field_dict["queue_position"] = queue_position

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        request_id = d.pop("request_id")

        gateway_request_id = d.pop("gateway_request_id", UNSET)

        _status = d.pop("status", UNSET)
        status: QueueSubmittedStatus | Unset
        if isinstance(_status, Unset):
            status = UNSET
        else:
            status = QueueSubmittedStatus(_status)

        response_url = d.pop("response_url", UNSET)

        status_url = d.pop("status_url", UNSET)

        cancel_url = d.pop("cancel_url", UNSET)

        queue_position = d.pop("queue_position", UNSET)

        queue_submitted = cls(
            request_id=request_id,
            gateway_request_id=gateway_request_id,
            status=status,
            response_url=response_url,
            status_url=status_url,
            cancel_url=cancel_url,
            queue_position=queue_position,
        )

        queue_submitted.additional_properties = d
        return queue_submitted

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
