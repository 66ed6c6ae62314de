"""How fast a large simulated pool starts and answers its heaviest read.

    PYTHONPATH=tests python3 tests/bench/bench_simulator.py [--hosts 50] [--vms 10000] [--repeat 3]

For plain HTTP and for HTTPS it starts ``python -m xapisim --hosts H --vms V``, prints the time
to the ready line, then times ``VM.get_all_records`` over JSON-RPC and over XML-RPC on one
keep-alive connection (``http.client``, no XAPI client library): the wall time of the request
(server work and transfer), the time to decode the answer, and the payload size. It prints
numbers only; targets: ready under 10 s, JSON-RPC under 2 s.
"""
from __future__ import annotations

import argparse
import http.client
import json
import ssl
import sys
import time
import xmlrpc.client
from pathlib import Path
from typing import Any, Callable
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from xapisim.process import SimProcess, start_simulator  # noqa: E402  (needs the path above)

READY_TIMEOUT = 120.0
CALL_TIMEOUT = 300.0


class Connection:
    """One keep-alive connection to the pool master, speaking either wire format."""

    def __init__(self, process: SimProcess) -> None:
        url = urlsplit(process.url)
        if url.scheme == "https":
            context = ssl.create_default_context(cafile=process.info["ca_cert"])
            self.http: http.client.HTTPConnection = http.client.HTTPSConnection(
                url.hostname, url.port, timeout=CALL_TIMEOUT, context=context)
        else:
            self.http = http.client.HTTPConnection(url.hostname, url.port, timeout=CALL_TIMEOUT)
        self.request_id = 0

    def post(self, path: str, body: bytes, content_type: str) -> bytes:
        self.http.request("POST", path, body=body, headers={"Content-Type": content_type})
        response = self.http.getresponse()
        payload = response.read()
        if response.status != 200:
            raise RuntimeError(f"HTTP {response.status} from {path}: {payload[:200]!r}")
        return payload

    def jsonrpc_raw(self, method: str, params: list[Any]) -> bytes:
        self.request_id += 1
        body = json.dumps({"jsonrpc": "2.0", "method": method, "params": params, "id": self.request_id})
        return self.post("/jsonrpc", body.encode("utf-8"), "application/json")

    @staticmethod
    def jsonrpc_decode(payload: bytes) -> Any:
        answer = json.loads(payload)
        if answer.get("error"):
            raise RuntimeError(f"JSON-RPC error: {answer['error']}")
        return answer["result"]

    def xmlrpc_raw(self, method: str, params: list[Any]) -> bytes:
        return self.post("/", xmlrpc.client.dumps(tuple(params), method).encode("utf-8"), "text/xml")

    @staticmethod
    def xmlrpc_decode(payload: bytes) -> Any:
        (answer,), _method = xmlrpc.client.loads(payload)
        if answer.get("Status") != "Success":
            raise RuntimeError(f"XML-RPC failure: {answer.get('ErrorDescription')}")
        return answer["Value"]

    def close(self) -> None:
        self.http.close()


def measure(label: str, call: Callable[[], bytes], decode: Callable[[bytes], Any], repeat: int) -> None:
    """Best of ``repeat`` runs: request wall time, decode time, payload size, record count."""
    best_wall = best_decode = float("inf")
    size = count = 0
    for _run in range(repeat):
        started = time.perf_counter()
        payload = call()
        wall = time.perf_counter() - started
        started = time.perf_counter()
        count = len(decode(payload))
        best_wall, best_decode = min(best_wall, wall), min(best_decode, time.perf_counter() - started)
        size = len(payload)
    print(f"  {label:<32} {best_wall:7.2f} s request  {best_decode:6.2f} s decode  "
          f"{size / 1e6:8.1f} MB  {count} records")


def bench(transport: str, hosts: int, vms: int, repeat: int) -> None:
    args = ["--hosts", str(hosts), "--vms", str(vms)] + (["--http"] if transport == "http" else [])
    started = time.perf_counter()
    process = start_simulator(*args, timeout=READY_TIMEOUT)
    ready = time.perf_counter() - started
    print(f"{transport}: {hosts} hosts, {vms} VMs ready in {ready:.2f} s")
    connection = Connection(process)
    try:
        credentials = [process.info["username"], process.info["password"], "1.0", "bench_simulator"]
        session = connection.jsonrpc_decode(connection.jsonrpc_raw("session.login_with_password", credentials))
        measure("JSON-RPC VM.get_all_records", lambda: connection.jsonrpc_raw("VM.get_all_records", [session]),
                connection.jsonrpc_decode, repeat)
        measure("XML-RPC  VM.get_all_records", lambda: connection.xmlrpc_raw("VM.get_all_records", [session]),
                connection.xmlrpc_decode, repeat)
        connection.jsonrpc_raw("session.logout", [session])
    finally:
        connection.close()
        process.stop()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hosts", type=int, default=50)
    parser.add_argument("--vms", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=3, help="runs per measurement; the best is printed")
    parser.add_argument("--transport", choices=("http", "https", "both"), default="both")
    arguments = parser.parse_args(argv)
    for transport in ("http", "https") if arguments.transport == "both" else (arguments.transport,):
        bench(transport, arguments.hosts, arguments.vms, arguments.repeat)
    return 0


if __name__ == "__main__":
    sys.exit(main())
