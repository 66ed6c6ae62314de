# Copyright: (c) 2026, xen.xapi maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""xen_vdi's disk contents: ``import_from`` (a local file or an http(s) URL) and ``export_to`` (a local file).

Images stream through XAPI's ``/import_raw_vdi`` and ``/export_raw_vdi``. A URL is first downloaded to a
temporary file beside nothing else (certificates verified), so that its checksum is known before anything
is created in the pool; files are written to a temporary name and moved into place when complete.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
import typing as t
import urllib.error
from urllib.parse import urlsplit

from ansible_collections.xen.xapi.plugins.module_utils._xapi import client as xapi_client, errors, transfer
from ansible_collections.xen.xapi.plugins.module_utils.disks import disk_images

_PIECE = 1024 * 1024


def is_url(source: str) -> bool:
    return urlsplit(source).scheme in ("http", "https")


def check_source(source: t.Optional[str], checksum: t.Optional[str]) -> None:
    """Refuse what can be refused before connecting: a missing local file, a malformed checksum."""
    disk_images.parse_checksum(checksum)
    if source and not is_url(source) and not os.path.isfile(source):
        raise errors.ResourceError("import_from: {0} is not a file on the machine that runs the module, nor an http(s) URL.".format(source))


def local_image_info(source: str, checksum: t.Optional[str]) -> t.Optional[disk_images.DiskImage]:
    """The image of a local file, its checksum verified (None for a URL: it is only known once downloaded)."""
    if is_url(source):
        return None
    _verify(source, source, disk_images.parse_checksum(checksum))
    return disk_images.inspect(source)


def _verify(source: str, path: str, expected: t.Optional[t.Tuple[str, str]]) -> None:
    if expected is None:
        return
    actual = disk_images.file_digest(path, expected[0])
    if actual != expected[1]:
        raise errors.ResourceError("checksum: {0} has {1} {2}, not {3}; nothing was created.".format(
            _shown(source), expected[0], actual, expected[1]))


@contextlib.contextmanager
def fetched(source: str, checksum: t.Optional[str], timeout: float) -> t.Iterator[str]:
    """A local path holding the image, its checksum verified; a URL is downloaded to a temporary file."""
    expected = disk_images.parse_checksum(checksum)
    folder = None
    path = source
    try:
        if is_url(source):
            folder = tempfile.mkdtemp(prefix="xen_vdi-")
            path = os.path.join(folder, "image")
            _download_url(source, path, timeout)
        _verify(source, path, expected)
        yield path
    finally:
        if folder is not None:
            shutil.rmtree(folder, ignore_errors=True)


def _shown(source: str) -> str:
    """A URL without credentials or query (which may carry tokens)."""
    if not is_url(source):
        return source
    parts = urlsplit(source)
    return "{0}://{1}{2}".format(parts.scheme, parts.hostname or "", parts.path)


def _download_url(url: str, path: str, timeout: float) -> None:
    """Certificates verified, proxies from the environment honoured (Ansible's open_url)."""
    # Imported here: Ansible's urls module loads the cryptography package where it is installed (some 80 ms), which
    # no other path of xen_vdi needs.
    from ansible.module_utils.urls import ConnectionError as UrlConnectionError  # pylint: disable=import-outside-toplevel
    from ansible.module_utils.urls import open_url  # pylint: disable=import-outside-toplevel

    try:
        response = open_url(url, timeout=timeout, validate_certs=True)
        with open(path, "wb") as handle:
            shutil.copyfileobj(response, handle, _PIECE)
    except (urllib.error.URLError, UrlConnectionError, OSError, ValueError) as err:
        reason = getattr(err, "reason", None) or err
        raise errors.ResourceError("import_from: cannot download {0}: {1}.".format(_shown(url), reason))


def upload_image(client: xapi_client.XapiClient, vdi: str, path: str, image_format: str, timeout: float) -> int:
    """Fill ``vdi`` with the image at ``path``; returns the bytes sent."""
    size = os.path.getsize(path)
    with open(path, "rb") as handle:
        result = transfer.upload(client, "/import_raw_vdi", {"vdi": vdi, "format": image_format}, size, handle.read,
                                 "VDI.import_raw", timeout)
    return result.bytes_moved


def export_disk(client: xapi_client.XapiClient, vdi: str, path: str, timeout: float) -> int:
    """Write the disk's content to ``path`` (through a temporary file moved into place); returns its size."""
    temporary = "{0}.part-{1}".format(path, os.getpid())
    try:
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "wb") as handle:
            def write(piece: bytes) -> None:
                # Blocks of zeros become holes: a mostly empty disk makes a small (sparse) file.
                if piece.count(0) == len(piece):
                    handle.seek(len(piece), os.SEEK_CUR)
                else:
                    handle.write(piece)
            result = transfer.download(client, "/export_raw_vdi", {"vdi": vdi, "format": "raw"}, write, "VDI.export_raw", timeout)
            handle.truncate()
        os.replace(temporary, path)
    except OSError as err:
        raise errors.ResourceError("export_to: cannot write {0}: {1}.".format(path, err.strerror or err))
    finally:
        if os.path.exists(temporary):
            os.remove(temporary)
    return result.bytes_moved
