# Copyright: (c) 2026, xen.xapi maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Exceptions raised by the XAPI connection layer, and their human descriptions."""

from __future__ import annotations

import re
import string
import typing as t

# Sentences for the codes users meet most often. Placeholders are positional XAPI
# error parameters ({0} is the first parameter after the code). A code whose
# template needs more parameters than the server sent falls back to the generic form.
_DESCRIPTIONS: dict[str, str] = {
    "HANDLE_INVALID": "The {0} reference {1} is not valid; the object may have been deleted meanwhile.",
    "UUID_INVALID": "No {0} has the UUID {1}.",
    "SESSION_AUTHENTICATION_FAILED": "Authentication failed: the server rejected the username or password.",
    "SESSION_INVALID": "The session {0} is no longer valid (it expired or the server restarted).",
    "VM_BAD_POWER_STATE": "VM {0} is {2}, but this operation needs it to be {1}.",
    "SR_FULL": "The storage repository is full: {0} bytes were requested but at most {1} bytes are available.",
    "VDI_IN_USE": "Virtual disk {0} is in use, so the operation {1} cannot be performed.",
    "OPERATION_NOT_ALLOWED": "The operation is not allowed: {0}",
    "HOST_IS_SLAVE": "This host is a pool member, not the pool master; the master is {0}.",
    "MESSAGE_PARAMETER_COUNT_MISMATCH": "The call {0} expects {1} parameters but received {2}.",
    "MESSAGE_METHOD_UNKNOWN": "The server does not know the call {0}; it may be too old for this operation.",
    "OTHER_OPERATION_IN_PROGRESS": "Another operation ({2}) is already running on {0} {1}; try again once it has finished.",
    "TASK_CANCELLED": "Task {0} was cancelled before it finished.",
    "PROVISION_ONLY_ALLOWED_ON_TEMPLATE": "Only templates can be provisioned; this VM is not a template.",
    "VM_IS_TEMPLATE": "VM {0} is a template, which does not support this operation.",
    "VM_IS_SNAPSHOT": "VM {0} is a snapshot, which does not support this operation.",
    "DEVICE_ALREADY_ATTACHED": "Device {0} is already attached.",
    "DEVICE_ALREADY_DETACHED": "Device {0} is already detached.",
    "DEVICE_ALREADY_EXISTS": "The VM already has a device at position {0}.",
    "INVALID_DEVICE": "The device position {0} is not valid for this VM.",
    "NETWORK_CONTAINS_VIF": "The network cannot be destroyed while virtual interfaces use it: {0}.",
    "NETWORK_CONTAINS_PIF": "The network cannot be destroyed while physical interfaces use it: {0}.",
    "SR_HAS_PBD": "Storage repository {0} is still attached to a host; unplug its PBDs first.",
    "PBD_EXISTS": "Storage repository {0} is already connected to host {1} (PBD {2}).",
    "VLAN_TAG_INVALID": "VLAN tag {0} is not valid; it must be between 0 and 4094.",
    "PIF_VLAN_EXISTS": "A VLAN with this tag already exists on interface {0}.",
    "SR_UNKNOWN_DRIVER": "The storage driver {0} is not known to this host.",
    "SR_UUID_EXISTS": "A storage repository with UUID {0} already exists.",
    "OPERATION_BLOCKED": "The operation is blocked on {0} (blocked_operations, code {1}).",
    "MAP_DUPLICATE_KEY": "The key {3} is already present in {0}.{1} of {2}.",
    "VBD_NOT_UNPLUGGABLE": "Drive {0} cannot be hot-unplugged because it is not marked unpluggable.",
    "VBD_NOT_EMPTY": "Drive {0} already contains a disk; eject it first.",
    "VBD_IS_EMPTY": "Drive {0} is empty.",
    "VBD_NOT_REMOVABLE_MEDIA": "Drive {0} does not hold removable media.",
    "VBD_CDS_MUST_BE_READONLY": "CD drives must be read-only.",
    "VDI_READONLY": "Virtual disk {0} is read-only.",
    "PERMISSION_DENIED": "Permission denied: {0}",
    "RBAC_PERMISSION_DENIED": "The user is not allowed to perform {0}: {1}",
    "HOST_OFFLINE": "Host {0} cannot be contacted.",
    "HOST_NOT_ENOUGH_FREE_MEMORY": "Not enough free host memory: {0} bytes needed, {1} bytes available.",
    "NO_HOSTS_AVAILABLE": "No host in the pool can run this operation.",
    "VM_REQUIRES_SR": "VM {0} needs storage repository {1}, which the chosen host cannot reach.",
    "VM_MISSING_PV_DRIVERS": "VM {0} has no guest tools (PV drivers) running, which this operation needs.",
    "INVALID_VALUE": "The value {1} is not valid for {0}.",
    "VALUE_NOT_SUPPORTED": "The value {1} is not supported for {0}: {2}",
    "LICENCE_RESTRICTION": "The pool's license does not include the feature {0}.",
    "SR_OPERATION_NOT_SUPPORTED": "Storage repository {0} does not support this operation.",
    "CANNOT_DESTROY_SYSTEM_NETWORK": "Network {0} is a system network and cannot be destroyed.",
    "PIF_IS_PHYSICAL": "Interface {0} is a physical interface and cannot be destroyed.",
    "INTERNAL_ERROR": "The server reported an internal error: {0}",
    "EVENT_FROM_TOKEN_PARSE_FAILURE": "The server rejected the event token {0}.",
    "EVENTS_LOST": "Events were lost from the server's queue.",
}

