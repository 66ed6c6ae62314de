"""XAPI wire formats: XML-RPC and JSON-RPC requests and responses.

The simulator keeps values as plain Python objects (str, int, float, bool,
list, dict and timezone-aware UTC datetimes). This module turns requests into
those values and values into response bodies, following what a real xapi
writes on the wire:

* XML-RPC responses are always a struct ``{Status, Value}`` or
  ``{Status, ErrorDescription}``; errors are never XML-RPC faults.
* XML-RPC strings are written bare (``<value>abc</value>``) and 64-bit ints
  travel as decimal strings; both ``<string>`` and ``<int>``/``<i4>``/``<i8>``
  are accepted on input.
* JSON-RPC speaks 1.0 (``{result, error, id}``) and 2.0
  (``{jsonrpc, result|error, id}``); ints are numbers, datetimes strings.

``None`` is not part of the API; it is accepted from the core as the value
of a ``void`` message and written as the empty string, as xapi does.
"""

from __future__ import annotations

import datetime as _dt
import json
from xml.etree import ElementTree
from typing import Any

__all__ = [
    "MalformedRequest",
    "decode_xmlrpc_request",
    "encode_xmlrpc_success",
    "encode_xmlrpc_failure",
    "encode_xmlrpc_value",
    "decode_jsonrpc_request",
    "encode_jsonrpc_success",
    "encode_jsonrpc_failure",
    "format_datetime",
    "parse_datetime",
]


class MalformedRequest(Exception):
    """The request body cannot be understood; the server answers HTTP 500."""


# ---------------------------------------------------------------------------
# Dates
# ---------------------------------------------------------------------------

_XAPI_DATETIME_FORMAT = "%Y%m%dT%H:%M:%SZ"


def format_datetime(dt: _dt.datetime) -> str:
    """Render a datetime the way xapi does: ``20240101T00:00:00Z`` (UTC).

    Naive datetimes are taken to be UTC already.
    """
    if dt.tzinfo is not None:
        dt = dt.astimezone(_dt.timezone.utc)
    return dt.strftime(_XAPI_DATETIME_FORMAT)


def parse_datetime(text: str) -> _dt.datetime:
    """Parse an XML-RPC ``dateTime.iso8601`` value into an aware UTC datetime.

    Accepts xapi's compact form (``20240101T00:00:00Z``), the same without
    the ``Z``, and the dashed ISO form (``2024-01-01T00:00:00Z``).
    """
    compact = text.strip().replace("-", "")
    if compact.endswith("Z"):
        compact = compact[:-1]
    # Fractional seconds are legal ISO 8601 but never written by xapi: drop them.
    compact = compact.split(".", 1)[0]
    try:
        parsed = _dt.datetime.strptime(compact, "%Y%m%dT%H:%M:%S")
    except ValueError as exc:
        raise MalformedRequest(f"bad dateTime.iso8601 value {text!r}") from exc
    return parsed.replace(tzinfo=_dt.timezone.utc)


# ---------------------------------------------------------------------------
# XML-RPC decoding
# ---------------------------------------------------------------------------


def decode_xmlrpc_request(body: bytes) -> tuple[str, list[Any]]:
    """Return ``(methodName, params)`` of an XML-RPC ``methodCall``."""
    if b"<!DOCTYPE" in body or b"<!ENTITY" in body:
        # XML-RPC never needs a DTD; refusing it closes the entity-expansion door.
        raise MalformedRequest("DTDs are not allowed in XML-RPC requests")
    try:
        root = ElementTree.fromstring(body)
    except ElementTree.ParseError as exc:
        raise MalformedRequest(f"XML parse error: {exc}") from exc
    if root.tag != "methodCall":
        raise MalformedRequest(f"expected <methodCall>, got <{root.tag}>")
    name_element = root.find("methodName")
    if name_element is None or not (name_element.text or "").strip():
        raise MalformedRequest("missing <methodName>")
    params: list[Any] = []
    params_element = root.find("params")
    if params_element is not None:
        for param in params_element:
            if param.tag != "param":
                raise MalformedRequest(f"unexpected <{param.tag}> in <params>")
            params.append(_decode_value_element(_only_child(param, "value")))
    return (name_element.text or "").strip(), params


def decode_xmlrpc_value(text: bytes) -> Any:
    """Decode one bare ``<value>`` document, as xapi writes ``ova.xml`` and task results."""
    if b"<!DOCTYPE" in text or b"<!ENTITY" in text:
        raise MalformedRequest("DTDs are not allowed in XML-RPC values")
    try:
        root = ElementTree.fromstring(text)
    except ElementTree.ParseError as exc:
        raise MalformedRequest(f"XML parse error: {exc}") from exc
    return _decode_value_element(_expect(root, "value"))


