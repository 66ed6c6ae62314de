# Copyright: (c) 2026, xen.xapi maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: xapi
short_description: VMs and hosts of XenServer and XCP-ng pools as inventory hosts
version_added: 0.1.0
description:
  - Reads one or more XenServer / XCP-ng pools through their XAPI management API and adds their virtual machines
    (and, if asked, their physical hosts) to the inventory, with their facts as host variables and built-in groups.
  - Each pool is read with a constant number of API calls whatever its size, in two round trips (log in; one read
    per class of VMs, hosts, guest metrics, networks, VIFs, disks and storage, sent together with the log out).
  - The configuration file must be named C(*.xapi.yml) or C(*.xapi.yaml).
  - B(Host names.) The inventory host name is the first non-empty value of O(hostnames). When several objects end up
    with the same name, none of them keeps it, whatever order the pool lists them in; see O(duplicate_hostnames).
  - B(ansible_host.) A VM's C(ansible_host) is the first address its guest agent reports, chosen by
    O(address_networks), then O(address_families), then VIF device order. Link-local and loopback addresses are never
    chosen. A VM with no such address gets no C(ansible_host) and is put in the C(<group_prefix>without_ip) group.
    A physical host's C(ansible_host) is its management address. O(compose) may set C(ansible_host) to anything else.
  - B(Host variables), prefixed with O(vars_prefix) (V(xapi_) by default). For VMs C(class) (V(VM)), C(uuid),
    C(name_label), C(power_state), C(host) (name of the host it runs on, empty when not running), C(pool), C(vcpus),
    C(memory) (static maximum, in bytes), C(os_version) (what the guest agent reports, a dictionary), C(os_family)
    (V(linux), V(windows), V(bsd), or empty), C(tags), C(other_config), C(is_a_template), C(is_a_snapshot),
    C(is_control_domain); with O(vm_details), C(networks) (a list of C(device), C(network) name, C(mac), C(ipv4) and
    C(ipv6) address lists per VIF) and C(disks) (a summary of the virtual disks, CD drives left out; C(count) and
    total C(size) in bytes; M(xen.xapi.xen_info) lists each disk).
  - For physical hosts C(class) (V(host)), C(uuid), C(name_label), C(address), C(hostname), C(pool), C(is_master),
    C(enabled), C(software_version), C(tags), C(other_config).
  - B(Built-in groups), prefixed with O(group_prefix) and made of letters, digits and underscores only;
    C(vms) (every VM), C(hosts) (every physical host), and for each kind listed in O(group_by) C(pool_<pool name>),
    C(host_<host name>) (VMs running on that host), C(power_<power state>) (V(running), V(halted), V(suspended),
    V(paused)), C(tag_<tag>), C(os_<os family>), C(without_ip).
  - Names, tags and every other text that comes from the pool are marked unsafe, so that a VM named like a template,
    C({{ ansible_password }}) for example, is shown as it is and never templated.
author:
  - xen.xapi maintainers (!UNKNOWN)
extends_documentation_fragment:
  - xen.xapi.plugin_connection
  - ansible.builtin.constructed
  - ansible.builtin.inventory_cache
