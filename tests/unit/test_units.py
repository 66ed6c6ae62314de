# Copyright: (c) 2026, xen.xapi maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import pytest

from ansible_collections.xen.xapi.plugins.module_utils._xapi.units import format_size, parse_size

GIB = 1024 ** 3


@pytest.mark.parametrize("text, expected", [
    ("4GiB", 4 * GIB),
    ("4 GiB", 4 * GIB),
    ("4gib", 4 * GIB),
    ("512MiB", 512 * 1024 ** 2),
    ("1.5GiB", 1536 * 1024 ** 2),
    ("10G", 10 * GIB),
    ("10g", 10 * GIB),
    ("2K", 2048),
    ("1T", 1024 ** 4),
    ("1TiB", 1024 ** 4),
    ("10GB", 10 * 1024 ** 3),
    ("1MB", 1024 ** 2),
    ("3KB", 3 * 1024),
    ("2GB", 2 * 1024 ** 3),
    ("100B", 100),
    ("100", 100),
    (" 7 MiB ", 7 * 1024 ** 2),
    (".5KiB", 512),
    ("0", 0),
])
def test_parse_size_strings(text: str, expected: int) -> None:
    assert parse_size(text) == expected


def test_parse_size_uses_default_unit_for_bare_numbers() -> None:
    assert parse_size(512, default_unit="MiB") == 512 * 1024 ** 2
    assert parse_size("512", default_unit="MiB") == 512 * 1024 ** 2
    assert parse_size(1.5, default_unit="GiB") == 1536 * 1024 ** 2
    # An explicit unit wins over the default one.
    assert parse_size("1GiB", default_unit="MiB") == GIB


def test_parse_size_handles_values_beyond_32_bits() -> None:
    assert parse_size("8TiB") == 8 * 1024 ** 4
    assert parse_size(2 ** 40) == 2 ** 40


def test_parse_size_rounds_to_the_nearest_byte() -> None:
    assert parse_size("0.3KiB") == 307
    assert parse_size("1.1GiB") == 1181116006


@pytest.mark.parametrize("bad", ["", "GiB", "4 XB", "4GiBs", "-1GiB", "1,5GiB", "1e3", "four", True, None, [4]])
def test_parse_size_rejects_bad_values_naming_them(bad: object) -> None:
    with pytest.raises(ValueError) as info:
        parse_size(bad)  # type: ignore[arg-type]
    assert repr(bad) in str(info.value)


def test_parse_size_rejects_negative_numbers() -> None:
    with pytest.raises(ValueError, match="negative"):
        parse_size(-5)


def test_parse_size_rejects_unknown_default_unit() -> None:
    with pytest.raises(ValueError, match="unknown unit"):
        parse_size(1, default_unit="bananas")


@pytest.mark.parametrize("size, expected", [
    (0, "0 B"),
    (1023, "1023 B"),
    (1024, "1 KiB"),
    (4 * GIB, "4 GiB"),
    (1536 * 1024 ** 2, "1.5 GiB"),
    (512 * 1024 ** 2, "512 MiB"),
    (1024 ** 4, "1 TiB"),
    (10 * 1000 ** 3, "9.31 GiB"),
    (-GIB, "-1 GiB"),
])
def test_format_size(size: int, expected: str) -> None:
    assert format_size(size) == expected


@pytest.mark.parametrize("size", [1, 1024, 4 * GIB, 512 * 1024 ** 2, 1024 ** 4 * 3])
def test_format_then_parse_round_trips_exact_sizes(size: int) -> None:
    assert parse_size(format_size(size)) == size


@pytest.mark.parametrize("text", ["2GB", "512MB", "1TB", "3KB", "2G", "4M", "100B"])
def test_sizes_read_as_ansibles_human_to_bytes_reads_them(text: str) -> None:
    from ansible.module_utils.common.text.formatters import human_to_bytes  # pylint: disable=import-outside-toplevel

    assert parse_size(text) == human_to_bytes(text)
