"""Start the simulator as a separate process and talk to its control API.

What the pytest plugin's fixtures (``pytest_plugin.py``) hand out, and what scripts use to run a pool of their
own: ``start_simulator("--hosts", "5")`` runs ``python -m xapisim --port 0 ...`` with this interpreter and waits
for its ready line.
"""
from __future__ import annotations

import json
import os
import queue
import signal
import ssl
import subprocess
import sys
import tempfile
import threading
import urllib.error
import urllib.request
from typing import IO, Any

READY_TIMEOUT = 30.0
STOP_TIMEOUT = 15.0


class SimulatorStartError(RuntimeError):
    """The simulator exited or stayed silent instead of printing its ready line."""


class SimProcess:
    """A running ``python -m xapisim`` and what its ready line says."""

    def __init__(self, process: subprocess.Popen[str], info: dict[str, Any], stderr: IO[bytes]) -> None:
        self.process = process
        self.info = info
        self._stderr = stderr
        self._opener = _control_opener(info.get("ca_cert"))

    @property
    def url(self) -> str:
        """The master's base URL at start-up."""
        return self.info["url"]

    @property
    def ca_cert(self) -> str | None:
        """The CA that signed the hosts' certificates (None over plain HTTP); give it to clients as their CA file."""
        return self.info.get("ca_cert")

    @property
    def hosts(self) -> dict[str, str]:
        """Each host's name and base URL."""
        return dict(self.info["hosts"])

    @property
    def username(self) -> str:
        return str(self.info["username"])

    @property
    def password(self) -> str:
        return str(self.info["password"])

    @property
    def control_url(self) -> str:
        """The control API's base URL (``<control_url>/stats``, ``/faults``, ...)."""
        return str(self.info["control"])

    def faults(self, **faults: Any) -> Any:
        """Inject faults, e.g. ``faults(reset_connections={"fraction": 0.1, "max": 20})``; ``faults(clear=True)`` ends them."""
        return self.control_post("faults", faults)

    def durations(self, **seconds: float) -> Any:
        """How long operations take, e.g. ``durations(**{"VM.start": 5, "guest_agent": 20})``."""
        return self.control_post("durations", seconds)

    def pace(self, profile: str, scale: float | None = None) -> Any:
        """``pace("realistic", 0.1)``: real-world proportions, scaled; ``pace("instant")`` is the default."""
        return self.control_post("pace", {"profile": profile, **({} if scale is None else {"scale": scale})})

    def stats(self) -> dict[str, Any]:
        """Calls per method, total and write calls, live sessions."""
        return dict(self.control_get("stats"))

    def reset_stats(self) -> None:
        self.control_post("reset_stats")

    def control(self, verb: str, path: str, body: Any = None) -> tuple[int, Any]:
        """Send one control API request; returns (HTTP status, decoded JSON)."""
        data = None if body is None else json.dumps(body).encode("utf-8")
        request = urllib.request.Request(
            f"{self.info['control']}/{path.lstrip('/')}",
            data=data,
            method=verb,
            headers={"Content-Type": "application/json"},
        )
        try:
            with self._opener.open(request, timeout=30) as response:
                return response.status, json.loads(response.read() or b"null")
        except urllib.error.HTTPError as error:
            with error:
                return error.code, json.loads(error.read() or b"null")

    def control_get(self, path: str) -> Any:
        """GET a control endpoint; fails the test on an error status."""
        return self._expect_ok("GET", path, None)

    def control_post(self, path: str, body: Any = None) -> Any:
        """POST to a control endpoint; fails the test on an error status."""
        return self._expect_ok("POST", path, {} if body is None else body)

    def _expect_ok(self, verb: str, path: str, body: Any) -> Any:
        status, answer = self.control(verb, path, body)
        if status >= 400:
            raise AssertionError(f"control {verb} {path} answered {status}: {answer}")
        return answer

    def stderr_text(self) -> str:
        """Everything the simulator wrote on stderr so far."""
        self._stderr.seek(0)
        return self._stderr.read().decode("utf-8", "replace")

    def stop(self) -> int:
        """SIGTERM the simulator and wait for it; returns its exit status."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self.process.stdout is not None:
            self.process.stdout.close()
        self._stderr.close()
        return self.process.returncode


def _control_opener(ca_cert: str | None) -> urllib.request.OpenerDirector:
    # No proxies: the simulator is on loopback whatever the environment says.
    handlers: list[urllib.request.BaseHandler] = [urllib.request.ProxyHandler({})]
    if ca_cert:
        handlers.append(urllib.request.HTTPSHandler(context=ssl.create_default_context(cafile=ca_cert)))
    return urllib.request.build_opener(*handlers)


def _read_line_within(stream: IO[str], timeout: float) -> str | None:
    """One line from ``stream``, or None when nothing came in time."""
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(target=lambda: lines.put(stream.readline()), daemon=True).start()
    try:
        return lines.get(timeout=timeout)
    except queue.Empty:
        return None


def start_simulator(*args: str, timeout: float = READY_TIMEOUT) -> SimProcess:
    """Start ``python -m xapisim --port 0 *args`` and wait for its ready line."""
    env = dict(os.environ)
    # stderr goes to a file: a pipe nobody reads could fill up and stall the simulator.
    stderr = tempfile.TemporaryFile()
    process = subprocess.Popen(
        [sys.executable, "-m", "xapisim", "--port", "0", *args],
        stdout=subprocess.PIPE,
        stderr=stderr,
        env=env,
        text=True,
    )
    assert process.stdout is not None
    line = _read_line_within(process.stdout, timeout)
    try:
        if not line:
            raise SimulatorStartError("no ready line")
        info = json.loads(line)
    except (SimulatorStartError, ValueError) as exc:
        if process.poll() is None:
            process.kill()
        process.wait()
        stderr.seek(0)
        output = stderr.read().decode("utf-8", "replace")
        stderr.close()
        raise SimulatorStartError(
            f"xapisim {' '.join(args)} did not start ({exc}; exit status {process.returncode}; "
            f"stdout {line!r}).\nstderr:\n{output}"
        ) from exc
    return SimProcess(process, info, stderr)