options:
  plugin:
    description: Marks the file as a configuration of this plugin.
    type: str
    required: true
    choices: [ xen.xapi.xapi ]
  pools:
    description:
      - Several pools to read into one inventory. Each entry takes the connection options of its own pool; what an entry
        does not set is taken from the top-level options (and their environment variables).
      - When this is set, only the listed pools are read, and every entry must set its own O(pools[].hostname).
    type: list
    elements: dict
    default: []
    suboptions:
      hostname:
        description: The pool master (or any pool member), as for the top-level O(hostname).
        type: str
        required: true
        aliases: [ host ]
      username:
        description: The user to log in as.
        type: str
        aliases: [ user ]
      password:
        description: The password of O(pools[].username); may be vault-encrypted.
        type: str
        aliases: [ pass, pwd ]
      validate_certs:
        description: Whether to verify the host's TLS certificate and host name.
        type: bool
      ca_path:
        description: CA certificates that signed the pool hosts' certificates.
        type: path
      protocol:
        description: The XAPI wire protocol.
        type: str
        choices: [ jsonrpc, xmlrpc ]
      timeout:
        description: Seconds to wait for the server during one HTTP exchange.
        type: int
      fallback_hosts:
        description: Other hosts of the pool to try when O(pools[].hostname) does not answer.
        type: list
        elements: str
      proxy:
        description: An HTTP proxy for the connections to this pool, as for the top-level O(proxy).
        type: str
  include_pool_hosts:
    description: Add the physical hosts of each pool as inventory hosts too.
    type: bool
    default: false
  include_templates:
    description: Add templates (VMs with C(is_a_template)), default templates included.
    type: bool
    default: false
  include_snapshots:
    description: Add VM snapshots.
    type: bool
    default: false
  include_control_domains:
    description: Add the control domains (dom0) of the hosts.
    type: bool
    default: false
  power_states:
    description:
      - Only add VMs in one of these power states. An empty list adds VMs in any power state.
      - This does not apply to physical hosts.
    type: list
    elements: str
    choices: [ Running, Halted, Suspended, Paused ]
    default: []
  filters:
    description:
      - Jinja2 tests, written like C(when) conditions, on the host variables of each VM or host (C(ansible_host)
        included). Only objects for which all of them are true are added, before any name, group or composed
        variable is made.
      - An expression that fails (for example on a dictionary key a VM does not have) excludes the object, or, with
        O(strict=true), fails the inventory source.
    type: list
    elements: str
    default: []
  hostnames:
    description:
      - Where the inventory host name comes from, in order of preference; the first entry that gives a non-empty value wins,
        and the uuid is used when none does.
      - An entry is either the name of a host variable without its prefix (V(name_label), V(uuid), V(hostname), ...),
        or a Jinja2 expression over the host variables (V(xapi_name_label ~ '.' ~ xapi_pool)).
    type: list
    elements: str
    default: [ name_label, uuid ]
  duplicate_hostnames:
    description:
      - What happens when several objects get the same host name (in one pool or across pools). A name used by a
        single object is always kept, so names change only when they stop or start being unique.
      - V(suffix) names each of them C(<name>_<first 8 characters of its uuid>), or C(<name>_<uuid>) if that is not
        enough to tell them apart.
      - V(uuid) names each of them by its uuid.
      - Should names still collide afterwards, the later ones get C(_2), C(_3), ... appended.
    type: str
    choices: [ suffix, uuid ]
    default: suffix
  address_families:
    description:
      - The address families C(ansible_host) may come from, in order of preference. V([ipv4]) never uses IPv6 addresses.
    type: list
    elements: str
    choices: [ ipv4, ipv6 ]
    default: [ ipv4, ipv6 ]
  address_networks:
    description:
      - Networks (name or uuid) whose VIFs C(ansible_host) may come from, in order of preference.
        An empty list allows every VIF, in device order. Needs V(networks) in O(vm_details).
    type: list
    elements: str
    default: []
  vm_details:
    description:
      - The per-VM summaries to build as host variables. Each needs more of the pool to be read and makes the
        inventory bigger; leave them out to list very large pools faster.
      - V(networks) reads the VIFs and networks, for C(networks) and for O(address_networks).
      - V(disks) reads the virtual disks and storage repositories, for C(disks).
    type: list
    elements: str
    choices: [ networks, disks ]
    default: [ networks, disks ]
  vars_prefix:
    description:
      - Prefix of the host variable names made from the pool's records. Letters, digits and underscores, not starting
        with a digit.
    type: str
    default: xapi_
  group_prefix:
    description: Prefix of the built-in group names.
    type: str
    default: xapi_
  group_by:
    description:
      - The kinds of built-in groups to make; an empty list makes none but C(<group_prefix>vms) and C(<group_prefix>hosts).
    type: list
    elements: str
    choices: [ pool, host, power_state, tag, os_family, without_ip ]
    default: [ pool, host, power_state, tag, os_family, without_ip ]
notes:
  - Use O(cache) to read the pools only when the cache has expired; the cache holds the records of the pools, so
    changes to naming, grouping and filtering options apply at once. Changing the pools connected to ignores the cache.
  - A pool that cannot be read fails the whole inventory source, rather than silently leaving its VMs out.
  - Large pools make millions of Python objects that live as long as the Ansible process. The plugin pauses Python's
    cyclic garbage collector while it builds them and then moves them to the permanent generation (C(gc.freeze)),
    so that later collections do not walk them again; reference counting still frees them as usual.
seealso:
  - module: xen.xapi.xen_info
"""

EXAMPLES = r"""
# demo.xapi.yml: every VM of the pool, connection taken from XAPI_HOST, XAPI_USERNAME, XAPI_PASSWORD, XAPI_CA_PATH.
plugin: xen.xapi.xapi

---
# prod.xapi.yml: running VMs and the hosts of two pools, reached through a vault-encrypted password.
plugin: xen.xapi.xapi
username: ansible
password: !vault |
  $ANSIBLE_VAULT;1.1;AES256
  62313365396662343061393464336163383764373764613633653634306231386433626436623361
  6134333665353966363534333632666535333761666131620a663537646436643839616531643561
  63396265333966386166373632626539326166353965363262633030333630313338646335303630
  3438626666666137650a353638643435666633633964366338633066623234616432373231333331
  6564
ca_path: /etc/pki/xapi-ca.pem
pools:
  - hostname: xs-paris-01.example.com
    fallback_hosts: [xs-paris-02.example.com, xs-paris-03.example.com]
  - hostname: xs-lyon-01.example.com