_FORMATTER = string.Formatter()


def _placeholders_needed(template: str) -> int:
    """Return how many positional parameters a template refers to."""
    indexes = [int(field) for _text, field, _spec, _conv in _FORMATTER.parse(template) if field and field.isdigit()]
    return max(indexes) + 1 if indexes else 0


def describe_error(code: str, params: t.Sequence[str]) -> str:
    """Return a sentence explaining an XAPI error code and its parameters."""
    template = _DESCRIPTIONS.get(code)
    if template is not None and len(params) >= _placeholders_needed(template):
        return template.format(*params)
    if params:
        return "XAPI error {0}: {1}".format(code, ", ".join(params))
    return "XAPI error {0}".format(code)


# Secrets shorter than this are only hidden where they stand as a word of their own: as substrings they
# would also hide letters of ordinary words ("stor********ge") and codes ("SR_BACKEND_FAILURE_1********").
SHORT_SECRET = 6
SECRET_PLACEHOLDER = "********"


def redact(text: str, secrets: t.Iterable[t.Optional[str]]) -> str:
    """Hide each non-empty secret in text: wherever it occurs, or, when short, wherever it stands alone."""
    # Longest first, so a secret containing another one is replaced whole.
    for secret in sorted(set(s for s in secrets if s), key=len, reverse=True):
        if len(secret) >= SHORT_SECRET:
            text = text.replace(secret, SECRET_PLACEHOLDER)
        else:
            text = re.sub(r"(?<![A-Za-z0-9]){0}(?![A-Za-z0-9])".format(re.escape(secret)), SECRET_PLACEHOLDER, text)
    return text


class ResourceError(Exception):
    """Bad input or an impossible request, reported with `fail_json(msg=..., **details)`; the message names the option."""

    def __init__(self, msg: str, **details: t.Any) -> None:
        super().__init__(msg)
        self.msg = msg
        self.details = details


class XapiBaseError(Exception):
    """Common base of everything the connection layer raises."""

    def describe(self) -> str:
        return str(self)


class XapiError(XapiBaseError):
    """The server answered with an XAPI failure: a code and its string parameters."""

    def __init__(self, code: str, params: t.Optional[t.Sequence[t.Any]] = None) -> None:
        self.code = str(code)
        self.params: list[str] = [str(param) for param in (params or ())]
        # The parameters in words (objects by name and uuid instead of references), once looked up; see naming.py.
        self.display: t.Optional[list[str]] = None
        # The call that failed, when known.
        self.method = ""
        super().__init__(self.code, *self.params)

    def describe(self) -> str:
        return describe_error(self.code, self.display if self.display is not None else self.params)

    def __str__(self) -> str:
        return self.describe()

    def __repr__(self) -> str:
        return "XapiError({0!r}, {1!r})".format(self.code, self.params)


class XapiConnectionError(XapiBaseError):
    """The server could not be reached or did not answer with a readable XAPI response.

    request_sent tells whether the request may have reached the server: when it is
    False the call certainly did not run, so repeating it is safe even for writes.
    timed_out tells that the host took the whole timeout without answering: it is not
    worth trying again within the same run. method is the call whose answer was lost.
    The message names the URL (which never carries credentials) and the reason.
    """

    #: whether a new connection (to this host, the master or a fallback host) may help
    recoverable = True

    def __init__(self, url: str, reason: str, request_sent: bool = False, timed_out: bool = False) -> None:
        self.url = url
        self.reason = reason
        self.request_sent = request_sent
        self.timed_out = timed_out
        self.method = ""
        #: the master a member named (HOST_IS_SLAVE) when it is this master that did not answer
        self.unanswering_master = ""
        super().__init__("Cannot talk to the XAPI server at {0}: {1}".format(url, reason))


class XapiProtocolError(XapiConnectionError):
    """The server answered, but not with a valid XAPI response (wrong HTTP status or body)."""

    recoverable = False

    def __init__(self, url: str, reason: str) -> None:
        super().__init__(url, reason, request_sent=True)


class XapiTlsError(XapiConnectionError):
    """TLS could not be set up: an untrusted or mismatching certificate, an unreadable CA file, or a
    host that does not speak TLS. Trying again or elsewhere cannot help, so it is reported at once."""

    recoverable = False


class XapiTimeoutError(XapiBaseError):
    """An asynchronous XAPI task did not finish within the time allowed."""

    def __init__(self, method: str, timeout: float, task_ref: str = "", settled: bool = True) -> None:
        self.method = method
        self.timeout = timeout
        self.task_ref = task_ref
        outcome = "and was cancelled" if settled else "and had not stopped when last seen, so whether it takes effect is unknown"
        super().__init__("{0} did not finish within {1:g} seconds; its task was asked to cancel {2}.".format(method, timeout, outcome))
