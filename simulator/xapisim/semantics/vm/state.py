"""Which VM operations are valid when: the checks a pool master runs before any VM operation.

The checks run in xapi's order and the first failure wins: OPERATION_BLOCKED, the power state,
OTHER_OPERATION_IN_PROGRESS, VM_IS_TEMPLATE, VM_IS_SNAPSHOT, PROVISION_ONLY_ALLOWED_ON_TEMPLATE,
ONLY_REVERT_SNAPSHOT, then the control-domain restrictions. The same checks compute
``VM.allowed_operations`` (a derived field), so the field and the calls always agree.

``vm_operation`` wraps every handler that performs a VM operation: it validates, and when the
call runs as a task it records ``{task: op}`` in ``current_operations`` for as long as the
operation takes, so that concurrent calls see it and fail as they would on a real pool.
"""
from __future__ import annotations

from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, Iterator

from ...errors import XapiError, bad_power_state, operation_not_allowed
from ...registry import derives, handles
from ..storage.common import refresh, refresh_disk_operations
from ...task_table import PROGRESS_STEPS

if TYPE_CHECKING:
    from ...context import CallContext
    from ...store import Store

HALTED, PAUSED, SUSPENDED, RUNNING = "Halted", "Paused", "Suspended", "Running"
ALL_STATES = (HALTED, PAUSED, SUSPENDED, RUNNING)

# Power states in which each operation may start; operations not listed are valid in any state.
# The order of each tuple is xapi's: it is the order of the "expected" list in VM_BAD_POWER_STATE.
_OPERATION_STATES: dict[str, tuple[str, ...]] = {
    **dict.fromkeys(("changing_VCPUs", "changing_static_range", "changing_memory_limits", "changing_shadow_memory",
                     "make_into_template", "provision", "start", "start_on"), (HALTED,)),
    "unpause": (PAUSED,),
    **dict.fromkeys(("csvm", "resume", "resume_on"), (SUSPENDED,)),
    **dict.fromkeys(("awaiting_memory_live", "call_plugin", "clean_reboot", "clean_shutdown", "changing_memory_live",
                     "changing_shadow_memory_live", "changing_VCPUs_live", "data_source_op", "pause",
                     "pool_migrate", "send_sysrq", "send_trigger", "snapshot_with_quiesce", "suspend",
                     "checkpoint"), (RUNNING,)),
    "changing_dynamic_range": (HALTED, RUNNING),
    **dict.fromkeys(("create_template", "destroy", "export"), (HALTED, SUSPENDED)),
    "hard_reboot": (PAUSED, RUNNING),
    **dict.fromkeys(("get_boot_record", "shutdown", "hard_shutdown"), (PAUSED, SUSPENDED, RUNNING)),
    "migrate_send": (HALTED, SUSPENDED, RUNNING),
}
# The control domain may change its memory and VCPU settings while it runs.
_CONTROL_DOMAIN_LIVE_CHANGES = frozenset({"changing_VCPUs", "changing_static_range", "changing_memory_limits"})

# What a template (that is not a snapshot) still allows; destroy only for non-default templates.
_TEMPLATE_OPERATIONS = frozenset({"changing_dynamic_range", "changing_static_range", "changing_memory_limits",
                                  "changing_shadow_memory", "changing_VCPUs", "clone", "copy", "export",
                                  "metadata_export", "provision"})
_SNAPSHOT_OPERATIONS = frozenset({"revert", "clone", "copy", "export", "destroy", "hard_shutdown", "metadata_export"})
_CONTROL_DOMAIN_OPERATIONS = frozenset({"data_source_op", "changing_memory_live", "awaiting_memory_live",
                                        "metadata_export", "changing_dynamic_range", "changing_memory_limits",
                                        "changing_static_range", "start", "start_on", "changing_VCPUs", "destroy"})

# Operations that may run side by side: any mix inside one group, plus the listed pairs
# (operations already running -> the one that may join them).
_CONCURRENT_GROUPS = (frozenset({"clone", "copy", "export"}), frozenset({"snapshot", "checkpoint"}),
                      frozenset({"get_boot_record"}))
_CONCURRENT_AFTER = (
    (("snapshot_with_quiesce",), "snapshot"),
    (("migrate_send",), "metadata_export"),
    (("migrate_send",), "clean_shutdown"),
    (("migrate_send",), "clean_reboot"),
    (("migrate_send",), "start"),
    (("migrate_send",), "start_on"),
)

# The operations allowed_operations reports, in the order xapi checks them (it lists them reversed).
_ADVERTISED = ("snapshot", "copy", "clone", "revert", "checkpoint", "start", "start_on", "pause", "unpause",
               "clean_shutdown", "clean_reboot", "hard_shutdown", "hard_reboot", "suspend", "resume", "resume_on",
               "export", "destroy", "provision", "changing_VCPUs_live", "pool_migrate", "migrate_send",
               "make_into_template", "changing_memory_limits", "changing_VCPUs", "changing_static_range",
               "changing_shadow_memory", "changing_dynamic_range")