include_pool_hosts: true
power_states: [Running]

---
# Name VMs after their uuid, keep only Linux guests, reach them on the storage network first,
# and add groups of your own.
plugin: xen.xapi.xapi
hostnames: [uuid]
filters:
  - xapi_os_family == 'linux'
address_networks: [Pool-wide network associated with eth1, Pool-wide network associated with eth0]
compose:
  ansible_user: "'admin' if 'production' in xapi_tags else 'root'"
groups:
  big_vms: xapi_memory >= 8 * 1024 * 1024 * 1024
keyed_groups:
  - key: xapi_os_version.distro | default('unknown')
    prefix: distro
cache: true
cache_plugin: ansible.builtin.jsonfile
cache_connection: ~/.cache/ansible-xapi-inventory
cache_timeout: 600
"""

import typing as t

from ansible.errors import AnsibleParserError
from ansible.plugins.inventory import BaseInventoryPlugin, Cacheable, Constructable
from ansible.utils.unsafe_proxy import wrap_var

from ansible_collections.xen.xapi.plugins.module_utils._xapi.client import XapiClient
from ansible_collections.xen.xapi.plugins.module_utils._xapi.errors import XapiBaseError, XapiError, redact
from ansible_collections.xen.xapi.plugins.module_utils._xapi.urls import PLAIN_HTTP_WARNING, ConnectionParams, build_base_url, plain_http_urls
from ansible_collections.xen.xapi.plugins.plugin_utils._inventory_facts import InventoryObject, pool_objects
from ansible_collections.xen.xapi.plugins.plugin_utils._inventory_gc import long_lived_objects
from ansible_collections.xen.xapi.plugins.plugin_utils._inventory_names import builtin_groups, distinct_hostnames
from ansible_collections.xen.xapi.plugins.plugin_utils._inventory_options import (
    CONNECTION_OPTIONS,
    InventoryOptionError,
    InventorySettings,
    connection_targets,
    settings_from_options,
)
from ansible_collections.xen.xapi.plugins.plugin_utils._inventory_snapshot import PoolData, read_pool, snapshot_classes

CONFIG_SUFFIXES = (".xapi.yml", ".xapi.yaml")
# Since ansible-core 2.19 a string is only templated when it was explicitly trusted, and an inventory
# plugin's variables are not unless it sets trusted_by_default: plain strings are already safe there,
# and wrapping thousands of values would only cost time. Older versions need wrap_var.
UNTRUSTED_BY_DEFAULT = hasattr(BaseInventoryPlugin, "trusted_by_default")


class ConstructedOptions(t.NamedTuple):
    """The options of Ansible's constructed features, read once for all hosts."""

    compose: dict[str, str]
    groups: dict[str, str]
    keyed_groups: list[dict[str, t.Any]]
    strict: bool


