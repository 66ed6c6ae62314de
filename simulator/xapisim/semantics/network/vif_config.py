"""VIF settings with their own messages: locking mode, allowed addresses, IP configuration, trunks.

These fields are read-only in the datamodel, so the generic setters do not cover them; each
message checks what it is given (addresses must parse) before storing it.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable

from ...registry import handles
from .common import assert_valid_cidr, assert_valid_ip

if TYPE_CHECKING:
    from ...context import CallContext

# Set-valued fields with set_/add_/remove_ messages, and the IP version of their values (None: VLAN tags).
_SET_FIELDS = (("ipv4_allowed", 4), ("ipv6_allowed", 6), ("trunks", None))


@handles("VIF.set_locking_mode")
def set_locking_mode(ctx: "CallContext", vif: str, mode: str) -> str:
    ctx.store.get("VIF", vif)
    ctx.store.update("VIF", vif, locking_mode=mode)
    return ""


def _check_values(field: str, version: int | None, values: list[Any]) -> None:
    if version is not None:
        for value in values:
            assert_valid_ip(version, field, value)


def _store_set(ctx: "CallContext", vif: str, field: str, values: list[Any]) -> str:
    ctx.store.update("VIF", vif, **{field: list(dict.fromkeys(values))})
    return ""


def _setter(field: str, version: int | None) -> Callable[..., str]:
    def handler(ctx: "CallContext", vif: str, values: list[Any]) -> str:
        ctx.store.get("VIF", vif)
        _check_values(field, version, values)
        return _store_set(ctx, vif, field, values)
    return handler


def _adder(field: str, version: int | None) -> Callable[..., str]:
    def handler(ctx: "CallContext", vif: str, value: Any) -> str:
        current = ctx.store.get("VIF", vif)[field]
        _check_values(field, version, [value])
        return _store_set(ctx, vif, field, [*current, value])
    return handler


def _remover(field: str) -> Callable[..., str]:
    def handler(ctx: "CallContext", vif: str, value: Any) -> str:
        current = ctx.store.get("VIF", vif)[field]
        return _store_set(ctx, vif, field, [item for item in current if item != value])
    return handler


for _field, _version in _SET_FIELDS:
    handles(f"VIF.set_{_field}")(_setter(_field, _version))
    handles(f"VIF.add_{_field}")(_adder(_field, _version))
    handles(f"VIF.remove_{_field}")(_remover(_field))


def _configure(ctx: "CallContext", vif: str, version: int, mode: str, address: str, gateway: str) -> str:
    """A static address needs ``address/prefix``; the gateway, when given, must be an address."""
    ctx.store.get("VIF", vif)
    if mode == "Static":
        assert_valid_cidr(version, "address", address)
        if gateway:
            assert_valid_ip(version, "gateway", gateway)
    prefix = f"ipv{version}"
    ctx.store.update("VIF", vif, **{f"{prefix}_configuration_mode": mode,
                                    f"{prefix}_addresses": [address] if address else [],
                                    f"{prefix}_gateway": gateway})
    return ""


@handles("VIF.configure_ipv4")
def configure_ipv4(ctx: "CallContext", vif: str, mode: str, address: str, gateway: str) -> str:
    return _configure(ctx, vif, 4, mode, address, gateway)


@handles("VIF.configure_ipv6")
def configure_ipv6(ctx: "CallContext", vif: str, mode: str, address: str, gateway: str) -> str:
    return _configure(ctx, vif, 6, mode, address, gateway)
