# Copyright: (c) 2026, xen.xapi maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""xen_pool_member's matching: what users type for the member, and which pool host it names."""

from __future__ import annotations

import pytest

from ansible_collections.xen.xapi.plugins.module_utils._xapi.errors import ResourceError
from ansible_collections.xen.xapi.plugins.module_utils.pool.member_resource import address_of, find_member

HOSTS = {
    "OpaqueRef:h1": {"uuid": "u1", "name_label": "host1", "hostname": "xs01", "address": "192.0.2.11"},
    "OpaqueRef:h2": {"uuid": "u2", "name_label": "twin", "hostname": "xs02", "address": "192.0.2.12"},
    "OpaqueRef:h3": {"uuid": "u3", "name_label": "twin", "hostname": "xs03", "address": "192.0.2.13"},
}


@pytest.mark.parametrize("typed, address", [
    ("192.0.2.14", "192.0.2.14"), ("https://192.0.2.14", "192.0.2.14"), ("https://192.0.2.14:8443/", "192.0.2.14"),
    ("xs04.example.com", "xs04.example.com"), ("[2001:db8::4]:443", "2001:db8::4"), ("2001:db8::4", "2001:db8::4"),
])
def test_the_address_part_of_what_users_type(typed: str, address: str) -> None:
    assert address_of(typed) == address


def test_a_member_is_found_by_address_host_name_name_or_uuid() -> None:
    for key in ("192.0.2.11", "https://192.0.2.11:443", "xs01", "host1", "u1"):
        found = find_member(HOSTS, key)
        assert found is not None and found[0] == "OpaqueRef:h1", key
    assert find_member(HOSTS, "192.0.2.99") is None


def test_a_shared_name_fails_naming_the_hosts() -> None:
    with pytest.raises(ResourceError, match=r"member: 'twin' matches 2 hosts of the pool \(twin \(u2\), twin \(u3\)\)"):
        find_member(HOSTS, "twin")