class InventoryModule(BaseInventoryPlugin, Constructable, Cacheable):
    NAME = "xen.xapi.xapi"

    def verify_file(self, path: str) -> bool:
        return super().verify_file(path) and path.endswith(CONFIG_SUFFIXES)

    def parse(self, inventory: t.Any, loader: t.Any, path: str, cache: bool = True) -> None:
        super().parse(inventory, loader, path, cache)
        self._read_config_data(path)
        try:
            top_level = dict((name, self.get_option(name)) for name in CONNECTION_OPTIONS)
            targets = connection_targets(top_level, self.get_option("pools"))
            settings = settings_from_options(self.get_option)
        except InventoryOptionError as err:
            raise AnsibleParserError("Invalid {0} configuration in {1}: {2}".format(self.NAME, path, err))
        with long_lived_objects():
            self._build(path, targets, settings, cache)

    def _build(self, path: str, targets: list[ConnectionParams], settings: InventorySettings, cache: bool) -> None:
        # The pools' records live in this frame, not in parse's: ansible-core's config reading leaves parse's
        # frame in a reference cycle, which would keep them in memory until the next full garbage collection.
        pools = self._pools(path, targets, snapshot_classes(settings.vm_details), cache)
        objects = [obj for data in pools for obj in pool_objects(data, settings.selection, settings.address_rule, settings.vm_details)]
        self._populate(objects, settings)

    # --- Reading the pools, or the cache ------------------------------------------------------

    def _pools(self, path: str, targets: list[ConnectionParams], classes: tuple[str, ...], cache: bool) -> list[PoolData]:
        """The records of every pool, from the cache when allowed and still valid for these pools."""
        use_cache = bool(self.get_option("cache"))
        key = self.get_cache_key(path)
        # A cache filled for other pools or other classes (the file was edited since) must not be served.
        sources = ["{0}@{1}".format(target.username, build_base_url(target.hostname)) for target in targets] + list(classes)
        if use_cache and cache:
            try:
                cached = self._cache[key]
            except KeyError:
                cached = None
            if isinstance(cached, dict) and cached.get("sources") == sources:
                return list(cached["pools"])
        pools = [self._read_pool(target, classes) for target in targets]
        if use_cache:
            self._cache[key] = {"sources": sources, "pools": pools}
        return pools

    def _read_pool(self, target: ConnectionParams, classes: tuple[str, ...]) -> PoolData:
        base_url = build_base_url(target.hostname)
        for url in plain_http_urls(target):
            self.display.warning(PLAIN_HTTP_WARNING.format(url))
        try:
            with XapiClient(target) as client:
                return read_pool(client, classes)
        except XapiBaseError as err:
            message = "Cannot read the pool at {0}: {1}".format(base_url, err.describe())
            if isinstance(err, XapiError):
                message += " (XAPI error {0})".format(" ".join([err.code] + err.params))
            raise AnsibleParserError(redact(message, [target.password]))

    # --- Building the inventory ---------------------------------------------------------------

    def _populate(self, objects: list[InventoryObject], settings: InventorySettings) -> None:
        strict = bool(self.get_option("strict"))
        kept: list[tuple[InventoryObject, dict[str, t.Any]]] = []
        preferred: list[str] = []
        for obj in objects:
            variables = self._host_variables(obj, settings.vars_prefix)
            if all(self._passes(expression, variables, obj, strict) for expression in settings.filters):
                kept.append((obj, variables))
                preferred.append(self._preferred_name(settings, variables, obj, strict))
        names = distinct_hostnames(preferred, [obj.facts["uuid"] for obj, _variables in kept], settings.duplicate_hostnames)
        constructed = ConstructedOptions(self.get_option("compose"), self.get_option("groups"), self.get_option("keyed_groups"), strict)
        for name, (obj, variables) in zip(names, kept):
            self._add_host(wrap_var(name), obj, variables, settings, constructed)

    @staticmethod
    def _host_variables(obj: InventoryObject, prefix: str) -> dict[str, t.Any]:
        """The object's facts as prefixed host variables, every value from the pool marked unsafe."""
        variables = dict((prefix + name, value) for name, value in obj.facts.items())
        if obj.address:
            variables["ansible_host"] = obj.address
        return variables if UNTRUSTED_BY_DEFAULT else wrap_var(variables)

    def _evaluate(self, expression: str, variables: dict[str, t.Any], option: str, obj: InventoryObject, strict: bool) -> t.Any:
        """The value of a Jinja2 expression of option over the variables; None if it fails and not strict."""
        try:
            return self._compose(expression, variables)
        except Exception as err:  # pylint: disable=broad-exception-caught  # any templating failure, as in Constructable
            if strict:
                raise AnsibleParserError("Could not evaluate {0} entry {1!r} for {2} {3!r} ({4}): {5}".format(
                    option, str(expression), obj.kind, obj.facts.get("name_label"), obj.facts.get("uuid"), err))
            return None

    def _passes(self, expression: str, variables: dict[str, t.Any], obj: InventoryObject, strict: bool) -> bool:
        result = self._evaluate(expression, variables, "filters", obj, strict)
        if isinstance(result, str):
            return result.strip().lower() in ("true", "yes", "1")
        return bool(result)

    def _preferred_name(self, settings: InventorySettings, variables: dict[str, t.Any], obj: InventoryObject, strict: bool) -> str:
        for entry in settings.hostnames:
            if entry.isidentifier():
                # A variable name: read it directly, which costs nothing even for thousands of VMs.
                value = variables.get(settings.vars_prefix + entry, variables.get(entry))
            else:
                value = self._evaluate(entry, variables, "hostnames", obj, strict)
            if value is not None and not isinstance(value, (dict, list)) and str(value).strip():
                return value.strip() if isinstance(value, str) else str(value)
        return variables[settings.vars_prefix + "uuid"]

    def _add_host(self, name: str, obj: InventoryObject, variables: dict[str, t.Any], settings: InventorySettings,
                  constructed: ConstructedOptions) -> None:
        host = self.inventory.add_host(name)
        for key, value in variables.items():
            self.inventory.set_variable(host, key, value)
        self._set_composite_vars(constructed.compose, variables, host, strict=constructed.strict)
        # compose may have given a VM an address (or taken it away), so without_ip is decided after it.
        has_address = bool(self.inventory.get_host(host).vars.get("ansible_host"))
        for group in builtin_groups(obj, has_address, settings.group_by, settings.group_prefix):
            self.inventory.add_child(self.inventory.add_group(self._sanitize_group_name(group)), host)
        self._add_host_to_composed_groups(constructed.groups, variables, host, strict=constructed.strict)
        self._add_host_to_keyed_groups(constructed.keyed_groups, variables, host, strict=constructed.strict)
