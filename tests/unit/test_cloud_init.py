# Copyright: (c) 2026, xen.xapi maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What xen_vm's cloud_init option puts on the config drive, and the content it refuses."""

from __future__ import annotations

import json
import typing as t

import pytest

from ansible_collections.xen.xapi.plugins.module_utils._xapi.errors import ResourceError
from ansible_collections.xen.xapi.plugins.module_utils.vm.cloud_init import check, content_hash, drive_files, network_config, wants_drive

MACS = {"0": "AA:BB:CC:00:00:01", "1": "aa:bb:cc:00:00:02"}


def test_nocloud_and_configdrive_files() -> None:
    files = drive_files({"user_data": "#cloud-config\nusers: []\n", "meta_data": {"local-hostname": "web"}}, "uuid-1", "web01", MACS)
    assert sorted(files) == ["meta-data", "openstack/latest/meta_data.json", "openstack/latest/user_data", "user-data"]
    assert json.loads(files["meta-data"]) == {"instance-id": "uuid-1", "local-hostname": "web"}
    assert json.loads(files["openstack/latest/meta_data.json"]) == {"uuid": "uuid-1", "hostname": "web", "name": "web01"}
    assert files["user-data"] == files["openstack/latest/user_data"] == b"#cloud-config\nusers: []\n"


def test_static_addresses_render_network_config_v2_matched_by_mac() -> None:
    rendered = network_config([{"device": 0, "address": "192.0.2.10/24", "gateway": "192.0.2.1", "dns": ["192.0.2.53"]},
                               {"device": 1}], MACS)
    assert rendered == {"version": 2, "ethernets": {
        "eth0": {"match": {"macaddress": "aa:bb:cc:00:00:01"}, "set-name": "eth0", "addresses": ["192.0.2.10/24"],
                 "routes": [{"to": "default", "via": "192.0.2.1"}], "nameservers": {"addresses": ["192.0.2.53"]}},
        "eth1": {"match": {"macaddress": "aa:bb:cc:00:00:02"}, "set-name": "eth1", "dhcp4": True}}}
    files = drive_files({"network": [{"device": 0, "address": "192.0.2.10/24"}]}, "u", "n", MACS)
    assert json.loads(files["network-config"])["ethernets"]["eth0"]["addresses"] == ["192.0.2.10/24"]
    assert drive_files({"network_config": "version: 1\n"}, "u", "n", {})["network-config"] == b"version: 1\n"


def test_the_hash_follows_the_content_only() -> None:
    option = {"user_data": "#cloud-config\n{}\n"}
    assert content_hash(drive_files(option, "u", "n", {})) == content_hash(drive_files(dict(option), "u", "n", {}))
    assert content_hash(drive_files(option, "u", "n", {})) != content_hash(drive_files(option, "other", "n", {}))


@pytest.mark.parametrize("option, wanted", [({}, False), ({"sr": "NFS"}, False), ({"user_data": ""}, False),
                                            ({"user_data": "#!/bin/sh\n"}, True), ({"network": [{"device": 0}]}, True)])
def test_an_empty_option_means_no_drive(option: t.Dict[str, t.Any], wanted: bool) -> None:
    assert wants_drive(option) is wanted


@pytest.mark.parametrize("option, message", [
    ({"user_data": "#cloud-config\nusers: [unclosed\n"}, "not valid YAML"),
    ({"user_data": "#cloud-config\n- a list\n"}, "must be a mapping"),
    ({"network": [{"address": "192.0.2.10"}]}, r"network\[0\].address: give the address with its prefix"),
    ({"network": [{"address": "300.0.0.1/24"}]}, "not an IP address"),
    ({"network": [{"address": "192.0.2.10/24", "gateway": "gw"}]}, r"network\[0\].gateway"),
    ({"network": [{"dns": ["x"]}]}, r"network\[0\].dns"),
    ({"network": [{}], "network_config": {"version": 2}}, "not both"),
])
def test_bad_content_is_refused_naming_the_sub_option(option: t.Dict[str, t.Any], message: str) -> None:
    with pytest.raises(ResourceError, match=message):
        check(option, [])


def test_a_script_is_not_checked_as_yaml() -> None:
    warnings: t.List[str] = []
    check({"user_data": "#!/bin/sh\necho [unclosed\n"}, warnings)
    assert warnings == []
