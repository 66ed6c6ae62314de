"""What the simulator knows about each storage driver: the device_config keys it cannot work
without, the size it reports for a new SR, and the errors its SM backend raises.

Drivers exist when the pool has an ``SM`` record of that ``type``; a driver missing from the
table below still works, with no required keys and the default size.
"""
from __future__ import annotations

from dataclasses import dataclass

from ...errors import XapiError
from ...store import Store
from .common import backend_failure

GIB = 1024 ** 3
TIB = 1024 * GIB


@dataclass(frozen=True)
class RequiredKey:
    """A device_config key and the SM error (code, description) raised when it is missing."""

    key: str
    code: int
    description: str


@dataclass(frozen=True)
class Driver:
    """A storage driver as the simulator models it."""

    default_size: int
    required: tuple[RequiredKey, ...] = ()
    # Drivers over a physical device (udev) cannot create, resize, clone or destroy VDIs.
    physical_devices: bool = False


# Codes and texts of the SM backends' error table (XE_SR_ERRORCODES).
_SERVER = RequiredKey("server", 102, "The request is missing the server parameter")
_SERVERPATH = RequiredKey("serverpath", 101, "The request is missing the serverpath parameter")
_DEVICE = RequiredKey("device", 90, "The request is missing the device parameter")

DRIVERS: dict[str, Driver] = {
    "nfs": Driver(TIB, (_SERVER, _SERVERPATH)),
    "smb": Driver(TIB, (_SERVER,)),
    "lvmoiscsi": Driver(TIB, (RequiredKey("target", 95, "The request is missing the target parameter"),
                              RequiredKey("targetIQN", 96, "The request is missing or has an incorrect target IQN parameter"),
                              RequiredKey("SCSIid", 107, "The SCSIid parameter is missing or incorrect"))),
    "lvm": Driver(500 * GIB, (_DEVICE,)),
    "ext": Driver(500 * GIB, (_DEVICE,)),
    "iso": Driver(100 * GIB, (RequiredKey("location", 220, "'Location' parameter must be specified in Device Configuration"),)),
    "udev": Driver(8 * GIB, (RequiredKey("location", 94, "The request is missing the location parameter"),), physical_devices=True),
}
DEFAULT_DRIVER = Driver(TIB)


def known_types(store: Store) -> list[str]:
    """The SR types the pool has a driver (SM record) for."""
    return sorted({record["type"] for record in store.records("SM").values()})


def driver_for(store: Store, sr_type: str) -> Driver:
    """The driver of an SR type, or SR_UNKNOWN_DRIVER [type] when no SM record has that type."""
    if sr_type not in known_types(store):
        raise XapiError("SR_UNKNOWN_DRIVER", sr_type)
    return DRIVERS.get(sr_type, DEFAULT_DRIVER)


def check_device_config(driver: Driver, device_config: dict[str, str]) -> None:
    """The SM backend refuses to attach or probe without its required device_config keys."""
    for required in driver.required:
        if required.key not in device_config:
            raise backend_failure(required.code, required.description)


def is_physical_device_sr(store: Store, sr: str) -> bool:
    """Whether the SR's VDIs are physical devices (a udev SR), which cannot be created or destroyed."""
    record = store.records("SR").get(sr)
    return record is not None and DRIVERS.get(record["type"], DEFAULT_DRIVER).physical_devices
