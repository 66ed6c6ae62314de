"""xapi's filter expressions, as taken by ``<class>.get_all_where`` and ``get_all_records_where``.

Grammar (keywords are lower case; ``not`` binds tighter than ``and``, ``and`` tighter than ``or``)::

    expr  := expr "or" expr | expr "and" expr | "not" expr | "(" expr ")"
           | "true" | "false" | value "=" value | value "<>" value
    value := 'field "name"' | '"literal"'        (literals escape " and \\ with a backslash)

Fields compare as the text xapi's database stores for them: bools ``true``/``false``, ints in
decimal, refs and enums as they are, datetimes ``YYYYMMDDTHH:MM:SSZ``. A field name may spell a
namespace with ``__`` (``name__label`` is the wire field ``name_label``); a field the record does
not have reads as ``""``. Expressions compile to closures once and are cached, so filtering a
large table costs one closure call per record.
"""
from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime, timezone
from functools import lru_cache
from typing import Any, cast

Record = dict[str, Any]
Predicate = Callable[[Record], bool]
ValueOf = Callable[[Record], str]

_MISSING = object()
_TOKEN = re.compile(
    r'\s*(?:(?P<string>"(?:[^"\\]|\\.)*")|(?P<symbol><>|=|\(|\))|(?P<word>[A-Za-z_][A-Za-z0-9_]*)|(?P<other>\S))',
    re.DOTALL,
)
_KEYWORDS = {"and", "or", "not", "true", "false", "field"}


class WhereSyntaxError(ValueError):
    """The expression does not parse; ``position`` is the 0-based offset of the offending text."""

    def __init__(self, message: str, expression: str, position: int) -> None:
        super().__init__(f"{message} at position {position} in {expression!r}")
        self.expression = expression
        self.position = position


def render_db_value(value: Any) -> str:
    """A field value as xapi's database stores it, which is what ``=`` and ``<>`` compare."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):  # before int: bool is an int subclass
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            value = value.astimezone(timezone.utc)
        return str(value.strftime("%Y%m%dT%H:%M:%SZ"))
    if isinstance(value, (list, tuple, set, frozenset)):
        # Sets are s-expressions of quoted strings: ('a' 'b').
        return "(" + " ".join(_sexpr_atom(item) for item in value) + ")"
    if isinstance(value, dict):
        # Maps are s-expressions of pairs: (('key' 'value') ('key2' 'value2')).
        pairs = (f"({_sexpr_atom(key)} {_sexpr_atom(item)})" for key, item in value.items())
        return "(" + " ".join(pairs) + ")"
    if value is None:
        return ""
    return str(value)


def _sexpr_atom(value: Any) -> str:
    text = render_db_value(value)
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


@lru_cache(maxsize=512)
def compile_where(expr: str) -> Predicate:
    """Compile an expression to a predicate over one record; raises WhereSyntaxError."""
    return _Parser(expr).parse()


class _Token:
    __slots__ = ("kind", "text", "position")

    def __init__(self, kind: str, text: str, position: int) -> None:
        self.kind, self.text, self.position = kind, text, position  # kind: string|symbol|word|end


@lru_cache(maxsize=512)
def where_fields(expr: str) -> frozenset[str]:
    """The field names an expression reads (as written, database column names such as ``name__label``)."""
    tokens = _tokenize(expr)
    return frozenset(_unescape(after.text) for token, after in zip(tokens, tokens[1:])
                     if token.kind == "word" and token.text == "field" and after.kind == "string")


def _tokenize(expr: str) -> list[_Token]:
    tokens: list[_Token] = []
    position = 0
    while True:
        match = _TOKEN.match(expr, position)
        if match is None:  # only trailing whitespace is left
            tokens.append(_Token("end", "", len(expr)))
            return tokens
        kind = match.lastgroup or "other"
        start = match.start(kind)
        text = match.group(kind)
        if kind == "other":
            problem = "unterminated string" if text == '"' else f"unexpected character {text!r}"
            raise WhereSyntaxError(problem, expr, start)
        if kind == "word" and text not in _KEYWORDS:
            raise WhereSyntaxError(f"unknown word {text!r}", expr, start)
        tokens.append(_Token(kind, text, start))
        position = match.end()


def _unescape(literal: str) -> str:
    """The text of a quoted literal: \\" is a quote and \\\\ a backslash; other characters stand."""
    return re.sub(r'\\(["\\])', r"\1", literal[1:-1])


