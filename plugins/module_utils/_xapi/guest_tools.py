# Copyright: (c) 2026, xen.xapi maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Operations that need a guest's tools (PV drivers), and waiting on events until they are up.

A VM's guest tools report through its VM_guest_metrics record, typically 20 to 60 seconds after the
VM starts. Until then an HVM guest cannot hot-plug disks or network interfaces (xapi answers
VM_MISSING_PV_DRIVERS), nor react to a clean shutdown or reboot, nor suspend or live-migrate. The
rules follow xapi: xapi_vbd_helpers.ml and xapi_vif_helpers.ml (`can_use_hotplug_vbd`/`_vif`, then
`PV_drivers_detected`, then the drivers' version) and xapi_vm_lifecycle.ml (`check_op_for_feature`:
full PV drivers imply every feature, else `feature-shutdown`, `feature-suspend`, ... in `other`).
PV and PVH guests need no tools for any of this.
"""

from __future__ import annotations

import time
import typing as t

from ansible_collections.xen.xapi.plugins.module_utils._xapi import client as xapi_client, codec, errors

Record = t.Dict[str, t.Any]
NULL_REF = "OpaqueRef:NULL"

# What an operation needs of the guest.
HOTPLUG_DISK = "hotplug_disk"
HOTPLUG_NIC = "hotplug_nic"
SHUTDOWN = "shutdown"
REBOOT = "reboot"
SUSPEND = "suspend"  # also checkpoint and live migration: the guest must suspend its devices
VCPU_HOTPLUG = "vcpu_hotplug"

READY, WAITING, REFUSED = "ready", "waiting", "refused"
DEFAULT_GUEST_TOOLS_TIMEOUT = 180
# Share of the HTTP timeout one blocking event.from may use, so the server answers before the socket gives up.
_EVENT_WAIT_SHARE = 0.8

_HOTPLUG_FIELDS = {HOTPLUG_DISK: "can_use_hotplug_vbd", HOTPLUG_NIC: "can_use_hotplug_vif"}
_FEATURES = {SHUTDOWN: ("feature-shutdown", "feature-poweroff"), REBOOT: ("feature-shutdown", "feature-reboot"),
             SUSPEND: ("feature-suspend",), VCPU_HOTPLUG: ("feature-vcpu-hotplug",)}
WHAT = {HOTPLUG_DISK: "hot-plug a disk", HOTPLUG_NIC: "hot-plug a network interface", SHUTDOWN: "shut down cleanly",
        REBOOT: "reboot cleanly", SUSPEND: "suspend or live-migrate", VCPU_HOTPLUG: "add vCPUs while running"}


# What to do when a running guest's tools are missing, by what the operation needs.
ADVICE = {
    HOTPLUG_DISK: "Install the guest tools (PV drivers) in the VM, raise guest_tools_timeout if they start slowly, or make the change "
                  "with the VM halted.",
    SHUTDOWN: "Install the guest tools in the VM, raise guest_tools_timeout, or give force: true to fall back to a hard shutdown.",
    REBOOT: "Install the guest tools in the VM, raise guest_tools_timeout, or give force: true to fall back to a hard reboot.",
    SUSPEND: "Install the guest tools in the VM, raise guest_tools_timeout, or stop the VM first.",
    VCPU_HOTPLUG: "Install the guest tools in the VM, raise guest_tools_timeout, or change vcpus with the VM halted.",
}
ADVICE[HOTPLUG_NIC] = ADVICE[HOTPLUG_DISK]


class GuestToolsMissing(Exception):
    """The guest's tools did not come up in time, or the guest says it cannot do the operation."""

    def __init__(self, need: str, reason: str) -> None:
        super().__init__(reason)
        self.need = need
        self.reason = reason


def needs_tools(vm: Record) -> bool:
    """Whether the VM is an HVM guest, whose devices and power actions depend on its tools."""
    domain_type = vm.get("domain_type") or "unspecified"
    if domain_type in ("pv", "pvh", "pv_in_pvh"):
        return False
    if domain_type == "hvm":
        return True
    return bool(vm.get("HVM_boot_policy"))


def has_pv_drivers(metrics: t.Mapping[str, t.Any]) -> bool:
    """xapi's Xapi_pv_driver_version.has_pv_drivers: the agent reported a driver version."""
    version = metrics.get("PV_drivers_version") or {}
    return bool(version.get("major"))