def allowed_power_states(record: dict[str, Any], op: str) -> tuple[str, ...]:
    if op in ("clone", "copy"):
        # A checkpoint is a Suspended snapshot, and it can be cloned like a Halted one.
        return (HALTED, SUSPENDED) if record["is_a_snapshot"] else (HALTED,)
    if op in _CONTROL_DOMAIN_LIVE_CHANGES and record["is_control_domain"]:
        return (HALTED, RUNNING)
    return _OPERATION_STATES.get(op, ALL_STATES)


def power_state_error(record: dict[str, Any], op: str, ref: str) -> XapiError | None:
    expected = allowed_power_states(record, op)
    if record["power_state"] in expected:
        return None
    return bad_power_state(ref, list(expected), record["power_state"])


def _allowed_concurrently(op: str, current: list[str]) -> bool:
    for group in _CONCURRENT_GROUPS:
        if op in group and all(other in group for other in current):
            return True
    if op == "hard_shutdown":
        return op not in current
    if op == "hard_reboot":
        return not any(other in ("hard_shutdown", "hard_reboot") for other in current)
    return any(list(running) == current and joining == op for running, joining in _CONCURRENT_AFTER)


def _in_progress_error(current_operations: dict[str, str], ref: str) -> XapiError:
    if len(current_operations) == 1:
        task, op = next(iter(current_operations.items()))
    else:
        task = "{" + ",".join(current_operations) + "}"
        op = "{" + ",".join(current_operations.values()) + "}"
    return XapiError("OTHER_OPERATION_IN_PROGRESS", "VM", ref, op, task)


def _is_default_template(record: dict[str, Any]) -> bool:
    return record["is_default_template"] or record["other_config"].get("default_template", "").lower() in ("true", "1")


def _template_error(record: dict[str, Any], op: str, ref: str) -> XapiError | None:
    if op in _TEMPLATE_OPERATIONS or (op in ("destroy", "migrate_send") and not _is_default_template(record)):
        return None
    return XapiError("VM_IS_TEMPLATE", ref, op)


def _control_domain_error(op: str) -> XapiError | None:
    if op in _CONTROL_DOMAIN_OPERATIONS:
        return None
    return operation_not_allowed("This operation is not allowed on a control domain")


def operation_error(record: dict[str, Any], op: str, ref: str, guest: dict[str, Any] | None = None,
                    vm_metrics: dict[str, Any] | None = None, strict: bool = False) -> XapiError | None:
    """The error xapi raises for ``op`` on this VM record, or None when the operation is valid
    (xapi_vm_lifecycle.ml, check_operation_error; ``strict`` for allowed_operations)."""
    if op in record["blocked_operations"]:
        return XapiError("OPERATION_BLOCKED", ref, record["blocked_operations"][op])
    error = power_state_error(record, op, ref)
    if error is not None:
        return error
    current = record["current_operations"]
    if current and not _allowed_concurrently(op, list(current.values())):
        return _in_progress_error(current, ref)
    if record["is_a_template"] and not record["is_a_snapshot"]:
        error = _template_error(record, op, ref)
        if error is not None:
            return error
    if record["is_a_snapshot"] and op not in _SNAPSHOT_OPERATIONS:
        return XapiError("VM_IS_SNAPSHOT", ref, op)
    if op == "provision" and not record["is_a_template"]:
        return XapiError("PROVISION_ONLY_ALLOWED_ON_TEMPLATE")
    if op == "revert" and not record["is_a_snapshot"]:
        return XapiError("ONLY_REVERT_SNAPSHOT")
    if record["is_control_domain"]:
        error = _control_domain_error(op)
        if error is not None:
            return error
    return feature_error(record, op, ref, guest, vm_metrics, strict)


# Guest features an HVM guest must advertise (VM_guest_metrics.other) for an operation, unless it has PV drivers.
_FEATURES_FOR = {"clean_shutdown": ("feature-shutdown", "feature-poweroff"), "clean_reboot": ("feature-shutdown", "feature-reboot")}
_SUSPENDING = ("suspend", "checkpoint", "pool_migrate", "migrate_send")