def _only_child(element: ElementTree.Element, tag: str) -> ElementTree.Element:
    children = list(element)
    if len(children) != 1 or children[0].tag != tag:
        raise MalformedRequest(f"<{element.tag}> must hold exactly one <{tag}>")
    return children[0]


def _decode_int(text: str) -> int:
    try:
        return int(text.strip())
    except ValueError as exc:
        raise MalformedRequest(f"bad integer {text!r}") from exc


def _decode_boolean(text: str) -> bool:
    stripped = text.strip()
    if stripped not in ("0", "1"):
        raise MalformedRequest(f"bad boolean {text!r}")
    return stripped == "1"


def _decode_double(text: str) -> float:
    try:
        return float(text.strip())
    except ValueError as exc:
        raise MalformedRequest(f"bad double {text!r}") from exc


_SCALAR_DECODERS = {
    "string": lambda text: text,
    "int": _decode_int,
    "i4": _decode_int,
    "i8": _decode_int,
    "boolean": _decode_boolean,
    "double": _decode_double,
    "dateTime.iso8601": parse_datetime,
}


def _decode_value_element(value: ElementTree.Element) -> Any:
    children = list(value)
    if not children:
        # A bare <value>text</value> is a string (xapi's own way of writing them).
        return value.text or ""
    if len(children) != 1:
        raise MalformedRequest("<value> must hold one typed element")
    typed = children[0]
    decoder = _SCALAR_DECODERS.get(typed.tag)
    if decoder is not None:
        return decoder(typed.text or "")
    if typed.tag == "array":
        data = _only_child(typed, "data")
        return [_decode_value_element(_expect(item, "value")) for item in data]
    if typed.tag == "struct":
        return _decode_struct(typed)
    if typed.tag == "nil":
        raise MalformedRequest("<nil/> is not part of the XAPI wire format")
    raise MalformedRequest(f"unsupported XML-RPC type <{typed.tag}>")


def _expect(element: ElementTree.Element, tag: str) -> ElementTree.Element:
    if element.tag != tag:
        raise MalformedRequest(f"expected <{tag}>, got <{element.tag}>")
    return element


def _decode_struct(struct: ElementTree.Element) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for member in struct:
        _expect(member, "member")
        name = member.find("name")
        value = member.find("value")
        if name is None or value is None:
            raise MalformedRequest("<member> needs a <name> and a <value>")
        result[name.text or ""] = _decode_value_element(value)
    return result


# ---------------------------------------------------------------------------
# XML-RPC encoding
# ---------------------------------------------------------------------------

_XML_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", "\r": "&#13;"})


def _escape(text: str) -> str:
    # Most strings (refs, uuids, names) need no escaping; skip translate then.
    if "&" in text or "<" in text or ">" in text or "\r" in text:
        return text.translate(_XML_ESCAPES)
    return text


def _map_key(key: Any) -> str:
    """Stringify a map key the way xapi does (maps travel as structs)."""
    if isinstance(key, bool):
        return "true" if key else "false"
    if isinstance(key, _dt.datetime):
        return format_datetime(key)
    return str(key)


def _encode_into(value: Any, out: list[str]) -> None:
    """Append the ``<value>`` encoding of ``value`` to ``out``.

    Exact type checks come first because they are the hot path when a
    ``get_all_records`` of thousands of objects is written.
    """
    kind = type(value)
    if kind is str:
        out.append("<value>")
        out.append(_escape(value))
        out.append("</value>")
    elif kind is dict:
        out.append("<value><struct>")
        for key, item in value.items():
            out.append("<member><name>")
            out.append(_escape(_map_key(key)))
            out.append("</name>")
            _encode_into(item, out)
            out.append("</member>")
        out.append("</struct></value>")
    elif kind is list or kind is tuple:
        out.append("<value><array><data>")
        for item in value:
            _encode_into(item, out)
        out.append("</data></array></value>")
    elif kind is bool:
        out.append("<value><boolean>1</boolean></value>" if value else "<value><boolean>0</boolean></value>")
    elif kind is int:
        # xapi ints are 64-bit and travel as bare decimal strings.
        out.append(f"<value>{value}</value>")
    elif kind is float:
        out.append(f"<value><double>{value!r}</double></value>")
    elif value is None:
        out.append("<value></value>")
    else:
        _encode_other_into(value, out)


def _encode_other_into(value: Any, out: list[str]) -> None:
    """Slow path: subclasses of the basic types, datetimes, sets."""
    if isinstance(value, _dt.datetime):
        out.append(f"<value><dateTime.iso8601>{format_datetime(value)}</dateTime.iso8601></value>")
    elif isinstance(value, bool):
        _encode_into(bool(value), out)
    elif isinstance(value, int):
        _encode_into(int(value), out)
    elif isinstance(value, float):
        _encode_into(float(value), out)
    elif isinstance(value, str):
        _encode_into(str(value), out)
    elif isinstance(value, dict):
        _encode_into(dict(value), out)
    elif isinstance(value, (list, tuple, set, frozenset)):
        _encode_into(list(value), out)
    else:
        raise TypeError(f"cannot encode {type(value).__name__} for XML-RPC")


