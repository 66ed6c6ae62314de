"""VIF.*: create, destroy, hotplug (plug, unplug, unplug_force), move, and allowed_operations;
VM.get_allowed_VIF_devices.

A new VIF is detached unless its VM is suspended. Plugging one into a running VM that has a
guest agent makes the agent report an address for the new device in the VM's guest metrics.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ...errors import XapiError, bad_power_state, operation_not_allowed
from ...registry import derives, handles
from ...store import NULL_REF, Store, new_uuid
from .common import RUNNING_STATES, is_valid_mac, network_on_host
from ..storage.common import constructor_fields, refresh
from ..storage.devices import is_hvm
from ..vm.guest import guest_networks
from ..vm.records import mac_from_seed

if TYPE_CHECKING:
    from ...context import CallContext

VIF_OPERATIONS = ("attach", "plug", "unplug")
# Devices 0..6, for HVM and PV guests alike.
ALLOWED_VIF_DEVICES = tuple(str(device) for device in range(7))
# VM operations during which its VIFs cannot be hotplugged.
VM_OPERATIONS_BLOCKING_HOTPLUG = ("clean_shutdown", "hard_shutdown", "suspend", "pause")


def vif_operation_error(store: Store, vif: str, record: dict[str, Any], op: str) -> XapiError | None:
    """The error xapi gives for ``op`` on this VIF, or None when it is allowed (its check order)."""
    if record["current_operations"]:
        current = next(iter(record["current_operations"].values()))
        return XapiError("OTHER_OPERATION_IN_PROGRESS", "VIF", vif, current)
    vm = store.records("VM").get(record["VM"])
    if op == "attach" or vm is None:
        return None
    if vm["power_state"] != "Running":
        return bad_power_state(record["VM"], "Running", vm["power_state"])
    if op == "plug" and record["currently_attached"]:
        return XapiError("DEVICE_ALREADY_ATTACHED", vif)
    if op == "unplug" and not record["currently_attached"]:
        return XapiError("DEVICE_ALREADY_DETACHED", vif)
    for task_op in vm["current_operations"].values():
        if task_op in VM_OPERATIONS_BLOCKING_HOTPLUG:
            return operation_not_allowed(f"Current operation on VM:{record['VM']} is {task_op}")
    if op in ("plug", "unplug") and is_hvm(vm):
        return _hotplug_support_error(store, record["VM"], vm)
    return None


def _hotplug_support_error(store: Store, vm_ref: str, vm: dict[str, Any]) -> XapiError | None:
    """xapi_vif_helpers.valid_operations: an HVM guest hotplugs VIFs only once its drivers can."""
    metrics = store.records("VM_guest_metrics").get(vm["guest_metrics"])
    support = metrics["can_use_hotplug_vif"] if metrics else "unspecified"
    if support == "yes":
        return None
    if support == "no":
        return operation_not_allowed("VM states it does not support VIF hotplug.")
    if metrics and (metrics["PV_drivers_detected"] or metrics["PV_drivers_version"].get("major")):
        return None
    return XapiError("VM_MISSING_PV_DRIVERS", vm_ref)


def assert_vif_operation(store: Store, vif: str, op: str) -> dict[str, Any]:
    record = store.get("VIF", vif)
    error = vif_operation_error(store, vif, record, op)
    if error is not None:
        raise error
    return record


@derives("VIF")
def derive_vif(store: Store, record: dict[str, Any]) -> dict[str, Any]:
    return {"allowed_operations": [op for op in VIF_OPERATIONS if vif_operation_error(store, "", record, op) is None]}


def refresh_vif_operations(store: Store, vm: str) -> None:
    """Recompute the VIFs' allowed_operations after the VM's power state or operations changed."""
    for vif in store.records("VM").get(vm, {}).get("VIFs", []):
        refresh(store, "VIF", vif)


# ---- create and destroy -----------------------------------------------------------------------
def _mac_for(store: Store, vm: str, device: str, requested: str) -> tuple[str, bool]:
    """The MAC to store and whether it was generated; an empty MAC is made from the VM's MAC seed."""
    if requested:
        mac = requested.lower()
        if not is_valid_mac(mac):
            raise XapiError("MAC_INVALID", requested)
        return mac, False
    seed = store.get("VM", vm)["other_config"].get("mac_seed") or new_uuid()
    return mac_from_seed(seed, device), True


