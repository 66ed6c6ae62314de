# Copyright: (c) 2026, xen.xapi maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""xen_vm option checks: units, combinations, list items."""

from __future__ import annotations

import pytest

from ansible_collections.xen.xapi.plugins.module_utils._xapi.errors import ResourceError
from ansible_collections.xen.xapi.plugins.module_utils.vm.options import (
    DiskSpec,
    check_top_level,
    disk_specs,
    memory_target,
    network_specs,
    size_option,
)

GiB = 1024 ** 3
MiB = 1024 ** 2


@pytest.mark.parametrize("value, expected", [("4GiB", 4 * GiB), ("512MiB", 512 * MiB), (2048, 2 * GiB), ("1.5G", 3 * GiB // 2),
                                             ("1024", GiB), (None, None)])
def test_sizes_take_units_and_plain_numbers_are_mib(value: object, expected: object) -> None:
    assert size_option(value, "memory") == expected


@pytest.mark.parametrize("value, message", [("4 parsecs", "memory: .*unknown unit 'parsecs'"), ("lots", "memory: .*not a number"),
                                            (0, "memory: the size must be positive")])
def test_bad_sizes_name_the_option(value: object, message: str) -> None:
    with pytest.raises(ResourceError, match=message):
        size_option(value, "memory")


@pytest.mark.parametrize("params, message", [
    ({}, "name or uuid"),
    ({"name": "a", "template": "t", "source": "s"}, "exclusive"),
    ({"name": "a", "vcpus": 0}, "vcpus: must be at least 1"),
    ({"name": "a", "vcpus_max": 6, "cores_per_socket": 4}, "multiple"),
    ({"name": "a", "vcpus": 4, "vcpus_max": 2}, r"vcpus \(4\) cannot exceed vcpus_max \(2\)"),
    ({"name": "a", "boot_order": "cdx"}, "boot_order: 'cdx'"),
    ({"name": "a", "is_a_template": True, "state": "running"}, "a template cannot run"),
])
def test_impossible_combinations(params: dict, message: str) -> None:
    with pytest.raises(ResourceError, match=message):
        check_top_level(params)


def test_memory_target_checks_the_dynamic_range() -> None:
    assert memory_target({"memory": "2GiB"}) == (2 * GiB, None, None)
    with pytest.raises(ResourceError, match="memory_dynamic_min cannot exceed memory_dynamic_max"):
        memory_target({"memory_dynamic_min": "2GiB", "memory_dynamic_max": "1GiB"})
    with pytest.raises(ResourceError, match="memory_dynamic_max cannot exceed memory"):
        memory_target({"memory": "1GiB", "memory_dynamic_max": "2GiB"})


def test_disk_items() -> None:
    specs = disk_specs({"disks": [{"size": "10GiB", "userdevice": "02"}, {"name": "data", "vdi": "x", "mode": "RO"}]})
    assert specs == [DiskSpec(0, None, 10 * GiB, None, "2", None, None, None), DiskSpec(1, "data", None, None, None, None, "RO", "x")]
    assert disk_specs({"disks": None}) is None
    with pytest.raises(ResourceError, match=r"disks\[0\].userdevice: 'xvda'"):
        disk_specs({"disks": [{"userdevice": "xvda"}]})
    with pytest.raises(ResourceError, match="two items have userdevice '1'"):
        disk_specs({"disks": [{"userdevice": "1"}, {"userdevice": 1}]})
    with pytest.raises(ResourceError, match=r"disks\[1\].size"):
        disk_specs({"disks": [{}, {"size": "big"}]})


def test_network_items_default_to_their_position() -> None:
    specs = network_specs({"networks": [{"network": "a"}, {"network": "b", "mac": "AA:BB:CC:DD:EE:FF", "mtu": 9000}]})
    assert [(s.device, s.network, s.mac, s.mtu) for s in specs or []] == [("0", "a", None, None), ("1", "b", "aa:bb:cc:dd:ee:ff", 9000)]
    with pytest.raises(ResourceError, match=r"networks\[0\].mac"):
        network_specs({"networks": [{"network": "a", "mac": "aa-bb"}]})
    with pytest.raises(ResourceError, match=r"networks\[0\].mtu"):
        network_specs({"networks": [{"network": "a", "mtu": 20}]})
    with pytest.raises(ResourceError, match=r"networks\[1\].device: '9'"):
        network_specs({"networks": [{"network": "a"}, {"network": "b", "device": "9"}]})
    with pytest.raises(ResourceError, match="two items have device '0'"):
        network_specs({"networks": [{"network": "a"}, {"network": "b", "device": "0"}]})


@pytest.mark.parametrize("option, value", [("memory", "1001KiB"), ("memory_dynamic_min", "123B"), ("memory_dynamic_max", "1.0001GiB")])
def test_memory_between_pages_is_refused(option: str, value: str) -> None:
    with pytest.raises(ResourceError, match=option + r": .* not a whole number of 4 KiB memory pages; give it in MiB or GiB"):
        memory_target({"memory": "4GiB", option: value})


@pytest.mark.parametrize("value", ["2GB", "1000KiB", "1.5GiB", 2048])
def test_memory_in_whole_pages_is_accepted(value: object) -> None:
    assert memory_target({"memory": value}).static_max % 4096 == 0
