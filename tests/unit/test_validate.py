# Copyright: (c) 2026, xen.xapi maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The shared vocabulary that checks what users write: every refusal names the option."""

from __future__ import annotations

import typing as t

import pytest

from ansible_collections.xen.xapi.plugins.module_utils import _validate as validate
from ansible_collections.xen.xapi.plugins.module_utils._xapi.errors import ResourceError
from ansible_collections.xen.xapi.plugins.module_utils._xapi.units import parse_size


@pytest.mark.parametrize("value, message", [
    (None, "name: give a name; it is empty"), ("", "cannot be empty or blank"), ("   ", "cannot be empty or blank"),
    ("web\n01", "control character"), ("tab\there", "control character"), ("bell\x07", "control character"), (42, "is text"),
])
def test_names(value: t.Any, message: str) -> None:
    with pytest.raises(ResourceError, match=message):
        validate.name(value, "name")


def test_good_names_and_text() -> None:
    assert validate.name("web 01 (prod) é", "name") == "web 01 (prod) é"
    assert validate.text("line one\nline two\tindented", "description") == "line one\nline two\tindented"
    with pytest.raises(ResourceError, match="description: .* XML-RPC cannot carry"):
        validate.text("nul\x00byte", "description")


@pytest.mark.parametrize("value, highest, autodetect, expected", [
    ("3", 254, False, "3"), (3, 254, False, "3"), ("007", 254, False, "7"), ("autodetect", 254, True, "autodetect"), (None, 6, False, None),
])
def test_positions(value: t.Any, highest: int, autodetect: bool, expected: t.Optional[str]) -> None:
    assert validate.position(value, "userdevice", highest, allow_autodetect=autodetect) == expected


@pytest.mark.parametrize("value", ["-1", "abc", "", "1.5", 1.5, "255", True, "autodetect"])
def test_bad_positions_name_the_option_and_the_allowed_range(value: t.Any) -> None:
    with pytest.raises(ResourceError, match=r"userdevice: .* is not a device position; give a whole number from 0 to 254"):
        validate.position(value, "userdevice", 254)


def test_counts_and_sizes_stay_within_xapi_limits() -> None:
    assert validate.count(4, "vcpus", maximum=128) == 4
    with pytest.raises(ResourceError, match="vcpus: must be at least 1, not 0"):
        validate.count(0, "vcpus")
    with pytest.raises(ResourceError, match="vcpus: 1000000000000 is too large; the most is 128"):
        validate.count(10 ** 12, "vcpus", maximum=128, why="Xen's limit")
    with pytest.raises(ResourceError, match="memory: .* more than XAPI can store"):
        validate.size(parse_size("1048576 EiB".replace("EiB", "PiB")), "memory")
    with pytest.raises(ResourceError, match="size: the size must be positive"):
        validate.size(0, "size")


@pytest.mark.parametrize("value", [0, 67, 9217, 100000])
def test_mtu_range(value: int) -> None:
    with pytest.raises(ResourceError, match="mtu: {0} is not a packet size".format(value)):
        validate.mtu(value, "mtu")


@pytest.mark.parametrize("value, problem", [
    ("br with space", "space"), ("a" * 16, "longer than 15"), ("xenbr9", "host's own devices"), ("eth9", "host's own devices"),
    ("br/0", "slash"),
])
def test_bridge_names_xapi_refuses(value: str, problem: str) -> None:
    with pytest.raises(ResourceError, match=problem) as caught:
        validate.bridge(value, "bridge")
    assert caught.value.details["error_code"] == "INVALID_VALUE"
    assert validate.bridge("br-backend", "bridge") == "br-backend"
    assert validate.bridge("", "bridge") == ""


@pytest.mark.parametrize("params, message", [
    ({"task_timeout": 0}, "task_timeout: must be a positive number"), ({"shutdown_timeout": -1}, "shutdown_timeout"),
    ({"guest_tools_timeout": -1}, "guest_tools_timeout: must be 0"), ({"name": ""}, "name: a name cannot be empty"),
    ({"description": "a\x01"}, "description:"),
])
def test_common_options(params: t.Dict[str, t.Any], message: str) -> None:
    with pytest.raises(ResourceError, match=message):
        validate.common_options(params)
    validate.common_options({"task_timeout": 1, "guest_tools_timeout": 0, "name": "ok"})


def test_fractions_of_a_byte_are_refused() -> None:
    with pytest.raises(ValueError, match="whole number of bytes"):
        parse_size("0.5B")
    assert parse_size("1.5GiB") == 1536 * 1024 ** 2