@handles("VIF.create")
def create(ctx: "CallContext", record: dict[str, Any]) -> str:
    store = ctx.store
    fields = constructor_fields(ctx, "VIF", record)
    vm, device = fields["VM"], fields["device"]
    vm_record = store.get("VM", vm)
    store.get("network", fields["network"])
    if not device.isdigit():
        raise XapiError("INVALID_DEVICE", device)
    fields["MAC"], generated = _mac_for(store, vm, device, fields["MAC"])
    vifs = store.records("VIF")
    if any(vifs[other]["device"] == device for other in vm_record["VIFs"] if other in vifs):
        raise XapiError("DEVICE_ALREADY_EXISTS", device)
    # Only a suspended VM keeps devices that are attached while it is not running.
    fields["currently_attached"] = vm_record["power_state"] == "Suspended" and fields.get("currently_attached", False)
    metrics = store.create("VIF_metrics", {})
    return store.create("VIF", {**fields, "MAC_autogenerated": generated, "metrics": metrics})


def destroy_vif_record(store: Store, vif: str) -> None:
    """Remove a VIF and its metrics, without checks (network.destroy, VM.destroy)."""
    metrics = store.get("VIF", vif)["metrics"]
    store.destroy("VIF", vif)
    if metrics != NULL_REF and store.exists("VIF_metrics", metrics):
        store.destroy("VIF_metrics", metrics)


@handles("VIF.destroy")
def destroy(ctx: "CallContext", vif: str) -> str:
    store = ctx.store
    record = store.get("VIF", vif)
    vm = store.records("VM").get(record["VM"])
    if record["currently_attached"] and vm is not None and vm["power_state"] in RUNNING_STATES:
        raise operation_not_allowed("VIF currently attached to a running VM")
    destroy_vif_record(store, vif)
    return ""


# ---- hotplug ----------------------------------------------------------------------------------
def _report_address(store: Store, vif: str) -> None:
    """The guest agent notices the new interface and reports its address."""
    vm = store.get("VM", store.get("VIF", vif)["VM"])
    metrics = vm["guest_metrics"]
    if metrics == NULL_REF or not store.exists("VM_guest_metrics", metrics):
        return
    current = store.get("VM_guest_metrics", metrics)["networks"]
    store.update("VM_guest_metrics", metrics, networks={**current, **guest_networks(store, {"VIFs": [vif]})})


def _forget_address(store: Store, vif: str) -> None:
    record = store.get("VIF", vif)
    metrics = store.get("VM", record["VM"])["guest_metrics"]
    if metrics == NULL_REF or not store.exists("VM_guest_metrics", metrics):
        return
    prefix = f"{record['device']}/"
    current = store.get("VM_guest_metrics", metrics)["networks"]
    store.update("VM_guest_metrics", metrics, networks={k: v for k, v in current.items() if not k.startswith(prefix)})


@handles("VIF.plug")
def plug(ctx: "CallContext", vif: str) -> str:
    assert_vif_operation(ctx.store, vif, "plug")
    ctx.store.update("VIF", vif, currently_attached=True)
    _report_address(ctx.store, vif)
    return ""


@handles("VIF.unplug", "VIF.unplug_force")
def unplug(ctx: "CallContext", vif: str) -> str:
    assert_vif_operation(ctx.store, vif, "unplug")
    ctx.store.update("VIF", vif, currently_attached=False)
    _forget_address(ctx.store, vif)
    return ""


@handles("VIF.move")
def move(ctx: "CallContext", vif: str, network: str) -> str:
    """Connect the VIF to another network; a plugged VIF moves live, if its host carries that network."""
    store = ctx.store
    record = store.get("VIF", vif)
    store.get("network", network)
    vm = store.get("VM", record["VM"])
    if record["currently_attached"] and vm["resident_on"] != NULL_REF \
            and not network_on_host(store, network, vm["resident_on"]):
        raise XapiError("VM_REQUIRES_NETWORK", record["VM"], network)
    store.update("VIF", vif, network=network)
    return ""


@handles("VM.get_allowed_VIF_devices")
def get_allowed_vif_devices(ctx: "CallContext", vm: str) -> list[str]:
    vifs = ctx.store.records("VIF")
    used = {vifs[vif]["device"] for vif in ctx.store.get("VM", vm)["VIFs"] if vif in vifs}
    return [device for device in ALLOWED_VIF_DEVICES if device not in used]
