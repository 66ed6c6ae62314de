# Copyright: (c) 2026, xen.xapi maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Turning the inventory plugin's options into connection targets and settings, with clear errors."""

from __future__ import annotations

import dataclasses
import typing as t

from ansible.module_utils.common.arg_spec import ArgumentSpecValidator

from ansible_collections.xen.xapi.plugins.module_utils._xapi.errors import redact
from ansible_collections.xen.xapi.plugins.module_utils._xapi.transport import PROTOCOLS
from ansible_collections.xen.xapi.plugins.module_utils._xapi.urls import ConnectionParams, build_base_url
from ansible_collections.xen.xapi.plugins.plugin_utils._inventory_facts import AddressRule, Selection

# Keep in step with plugins/doc_fragments/plugin_connection.py and the pools option of the plugin.
# No defaults here: an entry of `pools` takes what it does not set from the top-level options.
POOL_ENTRY_SPEC: dict[str, dict[str, t.Any]] = {
    "hostname": dict(type="str", aliases=["host"]),
    "username": dict(type="str", aliases=["user"]),
    "password": dict(type="str", no_log=True, aliases=["pass", "pwd"]),
    "validate_certs": dict(type="bool"),
    "ca_path": dict(type="path"),
    "protocol": dict(type="str", choices=list(PROTOCOLS)),
    "timeout": dict(type="int"),
    "fallback_hosts": dict(type="list", elements="str"),
    "proxy": dict(type="str"),
}
CONNECTION_OPTIONS = tuple(POOL_ENTRY_SPEC)


class InventoryOptionError(ValueError):
    """An option of the inventory source is missing or wrong; the message names it."""


@dataclasses.dataclass(frozen=True)
class InventorySettings:
    """Everything but the connection: what to list, how to name and group it."""

    selection: Selection
    address_rule: AddressRule
    hostnames: tuple[str, ...]
    duplicate_hostnames: str
    vars_prefix: str
    group_prefix: str
    group_by: tuple[str, ...]
    filters: tuple[str, ...]
    vm_details: tuple[str, ...]


def _plain(value: t.Any) -> t.Any:
    """Option values as plain strings: vault-encrypted values are decrypted by str()."""
    if value is None or isinstance(value, (bool, int, float, list, dict)):
        return value
    return str(value)


def _validated_entry(entry: t.Any, where: str) -> dict[str, t.Any]:
    if not isinstance(entry, dict):
        raise InventoryOptionError("{0} must be a mapping of connection options, not {1}.".format(where, type(entry).__name__))
    plain = dict((str(key), _plain(value)) for key, value in entry.items())
    result = ArgumentSpecValidator(POOL_ENTRY_SPEC).validate(plain)
    if result.error_messages:
        # Type errors quote the values they could not convert: a misplaced password must not show.
        secrets = [plain.get(name) for name in ("password", "pass", "pwd")]
        raise InventoryOptionError(redact("{0}: {1}".format(where, "; ".join(result.error_messages)), secrets))
    return dict((name, result.validated_parameters.get(name)) for name in CONNECTION_OPTIONS)


def _connection_params(options: t.Mapping[str, t.Any], where: str) -> ConnectionParams:
    hostname = options.get("hostname")
    if not hostname:
        raise InventoryOptionError("{0}: set hostname to the pool master (or any pool member), or set the XAPI_HOST "
                                   "environment variable.".format(where))
    timeout = options.get("timeout")
    if timeout is not None and timeout <= 0:
        raise InventoryOptionError("{0}: timeout must be a positive number of seconds, not {1}.".format(where, timeout))
    params = ConnectionParams.from_module_params(dict(options))
    try:
        base_url = build_base_url(params.hostname)
        for host in params.fallback_hosts:
            build_base_url(host, like=base_url)
    except ValueError as err:
        raise InventoryOptionError("{0}: {1}".format(where, err))
    return params


def connection_targets(top_level: t.Mapping[str, t.Any], pools: t.Optional[t.Sequence[t.Any]]) -> list[ConnectionParams]:
    """One ConnectionParams per pool to read.

    Without `pools`, the top-level connection options name the only pool. With `pools`, each
    entry is a pool, and the top-level options are defaults for what the entries leave out.
    """
    defaults = dict((name, _plain(top_level.get(name))) for name in CONNECTION_OPTIONS)
    if not pools:
        return [_connection_params(defaults, "hostname")]
    targets = []
    for index, entry in enumerate(pools):
        where = "pools[{0}]".format(index)
        merged = dict(defaults)
        merged.update((name, value) for name, value in _validated_entry(entry, where).items() if value is not None)
        if not (isinstance(entry, dict) and (entry.get("hostname") or entry.get("host"))):
            raise InventoryOptionError("{0}: each entry of pools must set its own hostname.".format(where))
        targets.append(_connection_params(merged, where))
    return targets


def settings_from_options(get_option: t.Callable[[str], t.Any]) -> InventorySettings:
    """Read and check the non-connection options (choices were already checked by Ansible)."""
    # Entries may be templates: they are kept as given, since copying a string could drop the
    # trust Ansible gives to templates read from the inventory file.
    hostnames = tuple(entry for entry in get_option("hostnames") or () if isinstance(entry, str) and entry.strip())
    if not hostnames:
        raise InventoryOptionError("hostnames must list at least one entry, such as name_label or uuid.")
    selection = Selection(
        include_pool_hosts=bool(get_option("include_pool_hosts")),
        include_templates=bool(get_option("include_templates")),
        include_snapshots=bool(get_option("include_snapshots")),
        include_control_domains=bool(get_option("include_control_domains")),
        power_states=tuple(get_option("power_states") or ()),
    )
    families = tuple(dict.fromkeys(get_option("address_families") or ()))
    if not families:
        raise InventoryOptionError("address_families must list ipv4, ipv6 or both.")
    networks = tuple(str(name) for name in get_option("address_networks") or ())
    vm_details = tuple(dict.fromkeys(get_option("vm_details") or ()))
    if networks and "networks" not in vm_details:
        raise InventoryOptionError("address_networks needs the networks of each VM: add networks to vm_details, "
                                   "or leave address_networks empty.")
    vars_prefix = str(get_option("vars_prefix") or "")
    if vars_prefix and not vars_prefix.isidentifier():
        raise InventoryOptionError("vars_prefix {0!r} would make host variable names Ansible cannot use: give letters, digits "
                                   "and underscores, not starting with a digit (the default is xapi_).".format(vars_prefix))
    return InventorySettings(
        selection=selection,
        address_rule=AddressRule(families=families, networks=networks),
        hostnames=hostnames,
        duplicate_hostnames=get_option("duplicate_hostnames"),
        vars_prefix=vars_prefix,
        group_prefix=str(get_option("group_prefix") or ""),
        group_by=tuple(get_option("group_by") or ()),
        filters=tuple(expression for expression in get_option("filters") or () if isinstance(expression, str) and expression.strip()),
        vm_details=vm_details,
    )
