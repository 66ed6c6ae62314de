"""VM power operations: start, shutdown, reboot, suspend, resume, pause, live migration.

Each handler validates the operation (``vm_operation``: blocked operations, power state,
operations in progress, templates, snapshots) and then moves the VM to its new state through
``vm_runtime``. Clean and hard variants behave alike here: the simulated guest always obeys.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Callable

from ...errors import XapiError
from ...registry import handles
from ...store import NULL_REF
from ..storage.vdi import remove_vdi
from .disks import create_suspend_image
from .guest import schedule_guest_agent
from .placement import assert_can_boot_here, choose_host, refresh_host_memory
from .runtime import bring_up, next_domid, save_to_disk, shut_down
from .state import RUNNING, refresh_device_operations, vm_operation

if TYPE_CHECKING:
    from ...context import CallContext


@handles("VM.start")
def start(ctx: "CallContext", vm: str, start_paused: bool, force: bool) -> str:
    with vm_operation(ctx, vm, "start"):
        bring_up(ctx.sim, vm, choose_host(ctx, vm), start_paused)
    return ""


@handles("VM.start_on")
def start_on(ctx: "CallContext", vm: str, host: str, start_paused: bool, force: bool) -> str:
    with vm_operation(ctx, vm, "start_on"):
        ctx.store.get("host", host)
        assert_can_boot_here(ctx.store, vm, host)
        bring_up(ctx.sim, vm, host, start_paused)
    return ""


def _shut_down_handler(op: str) -> Callable[..., str]:
    def handler(ctx: "CallContext", vm: str) -> str:
        with vm_operation(ctx, vm, op):
            shut_down(ctx.store, vm)
        return ""

    handler.__name__ = op
    return handler


# A suspended VM shut down loses its memory image; shutdown is clean when it can be, else hard.
for _op in ("clean_shutdown", "hard_shutdown", "shutdown"):
    handles(f"VM.{_op}")(_shut_down_handler(_op))


def _reboot_handler(op: str) -> Callable[..., str]:
    def handler(ctx: "CallContext", vm: str) -> str:
        with vm_operation(ctx, vm, op):
            bring_up(ctx.sim, vm, ctx.store.get("VM", vm)["resident_on"], paused=False)
        return ""

    handler.__name__ = op
    return handler


# A reboot is a new domain on the same host; a paused VM comes back running.
for _op in ("clean_reboot", "hard_reboot"):
    handles(f"VM.{_op}")(_reboot_handler(_op))


@handles("VM.suspend")
def suspend(ctx: "CallContext", vm: str) -> str:
    with vm_operation(ctx, vm, "suspend"):
        save_to_disk(ctx.store, vm, create_suspend_image(ctx.store, vm))
    return ""


def _resume_on(ctx: "CallContext", vm: str, host: str, start_paused: bool) -> None:
    """Boot from the memory image, which is then discarded.

    A Suspended VM without an image (as a scenario may define it) resumes all the same.
    """
    store = ctx.store
    image = store.get("VM", vm)["suspend_VDI"]
    bring_up(ctx.sim, vm, host, start_paused)
    store.update("VM", vm, suspend_VDI=NULL_REF)
    if image != NULL_REF and store.exists("VDI", image):
        remove_vdi(store, image)


@handles("VM.resume")
def resume(ctx: "CallContext", vm: str, start_paused: bool, force: bool) -> str:
    with vm_operation(ctx, vm, "resume"):
        _resume_on(ctx, vm, choose_host(ctx, vm), start_paused)
    return ""


@handles("VM.resume_on")
def resume_on(ctx: "CallContext", vm: str, host: str, start_paused: bool, force: bool) -> str:
    with vm_operation(ctx, vm, "resume_on"):
        ctx.store.get("host", host)
        assert_can_boot_here(ctx.store, vm, host)
        _resume_on(ctx, vm, host, start_paused)
    return ""


@handles("VM.pause")
def pause(ctx: "CallContext", vm: str) -> str:
    with vm_operation(ctx, vm, "pause"):
        ctx.store.update("VM", vm, power_state="Paused")
        refresh_device_operations(ctx.store, vm)
    return ""


@handles("VM.unpause")
def unpause(ctx: "CallContext", vm: str) -> str:
    with vm_operation(ctx, vm, "unpause"):
        ctx.store.update("VM", vm, power_state=RUNNING)
        refresh_device_operations(ctx.store, vm)
        if ctx.store.get("VM", vm)["guest_metrics"] == NULL_REF:
            schedule_guest_agent(ctx.sim, vm)
    return ""


@handles("VM.pool_migrate")
def pool_migrate(ctx: "CallContext", vm: str, host: str, options: dict[str, str]) -> str:
    """Live migration: the domain moves (a new domid), the guest and its metrics carry on.

    Migrating to the host the VM already runs on is a localhost migration, as xapi allows.
    """
    store = ctx.store
    with vm_operation(ctx, vm, "pool_migrate"):
        store.get("host", host)
        assert_can_boot_here(store, vm, host)
        source = store.get("VM", vm)["resident_on"]
        store.update("VM", vm, resident_on=host, domid=next_domid(store, host))
        refresh_host_memory(store, source)
        refresh_host_memory(store, host)
    return ""


@handles("VM.power_state_reset")
def power_state_reset(ctx: "CallContext", vm: str) -> str:
    """Mark the VM Halted in the database only (recovery after a host died), whatever it was doing."""
    store = ctx.store
    if store.get("VM", vm)["is_control_domain"]:
        raise XapiError("CANNOT_RESET_CONTROL_DOMAIN", vm)
    store.update("VM", vm, current_operations={})
    shut_down(store, vm)
    return ""