def feature_error(record: dict[str, Any], op: str, ref: str, guest: dict[str, Any] | None, vm_metrics: dict[str, Any] | None,
                  strict: bool) -> XapiError | None:
    """xapi_vm_lifecycle.ml, check_op_for_feature: what an HVM guest without PV drivers cannot do.

    ``strict`` is how allowed_operations is computed (advisory); a call is checked leniently, since the guest
    may still react (an ACPI power button). Only hot-plugging vCPUs is refused either way.
    """
    live = record["power_state"] in (RUNNING, PAUSED)
    other = (guest or {}).get("other") or {}
    booted_pv = (vm_metrics or {}).get("current_domain_type") in ("pv", "pv_in_pvh", "pvh")
    implicit = not live or booted_pv or bool(((guest or {}).get("PV_drivers_version") or {}).get("major"))

    def lacks(feature: str) -> bool:
        return other.get(feature) != "1"
    if op in _SUSPENDING and live:
        if other.get("data-cant-suspend-reason"):
            return XapiError("VM_NON_SUSPENDABLE", ref, other["data-cant-suspend-reason"])
        if not implicit and strict and lacks("feature-suspend"):
            return XapiError("VM_LACKS_FEATURE", ref)
        return None
    if implicit:
        return None
    if op in _FEATURES_FOR and strict and all(lacks(feature) for feature in _FEATURES_FOR[op]):
        return XapiError("VM_LACKS_FEATURE", ref)
    if op == "changing_VCPUs_live" and lacks("feature-vcpu-hotplug"):
        return XapiError("VM_LACKS_FEATURE", ref)
    return None


def assert_operation_valid(store: "Store", vm: str, op: str) -> dict[str, Any]:
    """Raise the error for ``op`` on ``vm`` if there is one; return the VM's record."""
    record = store.get("VM", vm)
    error = operation_error(record, op, vm, store.records("VM_guest_metrics").get(record["guest_metrics"]),
                            store.records("VM_metrics").get(record["metrics"]))
    if error is not None:
        raise error
    return record


@derives("VM")
def derive_allowed_operations(store: "Store", record: dict[str, Any]) -> dict[str, Any]:
    """xapi_vm_lifecycle.ml, update_allowed_operations: every advertised operation checked strictly."""
    guest = store.records("VM_guest_metrics").get(record["guest_metrics"])
    vm_metrics = store.records("VM_metrics").get(record["metrics"])
    allowed = [op for op in _ADVERTISED if operation_error(record, op, "", guest, vm_metrics, strict=True) is None]
    return {"allowed_operations": allowed[::-1]}


@contextmanager
def vm_operation(ctx: "CallContext", vm: str, op: str) -> Iterator[None]:
    """Validate ``op`` on ``vm`` and, for a task, show it in ``current_operations`` while it runs.

    The task runner spends the first steps of the operation's duration before calling the
    handler; the operation itself takes the last step, with the store lock released so that other
    calls see it (and fail with OTHER_OPERATION_IN_PROGRESS). Operations that may run concurrently
    could have changed the power state meanwhile, so it is checked again before the operation
    takes effect. Synchronous calls have already waited and run at once.
    """
    store = ctx.store
    assert_operation_valid(store, vm, op)
    task = ctx.task
    if task is None:
        yield
        return
    _set_current_operations(store, vm, {**store.get("VM", vm)["current_operations"], task: op})
    try:
        store.changed.wait_for(lambda: False, timeout=ctx.duration / PROGRESS_STEPS)
        error = power_state_error(store.get("VM", vm), op, vm)
        if error is not None:
            raise error
        yield
    finally:
        if store.exists("VM", vm):
            current = store.get("VM", vm)["current_operations"]
            _set_current_operations(store, vm, {k: v for k, v in current.items() if k != task})


def begin_operation(store: "Store", vm: str, task: str, op: str) -> None:
    """Show ``op`` in the VM's ``current_operations`` under ``task`` (HTTP handlers: export, import)."""
    _set_current_operations(store, vm, {**store.get("VM", vm)["current_operations"], task: op})


def end_operation(store: "Store", vm: str, task: str) -> None:
    if store.exists("VM", vm):
        current = store.get("VM", vm)["current_operations"]
        _set_current_operations(store, vm, {k: v for k, v in current.items() if k != task})


def _set_current_operations(store: "Store", vm: str, operations: dict[str, str]) -> None:
    store.update("VM", vm, current_operations=operations)
    refresh_device_operations(store, vm)


def refresh_device_operations(store: "Store", vm: str) -> None:
    """Recompute allowed_operations of the VM's VBDs, VDIs and VIFs.

    They depend on the VM's power state and on what it is doing (no hotplug during a shutdown),
    so every power transition and every change of current_operations ends here.
    """
    refresh_disk_operations(store, vm)
    for vif in store.get("VM", vm)["VIFs"]:
        refresh(store, "VIF", vif)


@handles("VM.assert_operation_valid")
def assert_operation_valid_handler(ctx: "CallContext", vm: str, op: str) -> str:
    assert_operation_valid(ctx.store, vm, op)
    return ""


@handles("VM.update_allowed_operations")
def update_allowed_operations(ctx: "CallContext", vm: str) -> str:
    # allowed_operations is recomputed on every change; this only validates the reference.
    ctx.store.get("VM", vm)
    return ""
