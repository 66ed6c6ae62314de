# Copyright: (c) 2026, xen.xapi maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""One vocabulary for checking what users write, shared by every module.

Each check names the option it is about and says what to write instead, and runs before anything
is written, so bad input never leaves a half-done change. The limits are XAPI's: 64-bit integers,
device positions, the names xapi accepts for bridges (xapi_network.ml), and text that XML-RPC can
carry back (a name with a control character is stored, then breaks every XML-RPC read of it).
"""

from __future__ import annotations

import re
import typing as t

from ansible_collections.xen.xapi.plugins.module_utils._xapi import errors

INT64_MAX = 2 ** 63 - 1
# Control characters: none belongs in a name; those XML 1.0 cannot carry do not belong in any text.
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_NOT_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
# Packet sizes Linux bridges and NICs accept, up to the largest jumbo frames.
MTU_RANGE = (68, 9216)
# xapi_network.ml refuses bridge names longer than this or starting like the host's own devices.
BRIDGE_MAX = 15
BRIDGE_RESERVED_PREFIXES = ("xen", "xapi", "vif", "tap", "eth")
AUTODETECT = "autodetect"


def name(value: t.Any, option: str) -> str:
    """A name to give an object: text, not blank, on one line, without control characters."""
    if value is None:
        raise errors.ResourceError("{0}: give a name; it is empty (null).".format(option))
    if not isinstance(value, str):
        raise errors.ResourceError("{0}: a name is text, not {1!r}.".format(option, value))
    if not value.strip():
        raise errors.ResourceError("{0}: a name cannot be empty or blank ({1!r}); check that a templated value did not render "
                                   "empty.".format(option, value))
    if _CONTROL.search(value):
        raise errors.ResourceError("{0}: the name {1!r} holds a control character (such as a newline or a tab); XAPI would store it, "
                                   "but reading the object back over XML-RPC then fails. Remove it.".format(option, value))
    return value


def text(value: t.Any, option: str) -> t.Optional[str]:
    """Free text such as a description: newlines and tabs are fine, characters XML cannot carry are not."""
    if value is None:
        return None
    value = str(value)
    if _NOT_XML.search(value):
        raise errors.ResourceError("{0}: {1!r} holds a control character that XML-RPC cannot carry; remove it.".format(option, value))
    return value


def count(value: t.Optional[int], option: str, minimum: int = 1, maximum: t.Optional[int] = None, why: str = "") -> t.Optional[int]:
    """A whole number within [minimum, maximum] (64-bit at most); `why` explains the maximum."""
    if value is None:
        return None
    if value < minimum:
        raise errors.ResourceError("{0}: must be at least {1}, not {2}.".format(option, minimum, value))
    limit = INT64_MAX if maximum is None else maximum
    if value > limit:
        reason = why or "XAPI stores it as a 64-bit integer"
        raise errors.ResourceError("{0}: {1} is too large; the most is {2} ({3}).".format(option, value, limit, reason))
    return value


def size(value: t.Optional[int], option: str) -> t.Optional[int]:
    """A size in bytes: positive, and within XAPI's 64-bit integers."""
    if value is None:
        return None
    if value <= 0:
        raise errors.ResourceError("{0}: the size must be positive.".format(option))
    if value > INT64_MAX:
        raise errors.ResourceError("{0}: {1} bytes is more than XAPI can store (at most {2} bytes, 8 EiB).".format(option, value, INT64_MAX))
    return value


def mtu(value: t.Optional[int], option: str) -> t.Optional[int]:
    if value is None:
        return None
    low, high = MTU_RANGE
    if not low <= value <= high:
        raise errors.ResourceError("{0}: {1} is not a packet size a network can use; give {2} to {3} bytes, such as 1500 or 9000 "
                                   "(jumbo frames).".format(option, value, low, high))
    return value


def bridge(value: t.Optional[str], option: str) -> t.Optional[str]:
    """A Linux bridge name xapi accepts; empty lets xapi choose one."""
    if not value:
        return value
    problem = ""
    if len(value) > BRIDGE_MAX:
        problem = "is longer than {0} characters".format(BRIDGE_MAX)
    elif re.search(r"[\s/:]", value) or value in (".", "..") or _CONTROL.search(value):
        problem = "holds a space, a slash, a colon or a control character"
    elif value.startswith(BRIDGE_RESERVED_PREFIXES):
        problem = "starts like the host's own devices ({0})".format(", ".join(BRIDGE_RESERVED_PREFIXES))
    if problem:
        raise errors.ResourceError("{0}: the bridge name {1!r} {2}, which XAPI refuses (INVALID_VALUE). Give a short name such as "
                                   "'br-backend', or leave bridge out to let XAPI choose one.".format(option, value, problem),
                                   error_code="INVALID_VALUE")
    return value


# Device names xapi also takes for a drive's position (Device_number: xvda, hdb, sdc; xvdaa past xvdz).
_DEVICE_NAME = re.compile(r"^(xvd|hd|sd)[a-z]{1,2}$")


def position(value: t.Any, option: str, highest: int, allow_autodetect: bool = False) -> t.Optional[str]:
    """A device position (a VBD's userdevice, a VIF's device): a whole number 0..highest, as text; for drives
    (allow_autodetect) also autodetect or a device name such as xvdb, as xapi takes them."""
    if value is None:
        return None
    text_value = str(value).strip() if not isinstance(value, bool) else ""
    if allow_autodetect and (text_value == AUTODETECT or _DEVICE_NAME.match(text_value)):
        return text_value
    if isinstance(value, float) or not text_value.isdigit() or int(text_value) > highest:
        allowed = "0 to {0}".format(highest) + (", a device name such as xvdb, or autodetect for the first free one" if allow_autodetect else "")
        raise errors.ResourceError("{0}: {1!r} is not a device position; give a whole number from {2}.".format(option, value, allowed))
    return str(int(text_value))


def common_options(params: t.Mapping[str, t.Any]) -> None:
    """The options many modules share: timeouts, and the name and description of what they manage."""
    for option in ("task_timeout", "shutdown_timeout", "wait_for_ip_timeout"):
        if params.get(option) is not None and params[option] <= 0:
            raise errors.ResourceError("{0}: must be a positive number of seconds, not {1}.".format(option, params[option]))
    if (params.get("guest_tools_timeout") or 0) < 0:
        raise errors.ResourceError("guest_tools_timeout: must be 0 (do not wait) or a positive number of seconds, not {0}."
                                   .format(params["guest_tools_timeout"]))
    if params.get("name") is not None:
        name(params["name"], "name")
    text(params.get("description"), "description")
