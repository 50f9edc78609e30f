from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

T = TypeVar("T", bound="Jwk")


@_attrs_define
class Jwk:
    """One ED25519 public key; `x` is the raw 32-byte key, base64url without padding.

    Attributes:
        x (str):
        kty (str | Unset):  Example: OKP.
        crv (str | Unset):  Example: Ed25519.
        kid (str | Unset):
    """

    x: str
    kty: str | Unset = UNSET
    crv: str | Unset = UNSET
    kid: str | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        x = self.x

        kty = self.kty

        crv = self.crv

        kid = self.kid

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "x": x,
            }
        )
        if kty is not UNSET:
            field_dict["kty"] = kty
        if crv is not UNSET:
            field_dict["crv"] = crv
        if kid is not UNSET:
            field_dict["kid"] = kid

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        x = d.pop("x")

        kty = d.pop("kty", UNSET)

        crv = d.pop("crv", UNSET)

        kid = d.pop("kid", UNSET)

        jwk = cls(
            x=x,
            kty=kty,
            crv=crv,
            kid=kid,
        )

        jwk.additional_properties = d
        return jwk

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