def tools_state(vm: Record, metrics: t.Mapping[str, t.Any], need: str) -> str:
    """READY, WAITING (tools not up yet) or REFUSED (the guest says it cannot) for one operation (pure)."""
    if not needs_tools(vm):
        return READY
    other = metrics.get("other") or {}
    if need in _HOTPLUG_FIELDS:
        claim = metrics.get(_HOTPLUG_FIELDS[need], "unspecified") if metrics else "unspecified"
        if claim == "no":
            return REFUSED
        if claim == "yes" or metrics.get("PV_drivers_detected") or has_pv_drivers(metrics):
            return READY
        return WAITING
    if need == SUSPEND and other.get("data-cant-suspend-reason"):
        return REFUSED
    if has_pv_drivers(metrics) or any(other.get(feature) == "1" for feature in _FEATURES[need]):
        return READY
    return WAITING


def wait_for_tools(client: xapi_client.XapiClient, vm_ref: str, need: str, timeout: float) -> None:
    """Return once the running VM's tools allow the operation; GuestToolsMissing after `timeout` seconds.

    Subscribes with event.from to the VM and its guest metrics, so the tools are noticed as soon as xapi
    records them. If the VM stops running meanwhile, returns: the operation then fails on its own terms.
    """
    outcome: t.List[str] = []

    def check(vm: Record, metrics: Record) -> bool:
        if vm.get("power_state") != "Running":
            return True
        state = tools_state(vm, metrics, need)
        outcome[:] = [state]
        return state != WAITING

    watch_guest(client, vm_ref, timeout, check)
    state = outcome[0] if outcome else WAITING
    if state == REFUSED:
        raise GuestToolsMissing(need, "the guest's tools say it cannot {0}".format(WHAT[need]))
    if state == WAITING:
        raise GuestToolsMissing(need, "the guest's tools (PV drivers), which it needs to {0}, did not come up within {1:g} seconds"
                                .format(WHAT[need], timeout))


def ensure_tools(client: xapi_client.XapiClient, vm_ref: str, vm: Record, need: str, timeout: float, option: str,
                 advice: t.Optional[str] = None) -> None:
    """wait_for_tools, failing with a sentence for users: the option, the VM by name and uuid, the reason, what to do."""
    if not needs_tools(vm):
        return
    try:
        wait_for_tools(client, vm_ref, need, timeout)
    except GuestToolsMissing as err:
        raise errors.ResourceError("{0}: cannot {1} in the running VM {2!r} ({3}): {4}. {5}".format(
            option, WHAT[need], vm.get("name_label"), vm.get("uuid"), err.reason, advice or ADVICE[need]))


def watch_guest(client: xapi_client.XapiClient, vm_ref: str, timeout: float, done: t.Callable[[Record, Record], bool]) -> bool:
    """Follow a VM and its guest metrics on events until done(vm, metrics) is true; False on timeout.

    The first event.from (empty token) returns both records at once; later ones block until either
    changes, so nothing polls. A new metrics record (the agent came up) is read at once.
    """
    deadline = time.monotonic() + timeout
    max_wait = max(0.1, client.http_timeout * _EVENT_WAIT_SHARE)
    token, metrics_ref, metrics, vm = "", NULL_REF, {}, {}  # type: str, str, Record, Record
    while True:
        subscriptions = ["vm/" + vm_ref] + ([] if metrics_ref == NULL_REF else ["vm_guest_metrics/" + metrics_ref])
        wait = 0.0 if token == "" else max(0.0, min(deadline - time.monotonic(), max_wait))
        answer = client.call("event.from", subscriptions, token, float(wait))
        token = answer.get("token", token)
        for event in answer.get("events") or []:
            snapshot = event.get("snapshot")
            if event.get("operation") == "del" or snapshot is None:
                continue
            if event.get("class") == "vm" and event.get("ref") == vm_ref:
                vm = codec.normalize_record("VM", snapshot)
                if (vm.get("guest_metrics") or NULL_REF) != metrics_ref:
                    metrics_ref, metrics = vm.get("guest_metrics") or NULL_REF, {}
                    if metrics_ref != NULL_REF:
                        token = ""  # subscribe to the new metrics record and read it now
            elif event.get("class") == "vm_guest_metrics" and event.get("ref") == metrics_ref:
                metrics = codec.normalize_record("VM_guest_metrics", snapshot)
        if token and vm and done(vm, metrics):
            return True
        if token and time.monotonic() >= deadline:
            return False
