from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.queue_status_status import QueueStatusStatus
from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.log_entry import LogEntry
    from ..models.queue_status_logs_type_1 import QueueStatusLogsType1
    from ..models.queue_status_metrics import QueueStatusMetrics


T = TypeVar("T", bound="QueueStatus")


@_attrs_define
class QueueStatus:
    """
    Attributes:
        status (QueueStatusStatus):
        request_id (str | Unset): The request id.
        response_url (str | Unset): The response url.
        status_url (str | Unset): The status url.
        cancel_url (str | Unset): The cancel url.
        metrics (QueueStatusMetrics | Unset): The metrics.
        queue_position (int | Unset): The queue position.
        logs (list[LogEntry] | None | QueueStatusLogsType1 | Unset): The logs, when asked for (`logs=1`); null or absent
            otherwise.
        error (str | Unset): Why the request failed, on a COMPLETED that failed (e.g. "Runner disconnected").
        error_type (str | Unset): What kind of failure, on a COMPLETED that failed (e.g. runner_disconnected).
    """

    status: QueueStatusStatus
    request_id: str | Unset = UNSET
    response_url: str | Unset = UNSET
    status_url: str | Unset = UNSET
    cancel_url: str | Unset = UNSET
    metrics: QueueStatusMetrics | Unset = UNSET
    queue_position: int | Unset = UNSET
    logs: list[LogEntry] | None | QueueStatusLogsType1 | Unset = UNSET
    error: str | Unset = UNSET
    error_type: str | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        from ..models.queue_status_logs_type_1 import QueueStatusLogsType1  # noqa: PLC0415

        status = self.status.value

        request_id = self.request_id

        response_url = self.response_url

        status_url = self.status_url

        cancel_url = self.cancel_url

        metrics: dict[str, Any] | Unset = UNSET
        if not isinstance(self.metrics, Unset):
            metrics = self.metrics.to_dict()

        queue_position = self.queue_position

        logs: dict[str, Any] | list[dict[str, Any]] | None | Unset
        if isinstance(self.logs, Unset):
            logs = UNSET
        elif isinstance(self.logs, list):
            logs = []
            for logs_type_0_item_data in self.logs:
                logs_type_0_item = logs_type_0_item_data.to_dict()
                logs.append(logs_type_0_item)

        elif isinstance(self.logs, QueueStatusLogsType1):
            logs = self.logs.to_dict()
        else:
            logs = self.logs

        error = self.error

        error_type = self.error_type

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "status": status,
            }
        )
        if request_id is not UNSET:
            field_dict["request_id"] = request_id
        if response_url is not UNSET:
            field_dict["response_url"] = response_url
        if status_url is not UNSET:
            field_dict["status_url"] = status_url
        if cancel_url is not UNSET:
            field_dict["cancel_url"] = cancel_url
        if metrics is not UNSET:
            field_dict["metrics"] = metrics
        if queue_position is not UNSET:
            field_dict["queue_position"] = queue_position
        if logs is not UNSET:
            field_dict["logs"] = logs
        if error is not UNSET:
            field_dict["error"] = error
        if error_type is not UNSET:
            field_dict["error_type"] = error_type

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.log_entry import LogEntry  # noqa: PLC0415
        from ..models.queue_status_logs_type_1 import QueueStatusLogsType1  # noqa: PLC0415
        from ..models.queue_status_metrics import QueueStatusMetrics  # noqa: PLC0415

        d = dict(src_dict)
        status = QueueStatusStatus(d.pop("status"))

        request_id = d.pop("request_id", UNSET)

        response_url = d.pop("response_url", UNSET)

        status_url = d.pop("status_url", UNSET)

        cancel_url = d.pop("cancel_url", UNSET)

        _metrics = d.pop("metrics", UNSET)
        metrics: QueueStatusMetrics | Unset
        if isinstance(_metrics, Unset):
            metrics = UNSET
        else:
            metrics = QueueStatusMetrics.from_dict(_metrics)

        queue_position = d.pop("queue_position", UNSET)

        def _parse_logs(
            data: object,
        ) -> list[LogEntry] | None | QueueStatusLogsType1 | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, list):
                    raise TypeError()
                logs_type_0 = []
                _logs_type_0 = data
                for logs_type_0_item_data in _logs_type_0:
                    logs_type_0_item = LogEntry.from_dict(logs_type_0_item_data)

                    logs_type_0.append(logs_type_0_item)

                return logs_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                logs_type_1 = QueueStatusLogsType1.from_dict(data)

                return logs_type_1
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(list[LogEntry] | None | QueueStatusLogsType1 | Unset, data)

        logs = _parse_logs(d.pop("logs", UNSET))

        error = d.pop("error", UNSET)

        error_type = d.pop("error_type", UNSET)

        queue_status = cls(
            status=status,
            request_id=request_id,
            response_url=response_url,
            status_url=status_url,
            cancel_url=cancel_url,
            metrics=metrics,
            queue_position=queue_position,
            logs=logs,
            error=error,
            error_type=error_type,
        )

        queue_status.additional_properties = d
        return queue_status

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
