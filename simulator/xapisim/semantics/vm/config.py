"""VM configuration calls: memory, VCPUs, boot mode, template flag, device slots, plain settings.

Memory limits must satisfy static_min <= dynamic_min <= dynamic_max <= static_max; the static
range and the VCPU count change only while the VM is Halted, the dynamic range also while it
runs. Each call is a VM operation (``changing_memory_limits``, ``changing_VCPUs``, ...) and is
checked like one, so a template may be reconfigured and a snapshot may not.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable

from ... import generic
from ...errors import XapiError, bad_power_state
from ...registry import handles
from ...store import utcnow
from ..storage.devices import allowed_vbd_devices
from .runtime import ensure_metrics
from .state import RUNNING, SUSPENDED, vm_operation

if TYPE_CHECKING:
    from ...context import CallContext

MEMORY_ORDER = "Memory limits must satisfy: static_min <= dynamic_min <= dynamic_max <= static_max"
MEMORY_FIELDS = ("memory_static_min", "memory_dynamic_min", "memory_dynamic_max", "memory_static_max")
# Explicit messages that store a value; the simulator serves them like implicit setters, without further checks.
PLAIN_SETTINGS = ("set_platform", "add_to_platform", "remove_from_platform", "set_other_config",
                  "add_to_other_config", "remove_from_other_config", "set_blocked_operations",
                  "add_to_blocked_operations", "remove_from_blocked_operations", "set_actions_after_crash",
                  "set_has_vendor_device", "set_order", "set_start_delay", "set_shutdown_delay", "set_NVRAM",
                  "add_to_NVRAM", "remove_from_NVRAM", "set_ha_restart_priority", "set_ha_always_run",
                  "set_appliance", "set_protection_policy", "set_snapshot_schedule")


# ---- memory ----------------------------------------------------------------------------------
def _change_memory(ctx: "CallContext", vm: str, op: str, **changes: int) -> str:
    store = ctx.store
    with vm_operation(ctx, vm, op):
        record = store.get("VM", vm)
        limits = {field: changes.get(field, record[field]) for field in MEMORY_FIELDS}
        if not limits["memory_static_min"] <= limits["memory_dynamic_min"] <= limits["memory_dynamic_max"] \
                <= limits["memory_static_max"]:
            raise XapiError("MEMORY_CONSTRAINT_VIOLATION", MEMORY_ORDER)
        store.update("VM", vm, **changes)
        if record["power_state"] == RUNNING and "memory_dynamic_max" in changes:
            # The balloon driver follows the new target at once.
            store.update("VM", vm, memory_target=limits["memory_dynamic_max"])
            store.update("VM_metrics", ensure_metrics(store, vm), memory_actual=limits["memory_dynamic_max"])
    return ""


@handles("VM.set_memory_limits")
def set_memory_limits(ctx: "CallContext", vm: str, static_min: int, static_max: int, dynamic_min: int,
                      dynamic_max: int) -> str:
    return _change_memory(ctx, vm, "changing_memory_limits", memory_static_min=static_min,
                          memory_static_max=static_max, memory_dynamic_min=dynamic_min,
                          memory_dynamic_max=dynamic_max)


@handles("VM.set_memory")
def set_memory(ctx: "CallContext", vm: str, value: int) -> str:
    """static_max, dynamic_min and dynamic_max all become ``value``; static_min stays."""
    return _change_memory(ctx, vm, "changing_memory_limits", memory_static_max=value, memory_dynamic_min=value,
                          memory_dynamic_max=value)


@handles("VM.set_memory_static_range")
def set_memory_static_range(ctx: "CallContext", vm: str, minimum: int, maximum: int) -> str:
    return _change_memory(ctx, vm, "changing_static_range", memory_static_min=minimum, memory_static_max=maximum)


@handles("VM.set_memory_dynamic_range")
def set_memory_dynamic_range(ctx: "CallContext", vm: str, minimum: int, maximum: int) -> str:
    return _change_memory(ctx, vm, "changing_dynamic_range", memory_dynamic_min=minimum, memory_dynamic_max=maximum)


def _memory_setter(field: str, op: str) -> Callable[..., str]:
    def handler(ctx: "CallContext", vm: str, value: int) -> str:
        return _change_memory(ctx, vm, op, **{field: value})

    handler.__name__ = f"set_{field}"
    return handler


for _field, _op in (("memory_static_min", "changing_static_range"), ("memory_static_max", "changing_static_range"),
                    ("memory_dynamic_min", "changing_dynamic_range"), ("memory_dynamic_max", "changing_dynamic_range")):
    handles(f"VM.set_{_field}")(_memory_setter(_field, _op))


# ---- VCPUs -----------------------------------------------------------------------------------
def _check_vcpus(field: str, value: int, at_least: int, at_most: int) -> None:
    """VCPU counts must satisfy 0 < VCPUs_at_startup <= VCPUs_max."""
    if not max(1, at_least) <= value <= at_most:
        raise XapiError("INVALID_VALUE", field, value)


@handles("VM.set_VCPUs_max")
def set_VCPUs_max(ctx: "CallContext", vm: str, value: int) -> str:
    with vm_operation(ctx, vm, "changing_VCPUs"):
        _check_vcpus("VCPUs_max", value, ctx.store.get("VM", vm)["VCPUs_at_startup"], value)
        ctx.store.update("VM", vm, VCPUs_max=value)
    return ""


@handles("VM.set_VCPUs_at_startup")
def set_VCPUs_at_startup(ctx: "CallContext", vm: str, value: int) -> str:
    with vm_operation(ctx, vm, "changing_VCPUs"):
        _check_vcpus("VCPUs_at_startup", value, 1, ctx.store.get("VM", vm)["VCPUs_max"])
        ctx.store.update("VM", vm, VCPUs_at_startup=value)
    return ""


@handles("VM.set_VCPUs_number_live")
def set_VCPUs_number_live(ctx: "CallContext", vm: str, nvcpu: int) -> str:
    store = ctx.store
    with vm_operation(ctx, vm, "changing_VCPUs_live"):
        _check_vcpus("nvcpu", nvcpu, 1, store.get("VM", vm)["VCPUs_max"])
        store.update("VM", vm, VCPUs_at_startup=nvcpu)
        store.update("VM_metrics", ensure_metrics(store, vm), VCPUs_number=nvcpu,
                     VCPUs_utilisation={i: 0.0 for i in range(nvcpu)})
    return ""


# ---- boot mode and template flag ---------------------------------------------------------------
@handles("VM.set_HVM_boot_policy")
def set_HVM_boot_policy(ctx: "CallContext", vm: str, value: str) -> str:
    """An HVM boot policy makes an HVM guest; none makes a PV guest (the next time it starts)."""
    ctx.store.get("VM", vm)
    ctx.store.update("VM", vm, HVM_boot_policy=value, domain_type="hvm" if value else "pv")
    return ""


@handles("VM.set_domain_type")
def set_domain_type(ctx: "CallContext", vm: str, value: str) -> str:
    ctx.store.get("VM", vm)
    if value == "unspecified":
        raise XapiError("INVALID_VALUE", "domain_type", value)
    ctx.store.update("VM", vm, domain_type=value, HVM_boot_policy="BIOS order" if value == "hvm" else "")
    return ""


@handles("VM.set_is_a_template")
def set_is_a_template(ctx: "CallContext", vm: str, value: bool) -> str:
    """Turning a VM into a template is the ``make_into_template`` operation (Halted VMs only);
    turning a template into a VM counts as installing it."""
    store = ctx.store
    record = store.get("VM", vm)
    if value == record["is_a_template"]:
        return ""
    if value:
        with vm_operation(ctx, vm, "make_into_template"):
            store.update("VM", vm, is_a_template=True)
        return ""
    store.update("VM", vm, is_a_template=False, is_default_template=False)
    store.update("VM_metrics", ensure_metrics(store, vm), install_time=utcnow())
    return ""


# ---- devices and runtime information ---------------------------------------------------------------
@handles("VM.get_allowed_VBD_devices")
def get_allowed_VBD_devices(ctx: "CallContext", vm: str) -> list[str]:
    """The slots ``VBD.create`` accepts, the first of which ``userdevice="autodetect"`` takes."""
    return allowed_vbd_devices(ctx.store, vm)


@handles("VM.get_boot_record")
def get_boot_record(ctx: "CallContext", vm: str) -> dict[str, Any]:
    """The VM as it runs; changes to a running VM apply to it at once here, so this is its record."""
    return ctx.store.get("VM", vm)


@handles("VM.set_suspend_VDI")
def set_suspend_VDI(ctx: "CallContext", vm: str, value: str) -> str:
    """Swap a suspended VM's memory image for another copy of it."""
    store = ctx.store
    record = store.get("VM", vm)
    if record["power_state"] != SUSPENDED:
        raise bad_power_state(vm, SUSPENDED, record["power_state"])
    store.get("VDI", value)
    store.update("VM", vm, suspend_VDI=value)
    return ""


def _plain_setting(name: str) -> Callable[..., Any]:
    def handler(ctx: "CallContext", *args: Any) -> Any:
        message = ctx.sim.schema.cls("VM").messages[name]
        return generic.implicit_handler("VM", message)(ctx, *args)

    handler.__name__ = name
    return handler


for _name in PLAIN_SETTINGS:
    handles(f"VM.{_name}")(_plain_setting(_name))
