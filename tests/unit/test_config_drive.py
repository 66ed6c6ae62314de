# Copyright: (c) 2026, xen.xapi maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The cloud-init config drive's FAT16 volume, read back with an independent reader."""

from __future__ import annotations

import os

import pytest
from fat_reader import FatVolume

from ansible_collections.xen.xapi.plugins.module_utils.vm.config_drive import VOLUME_SIZE, fat16_volume

FILES = {
    "meta-data": b'{"instance-id": "iid-1", "local-hostname": "web01"}\n',
    "user-data": b"#cloud-config\nusers:\n  - name: ops\n",
    "network-config": b'{"version": 2}\n',
    "openstack/latest/meta_data.json": b'{"uuid": "iid-1"}',
    "openstack/latest/user_data": b"#cloud-config\n",
}


def test_the_volume_holds_the_files_under_their_long_names() -> None:
    volume = FatVolume(fat16_volume(FILES))
    assert len(volume.image) == VOLUME_SIZE
    assert volume.fs_type == "FAT16" and volume.fat_bits == 16
    assert volume.label == "cidata" and volume.boot_label == "cidata"
    assert volume.files() == FILES
    assert volume.fat_copies[0] == volume.fat_copies[1]


def test_the_same_files_make_the_same_bytes() -> None:
    assert fat16_volume(FILES) == fat16_volume(dict(reversed(list(FILES.items()))))
    assert fat16_volume(FILES) != fat16_volume(dict(FILES, **{"user-data": b"#cloud-config\n{}\n"}))


@pytest.mark.parametrize("name", ["a", "exactly13char", "a-name-of-twenty-six-chars", "vendor-data", "UPPER.TXT", "x.y.z"])
def test_long_names_of_any_length_and_large_files(name: str) -> None:
    data = os.urandom(70000)
    files = {name: data, "dir/" + name: b"", "dir/second": b"2"}
    assert FatVolume(fat16_volume(files)).files() == files


def test_files_that_do_not_fit_are_refused() -> None:
    with pytest.raises(ValueError, match="do not fit"):
        fat16_volume({"big": bytes(VOLUME_SIZE)})
