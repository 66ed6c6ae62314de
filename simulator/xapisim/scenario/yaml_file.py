"""Pools described in a YAML (or JSON) file: ``python -m xapisim --scenario my-pool.yml``.

Every key is optional; unknown keys are refused so that typos do not go unnoticed. Sizes are
bytes, or a number with a binary suffix: ``512M``, ``20G``, ``2T`` (also ``K``, and ``MiB``,
``GiB``... spellings). ``scenarios/small.yml`` beside this package is a complete example.

.. code-block:: yaml

    pool: lab-pool                 # the pool's name_label
    password: s3cret               # root's password (default: the demo pool's)
    users: {alice: alice-pw}       # more accounts that may log in
    hosts:                         # the first is the master; host N listens on 127.0.0.N
      - host1
      - {name: host2, cpus: 8, memory: 128G}
    srs:
      - name: NFS storage
        type: nfs                  # nfs, lvm, ext, iso, smb, lvmoiscsi, udev
        size: 2T
        shared: true               # a PBD on every host (default false: only on `host`)
        host: host1                # the host of a local SR (default: the first host)
        default: true              # the pool's default SR
        content_type: user         # default: iso for type iso, user otherwise
        device_config: {server: 192.0.2.10, serverpath: /export/vms}
        isos: [debian-12.iso]      # ISO images in this SR
    networks:
      - name: Pool-wide network associated with eth0
        bridge: xenbr0
        device: eth0               # a PIF per host; omit for a host-internal network
        management: true           # default: true for the first network with a device
    default_templates: true        # the standard templates (default: true)
    templates:
      - {name: Alpine 3, hvm: false, disk: 4G, memory: 512M, vcpus: 1}
    vms:
      - name: web01
        template: Debian Bookworm 12   # memory, vCPUs and disk size default to the template's
        power_state: Running           # Running, Halted, Suspended or Paused (default Halted)
        host: host1                    # where it runs (default: hosts in turn)
        memory: 2G
        vcpus: 2
        disks: [{name: web01 root, size: 20G, sr: NFS storage}]   # sr default: the default SR
        networks: [Pool-wide network associated with eth0]
        tags: [web]
        template: Debian Bookworm 12   # the template it was installed from; its guest agent reports that OS
    durations:                     # seconds an operation takes ("*": every other one)
      "*": 0.05
      VM.start: 1.0

PyYAML is imported only when a ``.yml`` / ``.yaml`` file is read; a ``.json`` file needs nothing.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .builder import DEFAULT_TEMPLATES, GiB, MiB, SM_DRIVERS, PoolBuilder
from .demo import DEMO_PASSWORD
from .generated import host_address

if TYPE_CHECKING:
    from ..context import SimulatorView

_UNITS = {"": 1, "K": 1024, "M": MiB, "G": GiB, "T": 1024 * GiB}
_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([KMGT]?)(?:I?B)?\s*$", re.IGNORECASE)
POWER_STATES = ("Running", "Halted", "Suspended", "Paused")
TOP_LEVEL_KEYS = {"pool", "password", "users", "hosts", "srs", "networks", "default_templates", "templates",
                  "vms", "durations"}


class ScenarioError(ValueError):
    """The file does not describe a pool this module can build; the message says where and why."""


def parse_size(value: Any, where: str) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    match = _SIZE.match(str(value))
    if not match:
        raise ScenarioError(f"{where}: {value!r} is not a size (bytes, or a number with K, M, G or T)")
    return int(float(match.group(1)) * _UNITS[match.group(2).upper()])


def _entries(document: dict[str, Any], key: str) -> list[dict[str, Any]]:
    """A list of mappings; a bare string is shorthand for ``{name: <string>}``."""
    items = document.get(key) or []
    if not isinstance(items, list):
        raise ScenarioError(f"{key}: expected a list")
    return [item if isinstance(item, dict) else {"name": str(item)} for item in items]


def _check_keys(item: dict[str, Any], allowed: set[str], where: str, name_required: bool = True) -> None:
    unknown = set(item) - allowed
    if unknown:
        raise ScenarioError(f"{where}: unknown key {sorted(unknown)[0]!r} (known: {', '.join(sorted(allowed))})")
    if name_required and "name" in allowed and not item.get("name"):
        raise ScenarioError(f"{where}: a name is required")


def load_document(path: str | Path) -> dict[str, Any]:
    text = Path(path).read_text(encoding="utf-8")
    if str(path).endswith(".json"):
        document = json.loads(text)
    else:
        try:
            # Imported here: only YAML scenario files need PyYAML.
            import yaml  # pylint: disable=import-outside-toplevel
        except ImportError as exc:
            raise ScenarioError(f"{path}: reading YAML needs PyYAML (pip install pyyaml), or use JSON") from exc
        document = yaml.safe_load(text)
    if not isinstance(document, dict):
        raise ScenarioError(f"{path}: expected a mapping at the top level")
    _check_keys(document, TOP_LEVEL_KEYS, str(path))
    return document


def build_from_file(sim: "SimulatorView", path: str | Path) -> None:
    """Build the pool that the scenario file at ``path`` describes."""
    FileScenario(sim, load_document(path)).build()


@dataclass
class FileScenario:
    sim: "SimulatorView"
    document: dict[str, Any]
    hosts: dict[str, str] = field(default_factory=dict)
    srs: dict[str, str] = field(default_factory=dict)
    networks: dict[str, str] = field(default_factory=dict)
    templates: dict[str, dict[str, Any]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.builder = PoolBuilder(self.sim)

    def build(self) -> None:
        doc = self.document
        self.builder.pool(str(doc.get("pool", "xapisim-pool")))
        self._hosts()
        self._srs()
        self._networks()
        self._templates()
        self._vms()
        self.sim.users["root"] = str(doc.get("password", DEMO_PASSWORD))
        self.sim.users.update({str(k): str(v) for k, v in (doc.get("users") or {}).items()})
        self.sim.durations.update({str(k): float(v) for k, v in (doc.get("durations") or {}).items()})

    def _lookup(self, table: dict[str, str], kind: str, name: Any, where: str) -> str:
        if str(name) not in table:
            raise ScenarioError(f"{where}: no {kind} named {name!r}")
        return table[str(name)]

    def _hosts(self) -> None:
        hosts = _entries(self.document, "hosts") or [{"name": "host1"}]
        for index, item in enumerate(hosts):
            where = f"hosts[{index}]"
            _check_keys(item, {"name", "cpus", "memory"}, where)
            extra: dict[str, Any] = {"cpus": int(item["cpus"])} if "cpus" in item else {}
            if "memory" in item:
                extra["memory"] = parse_size(item["memory"], where)
            self.hosts[str(item["name"])] = self.builder.host(str(item["name"]), host_address(index), **extra)

    def _srs(self) -> None:
        for index, item in enumerate(_entries(self.document, "srs")):
            where = f"srs[{index}]"
            _check_keys(item, {"name", "type", "size", "shared", "host", "default", "content_type",
                               "device_config", "isos"}, where)
            sr_type = str(item.get("type", "nfs"))
            if sr_type not in SM_DRIVERS:
                raise ScenarioError(f"{where}: unknown SR type {sr_type!r} (known: {', '.join(SM_DRIVERS)})")
            shared = bool(item.get("shared", False))
            hosts = list(self.hosts.values()) if shared else \
                [self._lookup(self.hosts, "host", item.get("host", next(iter(self.hosts))), where)]
            sr = self.builder.sr(
                str(item["name"]), sr_type, parse_size(item.get("size", "100G"), where), hosts, shared=shared,
                content_type=str(item.get("content_type", "iso" if sr_type == "iso" else "user")),
                device_config={str(k): str(v) for k, v in (item.get("device_config") or {}).items()},
                default=bool(item.get("default", False)))
            self.srs[str(item["name"])] = sr
            for iso in item.get("isos") or []:
                self.builder.vdi(sr, str(iso), 700 * MiB, read_only=True, location=str(iso))

    def _networks(self) -> None:
        management_taken = False
        for index, item in enumerate(_entries(self.document, "networks")):
            where = f"networks[{index}]"
            _check_keys(item, {"name", "bridge", "device", "management"}, where)
            device = item.get("device")
            management = bool(item.get("management", device is not None and not management_taken))
            management_taken = management_taken or management
            self.networks[str(item["name"])] = self.builder.network(
                str(item["name"]), str(item.get("bridge", f"xenbr{index}")), None if device is None else str(device),
                management=management)

    def _templates(self) -> None:
        if self.document.get("default_templates", True):
            for ref, spec in zip(self.builder.default_templates(), DEFAULT_TEMPLATES):
                name, _hvm, disk, memory, vcpus, _platform = spec
                self.templates[name] = {"ref": ref, "disk": disk, "memory": memory, "vcpus": vcpus}
        for index, item in enumerate(_entries(self.document, "templates")):
            where = f"templates[{index}]"
            _check_keys(item, {"name", "hvm", "disk", "memory", "vcpus"}, where)
            disk, memory = parse_size(item.get("disk", "10G"), where), parse_size(item.get("memory", "2G"), where)
            vcpus = int(item.get("vcpus", 2))
            ref = self.builder.template(str(item["name"]), hvm=bool(item.get("hvm", True)), disk_size=disk,
                                        memory=memory, vcpus=vcpus)
            self.templates[str(item["name"])] = {"ref": ref, "disk": disk, "memory": memory, "vcpus": vcpus}

    def _power_state(self, value: Any, where: str) -> str:
        for state in POWER_STATES:
            if str(value).lower() == state.lower():
                return state
        raise ScenarioError(f"{where}: power_state {value!r} is not one of {', '.join(POWER_STATES)}")

    def _default_sr(self) -> str | None:
        pool = next(iter(self.sim.store.records("pool").values()))
        return None if pool["default_SR"] == "OpaqueRef:NULL" else pool["default_SR"]

    def _disks(self, item: dict[str, Any], template: dict[str, Any] | None, where: str) -> list[tuple[str, int, str]]:
        specs = item.get("disks")
        if specs is None:
            specs = [{"size": template["disk"]}] if template else []
        disks = []
        for number, spec in enumerate(specs):
            spec = spec if isinstance(spec, dict) else {"size": spec}
            disk_where = f"{where}.disks[{number}]"
            _check_keys(spec, {"name", "size", "sr"}, disk_where, name_required=False)
            sr = self._lookup(self.srs, "SR", spec["sr"], disk_where) if "sr" in spec else self._default_sr()
            if sr is None:
                raise ScenarioError(f"{disk_where}: no sr given and the pool has no default SR")
            name = str(spec.get("name", f"{item['name']} {'root' if number == 0 else f'disk {number}'}"))
            disks.append((name, parse_size(spec.get("size", "10G"), disk_where), sr))
        return disks

    def _vms(self) -> None:
        host_names = list(self.hosts)
        allowed = {"name", "template", "power_state", "host", "memory", "vcpus", "disks", "networks", "tags", "os"}
        for index, item in enumerate(_entries(self.document, "vms")):
            where = f"vms[{index}]"
            _check_keys(item, allowed, where)
            template = None
            if "template" in item:
                template = self.templates.get(str(item["template"]))
                if template is None:
                    raise ScenarioError(f"{where}: no template named {item['template']!r}")
            state = self._power_state(item.get("power_state", "Halted"), where)
            host = self._lookup(self.hosts, "host", item.get("host", host_names[index % len(host_names)]), where)
            memory = parse_size(item.get("memory", template["memory"] if template else "2G"), where)
            base = str(item.get("template", "Debian Bookworm 12"))
            self.builder.vm(
                str(item["name"]), memory=memory, vcpus=int(item.get("vcpus", template["vcpus"] if template else 2)),
                power_state=state, host=host, disks=self._disks(item, template, where),
                networks=[self._lookup(self.networks, "network", name, where) for name in item.get("networks") or []],
                tags=[str(tag) for tag in item.get("tags") or []], base_template=base)
