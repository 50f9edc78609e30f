from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

T = TypeVar("T", bound="Estimate")


@_attrs_define
class Estimate:
    """
    Attributes:
        estimated_credits (float):
        balance (float | Unset):
        affordable (bool | Unset):
    """

    estimated_credits: float
    balance: float | Unset = UNSET
    affordable: bool | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        estimated_credits = self.estimated_credits

        balance = self.balance

        affordable = self.affordable

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "estimated_credits": estimated_credits,
            }
        )
        if balance is not UNSET:
            field_dict["balance"] = balance
        if affordable is not UNSET:
            field_dict["affordable"] = affordable

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        estimated_credits = d.pop("estimated_credits")

        balance = d.pop("balance", UNSET)

        affordable = d.pop("affordable", UNSET)

        estimate = cls(
            estimated_credits=estimated_credits,
            balance=balance,
            affordable=affordable,
        )

        estimate.additional_properties = d
        return estimate

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