class _Parser:
    """Recursive descent over the token list, building closures as it goes."""

    def __init__(self, expr: str) -> None:
        self.expr = expr
        self.tokens = _tokenize(expr)
        self.index = 0

    # -- token helpers --
    def _peek(self) -> _Token:
        return self.tokens[self.index]

    def _next(self) -> _Token:
        token = self.tokens[self.index]
        if token.kind != "end":
            self.index += 1
        return token

    def _at(self, text: str) -> bool:
        token = self._peek()
        return token.kind in ("word", "symbol") and token.text == text

    def _fail(self, expected: str) -> WhereSyntaxError:
        token = self._peek()
        found = "end of expression" if token.kind == "end" else repr(token.text)
        return WhereSyntaxError(f"expected {expected}, found {found}", self.expr, token.position)

    # -- grammar --
    def parse(self) -> Predicate:
        predicate = self._or()
        if self._peek().kind != "end":
            raise self._fail("'and', 'or' or end of expression")
        return predicate

    def _or(self) -> Predicate:
        left = self._and()
        while self._at("or"):
            self._next()
            left = _either(left, self._and())
        return left

    def _and(self) -> Predicate:
        left = self._not()
        while self._at("and"):
            self._next()
            left = _both(left, self._not())
        return left

    def _not(self) -> Predicate:
        if self._at("not"):
            self._next()
            return _negate(self._not())
        return self._primary()

    def _primary(self) -> Predicate:
        if self._at("("):
            self._next()
            inner = self._or()
            if not self._at(")"):
                raise self._fail("')'")
            self._next()
            return inner
        if self._at("true") or self._at("false"):
            constant = self._next().text == "true"
            return lambda record: constant
        if self._peek().kind != "string" and not self._at("field"):
            raise self._fail("'field \"name\"', a quoted literal, 'not', 'true', 'false' or '('")
        return self._comparison()

    def _comparison(self) -> Predicate:
        left = self._value()
        if not (self._at("=") or self._at("<>")):
            raise self._fail("'=' or '<>'")
        equal = self._next().text == "="
        right = self._value()
        return _compare(left, right, equal)

    def _value(self) -> str | ValueOf:
        """A literal's text, or a function reading a field's stored text from a record."""
        token = self._peek()
        if token.kind == "string":
            return _unescape(self._next().text)
        if self._at("field"):
            self._next()
            if self._peek().kind != "string":
                raise self._fail('a quoted field name after \'field\'')
            return _field_reader(_unescape(self._next().text))
        raise self._fail("'field \"name\"' or a quoted literal")


# ---- closures -----------------------------------------------------------------------------------
def _field_reader(name: str) -> ValueOf:
    alias = name.replace("__", "_")
    if alias == name:
        def read(record: Record) -> str:
            value = record.get(name, "")
            return value if value.__class__ is str else render_db_value(value)
    else:
        def read(record: Record) -> str:
            value = record.get(name, _MISSING)
            if value is _MISSING:
                value = record.get(alias, "")
            return value if value.__class__ is str else render_db_value(value)
    return read


def _compare(left: str | ValueOf, right: str | ValueOf, equal: bool) -> Predicate:
    if isinstance(left, str) and isinstance(right, str):
        constant = (left == right) == equal
        return lambda record: constant
    if isinstance(left, str):  # keep the field on the left
        left, right = right, left
    read_left = cast(ValueOf, left)
    if isinstance(right, str):
        literal = right
        if equal:
            return lambda record: read_left(record) == literal
        return lambda record: read_left(record) != literal
    read_right = right
    if equal:
        return lambda record: read_left(record) == read_right(record)
    return lambda record: read_left(record) != read_right(record)


def _either(left: Predicate, right: Predicate) -> Predicate:
    return lambda record: left(record) or right(record)


def _both(left: Predicate, right: Predicate) -> Predicate:
    return lambda record: left(record) and right(record)


def _negate(inner: Predicate) -> Predicate:
    return lambda record: not inner(record)