def encode_xmlrpc_value(value: Any) -> str:
    """Return the ``<value>...</value>`` XML of ``value``.

    Also used for task results, which xapi stores as this very text.
    """
    out: list[str] = []
    _encode_into(value, out)
    return "".join(out)


_RESPONSE_HEAD = '<?xml version="1.0"?>\n<methodResponse><params><param>'
_RESPONSE_TAIL = "</param></params></methodResponse>\n"


def encode_xmlrpc_success(value: Any) -> bytes:
    """Encode ``{Status: Success, Value: value}`` as a ``methodResponse``."""
    out = [
        _RESPONSE_HEAD,
        "<value><struct><member><name>Status</name><value>Success</value></member>",
        "<member><name>Value</name>",
    ]
    _encode_into(value, out)
    out.append("</member></struct></value>")
    out.append(_RESPONSE_TAIL)
    return "".join(out).encode("utf-8")


def encode_xmlrpc_bare(value: Any) -> bytes:
    """A ``methodResponse`` holding the value itself, without the Status envelope: how xapi answers
    ``system.listMethods`` over XML-RPC (api_server.ml), as plain XML-RPC introspection clients expect."""
    out = [_RESPONSE_HEAD]
    _encode_into(value, out)
    out.append(_RESPONSE_TAIL)
    return "".join(out).encode("utf-8")


def encode_xmlrpc_failure(code: str, params: list[str]) -> bytes:
    """Encode ``{Status: Failure, ErrorDescription: [code, *params]}``."""
    description = [str(code), *(str(param) for param in params)]
    out = [
        _RESPONSE_HEAD,
        "<value><struct><member><name>Status</name><value>Failure</value></member>",
        "<member><name>ErrorDescription</name>",
    ]
    _encode_into(description, out)
    out.append("</member></struct></value>")
    out.append(_RESPONSE_TAIL)
    return "".join(out).encode("utf-8")


# ---------------------------------------------------------------------------
# JSON-RPC
# ---------------------------------------------------------------------------


def decode_jsonrpc_request(body: bytes) -> tuple[str, list[Any], Any, str]:
    """Return ``(method, params, id, version)``; version is "1.0" or "2.0"."""
    try:
        request = json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise MalformedRequest(f"JSON parse error: {exc}") from exc
    if not isinstance(request, dict):
        raise MalformedRequest("a JSON-RPC request must be an object (no batches)")
    if "id" not in request:
        # xapi has no notifications: every call must carry an id.
        raise MalformedRequest("JSON-RPC request without an id")
    method = request.get("method")
    if not isinstance(method, str) or not method:
        raise MalformedRequest("JSON-RPC request without a method name")
    params = request.get("params", [])
    if not isinstance(params, list):
        raise MalformedRequest("JSON-RPC params must be an array")
    version = "2.0" if request.get("jsonrpc") == "2.0" else "1.0"
    return method, params, request["id"], version


def _json_default(value: Any) -> Any:
    """Called by the C encoder only for values JSON cannot write natively."""
    if isinstance(value, _dt.datetime):
        return format_datetime(value)
    if isinstance(value, (set, frozenset)):
        return list(value)
    raise TypeError(f"cannot encode {type(value).__name__} for JSON-RPC")


# Compact separators keep large get_all_records answers small; check_circular
# is pointless for data that comes out of a database.
_JSON_ENCODER = json.JSONEncoder(default=_json_default, separators=(",", ":"), check_circular=False)


def _json_bytes(document: dict[str, Any]) -> bytes:
    # ensure_ascii (the default) makes the text pure ASCII, so this cannot fail.
    return _JSON_ENCODER.encode(document).encode("ascii")


def encode_jsonrpc_success(value: Any, req_id: Any, version: str) -> bytes:
    """Encode a successful JSON-RPC response in the request's version."""
    result = "" if value is None else value
    if version == "2.0":
        return _json_bytes({"jsonrpc": "2.0", "result": result, "id": req_id})
    return _json_bytes({"result": result, "error": None, "id": req_id})


def encode_jsonrpc_failure(code: str, params: list[str], req_id: Any, version: str) -> bytes:
    """Encode an XAPI error as a JSON-RPC response in the request's version."""
    data = [str(param) for param in params]
    if version == "2.0":
        error = {"code": 1, "message": str(code), "data": data}
        return _json_bytes({"jsonrpc": "2.0", "error": error, "id": req_id})
    return _json_bytes({"result": None, "error": [str(code), *data], "id": req_id})
