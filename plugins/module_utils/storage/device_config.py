# Copyright: (c) 2026, xen.xapi maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The ``device_config`` of storage: how a host reaches an SR, secrets included.

Passwords (NFS/SMB/CIFS credentials, iSCSI CHAP secrets) travel in the same map as ordinary
settings such as the server name. The option is declared ``no_log`` so that Ansible never logs
it as a whole; ``protect_secrets`` then hands the hiding of its secrets to the module, so ordinary
values stay readable, and ``credentials.masked`` hides secrets in everything the modules return.
"""

from __future__ import annotations

import typing as t

from ansible_collections.xen.xapi.plugins.module_utils import _engine, _module
from ansible_collections.xen.xapi.plugins.module_utils.storage import credentials

StrMap = t.Dict[str, str]

# What XAPI calls a password it moved into a secret object: the key with this suffix, holding the
# secret's uuid; the password itself can no longer be read back.
SECRET_REF_SUFFIX = "_secret"
# Keys the storage layer writes itself (on the SR master's PBD); clients may not set them.
RESERVED_KEYS = frozenset(("SRmaster",))


def protect_secrets(module: _module.XapiModule, option: str = "device_config") -> None:
    """Hide the secret values of a ``no_log`` map option, and only them.

    Declaring the map ``no_log`` keeps it out of Ansible's logs, but then Ansible hides every value
    of it as a substring of any output: ordinary values such as the server name vanish, and short
    secrets garble messages. The module hides the secrets itself instead (see XapiModule.hide_secrets_of).
    """
    config = module.params.get(option)
    if config is None:
        return
    secrets = [_engine.xapi_text(value) for key, value in config.items() if credentials.is_secret_key(str(key))]
    module.hide_secrets_of(option, secrets, credentials.masked(config))


def without_reserved(config: t.Mapping[str, str]) -> StrMap:
    return dict((key, value) for key, value in config.items() if key not in RESERVED_KEYS)


def _stored_as_secret(key: str, current: t.Mapping[str, str]) -> bool:
    """Whether XAPI replaced this password by a reference to a secret object, so it cannot be compared."""
    return credentials.is_secret_key(key) and key not in current and key + SECRET_REF_SUFFIX in current


def target_config(current: t.Mapping[str, str], wanted: t.Optional[t.Mapping[str, t.Any]], purge: bool) -> t.Optional[StrMap]:
    """The device_config the option asks for, or None when the current one already matches.

    Merged into the current map, or exactly the given map with ``purge``. Keys the storage layer
    writes itself are ignored, and a password XAPI keeps in a secret object counts as unchanged.
    """
    wanted_map = _engine.string_map(wanted)
    if wanted_map is None:
        return None
    base = without_reserved(current)
    differs = any(base.get(key) != value for key, value in wanted_map.items() if not _stored_as_secret(key, base))
    if purge:
        kept = set(wanted_map) | set(key + SECRET_REF_SUFFIX for key in wanted_map if _stored_as_secret(key, base))
        differs = differs or any(key not in kept for key in base)
    if not differs:
        return None
    return _merged(base, wanted_map, purge)


def _merged(base: t.Mapping[str, str], wanted_map: t.Mapping[str, str], purge: bool) -> StrMap:
    target = dict(wanted_map) if purge else dict(base, **wanted_map)
    # A password given again replaces the secret object that held the old one.
    for key in wanted_map:
        if credentials.is_secret_key(key):
            target.pop(key + SECRET_REF_SUFFIX, None)
    return target


def new_config(sibling: t.Optional[t.Mapping[str, str]], wanted: t.Optional[t.Mapping[str, t.Any]], purge: bool) -> t.Optional[StrMap]:
    """The device_config of a new PBD: the given map, merged over a sibling PBD's (unless purge); None if neither."""
    wanted_map = _engine.string_map(wanted)
    if sibling is None or purge:
        return wanted_map
    return _merged(without_reserved(sibling), wanted_map or {}, False)
