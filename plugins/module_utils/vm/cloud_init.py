# Copyright: (c) 2026, xen.xapi maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The cloud_init option family: a config drive the guest reads at first boot.

xapi has no cloud-init call; as Xen Orchestra does, the drive is a small FAT16 volume labelled
``cidata`` (NoCloud files, with the ConfigDrive v2 files beside them) written into a new VDI through
``/import_raw_vdi`` and attached as a read-write disk at a free slot (not as a CD: the guest's only CD
drive often holds install media). The VDI carries the hash of its files in ``other_config``, so a run
with the same content changes nothing and new content replaces the drive. ``cloud_init: {}`` removes it.
"""

from __future__ import annotations

import hashlib
import io
import ipaddress
import json
import typing as t

from ansible_collections.xen.xapi.plugins.module_utils._xapi import errors, guest_tools
from ansible_collections.xen.xapi.plugins.module_utils.vm import common, disks, view as vm_view

MARKER = vm_view.CONFIG_DRIVE_MARKER
CONTENT_KEYS = ("user_data", "meta_data", "network_config", "vendor_data", "network")
# Set in the VM's other_config to the content of a drive removed after the guest booted with it.
DELIVERED = "xen.xapi:cloud-init-delivered"
NOTICE = ("cloud_init: the VM is running, so the new config drive is attached for its next boot; cloud-init reads a "
          "config drive at first boot, or again when the instance-id changes.")
REPLACED = ("cloud_init: the config drive is replaced; a guest that has booted already reads the new one only if its "
            "instance-id changes (cloud_init.meta_data.instance-id).")


# ---- what goes on the drive (pure) -------------------------------------------------------------
def wants_drive(option: t.Mapping[str, t.Any]) -> bool:
    """``cloud_init: {}`` (or only sr and remove_after_boot) means no drive."""
    return any(option.get(key) not in (None, "", {}, []) for key in CONTENT_KEYS)


def check(option: t.Mapping[str, t.Any], warnings: t.List[str]) -> None:
    """Refuse bad content before anything is written, naming the sub-option."""
    user_data = option.get("user_data") or ""
    if user_data.startswith("#cloud-config"):
        # Imported here: only runs with a #cloud-config document pay for it (every xen_vm run imports this file).
        try:
            import yaml  # pylint: disable=import-outside-toplevel
        except ImportError:  # validation of #cloud-config is skipped, with a warning, where PyYAML is missing
            yaml = None
        if yaml is None:
            warnings.append("cloud_init.user_data: PyYAML is not installed where the module runs, so the #cloud-config "
                            "document is not checked before the guest reads it.")
        else:
            try:
                document = yaml.safe_load(user_data)
            except yaml.YAMLError as err:
                raise errors.ResourceError("cloud_init.user_data: the #cloud-config document is not valid YAML: {0}".format(
                    str(err).replace("\n", " ")))
            if document is not None and not isinstance(document, dict):
                raise errors.ResourceError("cloud_init.user_data: a #cloud-config document must be a mapping of modules "
                                           "(users:, packages:, ...), not a {0}.".format(type(document).__name__))
    if option.get("network_config") and option.get("network"):
        raise errors.ResourceError("cloud_init: give network_config or network, not both; network is rendered into network_config.")
    for index, nic in enumerate(option.get("network") or []):
        _check_nic(nic, "cloud_init.network[{0}]".format(index))


def _check_nic(nic: t.Mapping[str, t.Any], where: str) -> None:
    address = nic.get("address")
    if address:
        if "/" not in address:
            raise errors.ResourceError("{0}.address: give the address with its prefix length, such as 192.0.2.10/24.".format(where))
        try:
            ipaddress.ip_interface(address)
        except ValueError:
            raise errors.ResourceError("{0}.address: {1!r} is not an IP address with a prefix length.".format(where, address))
    for key in ("gateway",):
        if nic.get(key):
            _ip(nic[key], "{0}.{1}".format(where, key))
    for server in nic.get("dns") or []:
        _ip(server, "{0}.dns".format(where))


def _ip(text: str, where: str) -> None:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        raise errors.ResourceError("{0}: {1!r} is not an IP address.".format(where, text))


def network_config(nics: t.Sequence[t.Mapping[str, t.Any]], macs: t.Mapping[str, str]) -> t.Dict[str, t.Any]:
    """cloud-init network config v2 for the listed interfaces: static addresses, or DHCP when no address is given."""
    ethernets: t.Dict[str, t.Any] = {}
    for nic in nics:
        device = str(nic.get("device", 0))
        name = "eth{0}".format(device)
        entry: t.Dict[str, t.Any] = {}
        if macs.get(device):
            entry["match"] = {"macaddress": macs[device].lower()}
            entry["set-name"] = name
        if nic.get("address"):
            entry["addresses"] = [nic["address"]]
            if nic.get("gateway"):
                entry["routes"] = [{"to": "default", "via": nic["gateway"]}]
        else:
            entry["dhcp4"] = True
        if nic.get("dns"):
            entry["nameservers"] = {"addresses": list(nic["dns"])}
        ethernets[name] = entry
    return {"version": 2, "ethernets": ethernets}


def drive_files(option: t.Mapping[str, t.Any], vm_uuid: str, vm_name: str, macs: t.Mapping[str, str]) -> t.Dict[str, bytes]:
    """The files of the drive: NoCloud's, and ConfigDrive v2's beside them. JSON is written where YAML is read."""
    meta = {"instance-id": vm_uuid, "local-hostname": vm_name}
    meta.update(option.get("meta_data") or {})
    user_data = (option.get("user_data") or "").encode("utf-8")
    files = {"meta-data": _json(meta), "user-data": user_data}
    network = option.get("network_config")
    if network is None and option.get("network"):
        network = network_config(option["network"], macs)
    if network:
        files["network-config"] = network.encode("utf-8") if isinstance(network, str) else _json(network)
    if option.get("vendor_data"):
        files["vendor-data"] = option["vendor_data"].encode("utf-8")
    files["openstack/latest/meta_data.json"] = _json({"uuid": meta["instance-id"], "hostname": meta["local-hostname"],
                                                      "name": vm_name})
    if user_data:
        files["openstack/latest/user_data"] = user_data
    return files


def content_hash(files: t.Mapping[str, bytes]) -> str:
    digest = hashlib.sha256()
    for path in sorted(files):
        digest.update(path.encode("utf-8") + b"\0" + hashlib.sha256(files[path]).digest())
    return digest.hexdigest()


def _json(value: t.Any) -> bytes:
    return (json.dumps(value, indent=2, sort_keys=True) + "\n").encode("utf-8")


# ---- the drive in the pool -------------------------------------------------------------------
class Drive(t.NamedTuple):
    vbd_ref: str
    vbd: vm_view.Record
    vdi_ref: str
    vdi: vm_view.Record

    @property
    def content(self) -> str:
        return str((self.vdi.get("other_config") or {}).get(MARKER, ""))


def drive_of(view: vm_view.VmView) -> t.Optional[Drive]:
    for ref, vbd in sorted(view.vbds.items()):
        vdi = view.vdis.get(vbd.get("VDI", ""))
        if vdi is not None and MARKER in (vdi.get("other_config") or {}):
            return Drive(ref, vbd, vbd["VDI"], vdi)
    return None


def presented(drive: t.Optional[Drive]) -> t.Optional[vm_view.Record]:
    if drive is None:
        return None
    return {"uuid": drive.vdi.get("uuid"), "userdevice": drive.vbd.get("userdevice"), "content_hash": drive.content}


def _macs(view: vm_view.VmView) -> t.Dict[str, str]:
    return dict((str(vif.get("device")), str(vif.get("MAC") or "")) for vif in view.vifs.values())


def plan(ctx: common.PlanContext) -> t.List[common.VmChange]:
    option = ctx.params.get("cloud_init")
    if option is None:
        return []
    current = drive_of(ctx.view)
    if not wants_drive(option):
        if current is None:
            return []
        return [common.change("cloud_init", current.content, None, lambda: _remove(ctx, current), predict=common.sets("cloud_init", None))]
    check(option, ctx.warnings)
    name = ctx.record.get("name_label") or ctx.params.get("name") or ""
    digest = content_hash(drive_files(option, ctx.view.uuid or "pending", name, _macs(ctx.view)))
    if current is not None and current.content == digest:
        if option.get("remove_after_boot") and _booted(ctx.view):
            return [common.change("cloud_init", digest, None, lambda: _remove(ctx, current, delivered=digest),
                                  predict=common.sets("cloud_init", None))]
        return []
    if current is None and option.get("remove_after_boot") and (ctx.record.get("other_config") or {}).get(DELIVERED) == digest:
        return []  # the guest booted with this content and the drive was removed, as asked
    if ctx.view.power_state == vm_view.RUNNING:
        ctx.warnings.append(NOTICE)
    elif current is not None:
        ctx.warnings.append(REPLACED)
    predicted = {"uuid": None, "userdevice": None, "content_hash": digest}
    return [common.change("cloud_init", current.content if current else None, digest, lambda: _make(ctx, option, current),
                          predict=common.sets("cloud_init", predicted))]


def _make(ctx: common.PlanContext, option: t.Mapping[str, t.Any], current: t.Optional[Drive]) -> None:
    """Write the drive from the VM as it is now (its uuid and MACs), attach it, then drop the old one."""
    # Imported here: only runs that write a drive pay for the FAT writer and the HTTP upload.
    # pylint: disable-next=import-outside-toplevel
    from ansible_collections.xen.xapi.plugins.module_utils._xapi import transfer
    # pylint: disable-next=import-outside-toplevel
    from ansible_collections.xen.xapi.plugins.module_utils.vm import config_drive

    vm = ctx.call("VM.get_record", ctx.vm_ref)
    macs = dict((str(ctx.call("VIF.get_device", vif)), str(ctx.call("VIF.get_MAC", vif))) for vif in vm.get("VIFs") or [])
    files = drive_files(option, vm["uuid"], vm["name_label"], macs)
    image = config_drive.fat16_volume(files)
    sr = _target_sr(ctx, option)
    record = {"name_label": "{0} cloud-init".format(vm["name_label"]), "name_description": "cloud-init config drive (xen.xapi)",
              "SR": sr, "virtual_size": str(len(image)), "type": "user", "sharable": False, "read_only": False,
              "other_config": {MARKER: content_hash(files)}, "xenstore_data": {}, "sm_config": {}, "tags": []}
    vdi = str(ctx.run("VDI.create", record))
    try:
        timeout = float(ctx.params.get("task_timeout") or 600)
        transfer.upload(ctx.client, "/import_raw_vdi", {"vdi": vdi, "format": "raw"}, len(image), io.BytesIO(image).read,
                        "VDI.import_raw", timeout)
        slot = _free_slot(ctx)
        ctx.made("VBD", ctx.call("VBD.create", disks.new_vbd_record(ctx.vm_ref, slot, False, "RW", vbd_type="Disk", vdi=vdi)))
        ctx.made("VDI", vdi)
    except BaseException:
        _quietly_destroy(ctx, vdi)
        raise
    if current is not None:
        _remove(ctx, current)


def _free_slot(ctx: common.PlanContext) -> str:
    allowed = ctx.call("VM.get_allowed_VBD_devices", ctx.vm_ref)
    if not allowed:
        raise errors.ResourceError("cloud_init: the VM has no free disk slot for the config drive; remove a disk or CD drive.")
    return sorted(allowed, key=lambda slot: int(slot) if str(slot).isdigit() else 999)[0]


def _target_sr(ctx: common.PlanContext, option: t.Mapping[str, t.Any]) -> str:
    """``sr``, else the SR of the VM's first disk, else the pool's default SR."""
    if option.get("sr"):
        return ctx.pool.sr(option["sr"], "cloud_init.sr")[0]
    for _ref, vbd in ctx.view.disks():
        vdi = ctx.view.vdi_of(vbd)
        if vdi is not None and not vm_view.is_null(vdi.get("SR")):
            return str(vdi["SR"])
    return ctx.pool.default_sr("cloud_init.sr")[0]


def _booted(view: vm_view.VmView) -> bool:
    """The guest runs and its agent has reported, so it has read its config drive."""
    metrics = view.guest_metrics or {}
    return view.power_state == vm_view.RUNNING and bool(metrics.get("os_version") or metrics.get("PV_drivers_detected"))


def _remove(ctx: common.PlanContext, drive: Drive, delivered: t.Optional[str] = None) -> None:
    attached = ctx.call("VBD.get_currently_attached", drive.vbd_ref)
    if attached:
        ctx.ensure_tools(guest_tools.HOTPLUG_DISK, "cloud_init")
        ctx.change_state("VBD.unplug", drive.vbd_ref)
    ctx.call("VBD.destroy", drive.vbd_ref)
    ctx.run("VDI.destroy", drive.vdi_ref)
    other = dict(ctx.call("VM.get_other_config", ctx.vm_ref))
    if delivered is not None:
        other[DELIVERED] = delivered
    elif DELIVERED not in other:
        return
    else:
        del other[DELIVERED]
    ctx.call("VM.set_other_config", ctx.vm_ref, other)


def _quietly_destroy(ctx: common.PlanContext, vdi: str) -> None:
    try:
        ctx.run("VDI.destroy", vdi)
    except errors.XapiBaseError:
        pass
