"""The one exception type the simulator raises for API failures."""
from __future__ import annotations


class XapiError(Exception):
    """A XAPI failure: a code from the datamodel's error table and its string parameters."""

    def __init__(self, code: str, *params: object) -> None:
        self.code = code
        self.params = [str(p) for p in params]
        super().__init__(code, *self.params)

    def description(self) -> list[str]:
        """The wire form: ``[CODE, param1, ...]``."""
        return [self.code, *self.params]


def handle_invalid(cls: str, ref: str) -> XapiError:
    return XapiError("HANDLE_INVALID", cls, ref)


def bad_power_state(vm: str, expected: str | list[str], actual: str) -> XapiError:
    """VM_BAD_POWER_STATE with states lower-case, several joined by ", " as xapi does."""
    if isinstance(expected, list):
        expected = ", ".join(s.lower() for s in expected)
    return XapiError("VM_BAD_POWER_STATE", vm, expected.lower(), actual.lower())


def operation_not_allowed(reason: str) -> XapiError:
    return XapiError("OPERATION_NOT_ALLOWED", reason)
