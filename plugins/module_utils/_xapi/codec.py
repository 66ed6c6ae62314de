# Copyright: (c) 2026, xen.xapi maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""XAPI values on the wire and in records: the JSON-RPC and XML-RPC encodings, and records in one Python shape for both."""

from __future__ import annotations

import datetime
import json
import typing as t
import xmlrpc.client

from ansible_collections.xen.xapi.plugins.module_utils._xapi import datamodel, errors


# --- Wire encodings ---------------------------------------------------------------------------

def _ints_as_strings(value: t.Any) -> t.Any:
    """XAPI ints are 64-bit and travel as strings over XML-RPC, whose <int> is only 32-bit."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return str(value)
    if isinstance(value, dict):
        return dict((str(key), _ints_as_strings(item)) for key, item in value.items())
    if isinstance(value, (list, tuple)):
        return [_ints_as_strings(item) for item in value]
    return value


def plain_values(value: t.Any) -> t.Any:
    """Replace xmlrpc.client.DateTime values by their wire text, as JSON-RPC returns them."""
    if isinstance(value, xmlrpc.client.DateTime):
        return value.value
    if isinstance(value, dict):
        return dict((key, plain_values(item)) for key, item in value.items())
    if isinstance(value, list):
        return [plain_values(item) for item in value]
    return value


def encode_xmlrpc_request(method: str, params: t.Sequence[t.Any]) -> bytes:
    return xmlrpc.client.dumps(tuple(_ints_as_strings(list(params))), methodname=method, encoding="utf-8").encode("utf-8")


def decode_xmlrpc_response(body: bytes) -> t.Any:
    """Unwrap the {Status, Value | ErrorDescription} envelope; raise XapiError on Failure."""
    try:
        (envelope,), _method = xmlrpc.client.loads(body)
    except xmlrpc.client.Fault as fault:
        # xapi reports failures in the envelope, not as faults; keep the text if one comes anyway.
        raise errors.XapiError("Fault", [fault.faultString])
    if not isinstance(envelope, dict) or "Status" not in envelope:
        raise ValueError("the XML-RPC response has no Status")
    if envelope["Status"] == "Success":
        return plain_values(envelope.get("Value", ""))
    description = envelope.get("ErrorDescription") or ["UNKNOWN_ERROR"]
    raise errors.XapiError(description[0], description[1:])


def encode_jsonrpc_request(method: str, params: t.Sequence[t.Any], request_id: int) -> bytes:
    return json.dumps({"jsonrpc": "2.0", "method": method, "params": list(params), "id": request_id}).encode("utf-8")


def decode_jsonrpc_response(body: bytes) -> t.Any:
    """Return the result; raise XapiError for a 2.0 error object or a 1.0 error list."""
    response = json.loads(body.decode("utf-8"))
    if not isinstance(response, dict):
        raise ValueError("the JSON-RPC response is not an object")
    error = response.get("error")
    if error is None:
        if "result" not in response:
            raise ValueError("the JSON-RPC response has neither result nor error")
        return response["result"]
    if isinstance(error, dict):
        data = error.get("data")
        params = data if isinstance(data, list) else ([] if data is None else [data])
        raise errors.XapiError(str(error.get("message") or error.get("code")), params)
    if isinstance(error, list) and error:
        raise errors.XapiError(str(error[0]), error[1:])
    raise errors.XapiError(str(error))


# --- Record normalisation ---------------------------------------------------------------------

def _to_int(value: t.Any) -> t.Any:
    if isinstance(value, str):
        try:
            return int(value)
        except ValueError:
            return value
    return value


def _to_float(value: t.Any) -> t.Any:
    if isinstance(value, (str, int)) and not isinstance(value, bool):
        try:
            return float(value)
        except ValueError:
            return value
    return value


def _to_datetime_text(value: t.Any) -> t.Any:
    """Datetimes are kept in xapi's wire text, "20240101T00:00:00Z", whatever the transport."""
    if isinstance(value, xmlrpc.client.DateTime):
        return value.value
    if isinstance(value, datetime.datetime):
        return value.strftime("%Y%m%dT%H:%M:%SZ")
    return value


def _each(convert: t.Callable[[t.Any], t.Any]) -> t.Callable[[t.Any], t.Any]:
    return lambda values: [convert(item) for item in values] if isinstance(values, list) else values


def _each_value(convert: t.Callable[[t.Any], t.Any]) -> t.Callable[[t.Any], t.Any]:
    return lambda mapping: dict((key, convert(item)) for key, item in mapping.items()) if isinstance(mapping, dict) else mapping


_CONVERTERS: dict[str, t.Callable[[t.Any], t.Any]] = {
    "int": _to_int,
    "float": _to_float,
    "datetime": _to_datetime_text,
    "int_set": _each(_to_int),
    "int_map": _each_value(_to_int),
    "float_map": _each_value(_to_float),
}
_API_CLASS_BY_LOWER_NAME = dict((name.lower(), name) for name in datamodel.CLASSES)


def api_class_name(name: str) -> str:
    """The API spelling of a class name given in any case ("vm" -> "VM")."""
    return name if name in datamodel.CLASSES else _API_CLASS_BY_LOWER_NAME.get(name.lower(), name)


def normalize_record(cls: str, record: t.Mapping[str, t.Any]) -> dict[str, t.Any]:
    """Return a copy of a record with ints, floats and datetimes in the same Python types for both
    transports (XML-RPC sends ints as strings, JSON-RPC as numbers)."""
    normalized = dict(record)
    for kind, names in datamodel.TYPED_FIELDS.get(api_class_name(cls), {}).items():
        convert = _CONVERTERS[kind]
        for name in names:
            if name in normalized:
                normalized[name] = convert(normalized[name])
    return normalized
