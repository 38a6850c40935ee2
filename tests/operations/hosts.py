"""Test hosts in Linux network namespaces: each host is a namespace with one address on a bridge
the test creates in the root namespace (where the test itself, its webhook receiver and its
client live, at the bridge's own address). Nothing here talks to anything but those addresses.

Everything made is recorded and torn down by :meth:`Network.close`, also when the test fails:
processes (killed with their whole process group), namespaces, the bridge, the temporary
directories."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

PG_BIN = (
    Path("/usr/lib/postgresql")
    / (
        sorted(os.listdir("/usr/lib/postgresql"))[-1]
        if Path("/usr/lib/postgresql").exists()
        else "15"
    )
    / "bin"
)


# The system's tools, wherever this process's PATH lacks the sbin directories.
SYSTEM_PATH = os.pathsep.join(
    [os.environ.get("PATH", ""), "/usr/local/sbin", "/usr/sbin", "/sbin", "/usr/bin", "/bin"]
)


def which(tool: str) -> str | None:
    return shutil.which(tool, path=SYSTEM_PATH)


def available() -> str | None:
    """Why these hosts cannot be built here, or None when they can."""
    if os.geteuid() != 0:
        return "network namespaces need root"
    for tool in ("ip", "redis-server", "runuser"):
        if which(tool) is None:
            return f"{tool} is not installed"
    if not (PG_BIN / "initdb").exists():
        return f"no PostgreSQL server binaries in {PG_BIN}"
    return None


def run(*command: str, check: bool = True) -> subprocess.CompletedProcess:
    return subprocess.run(command, check=check, capture_output=True, text=True, timeout=60)


@dataclass
class Host:
    name: str
    namespace: str
    address: str

    def command(self, *argv: str) -> list[str]:
        return ["ip", "netns", "exec", self.namespace, *argv]


@dataclass
class Network:
    """A bridge with hosts on it. ``subnet`` is the first three octets of a /24 of the test's
    choosing (picked free of the machine's own routes)."""

    subnet: str
    tag: str = field(default_factory=lambda: uuid.uuid4().hex[:6])
    hosts: list[Host] = field(default_factory=list)
    processes: list[subprocess.Popen] = field(default_factory=list)
    directories: list[Path] = field(default_factory=list)
    _links: list[str] = field(default_factory=list)

    @property
    def bridge(self) -> str:
        return f"pbbr{self.tag}"

    @property
    def gateway(self) -> str:
        """The root namespace's address on the bridge: the test, its client and receiver."""
        return f"{self.subnet}.1"

    def open(self) -> Network:
        run("ip", "link", "add", self.bridge, "type", "bridge")
        self._links.append(self.bridge)
        run("ip", "addr", "add", f"{self.gateway}/24", "dev", self.bridge)
        run("ip", "link", "set", self.bridge, "up")
        return self

    def add_host(self, name: str) -> Host:
        number = len(self.hosts) + 2
        namespace = f"pb{self.tag}{name}"
        outside, inside = f"pbv{self.tag}{number}", "eth0"
        run("ip", "netns", "add", namespace)
        host = Host(name, namespace, f"{self.subnet}.{number}")
        self.hosts.append(host)
        run("ip", "link", "add", outside, "type", "veth", "peer", "name", f"{outside}p")
        self._links.append(outside)
        run("ip", "link", "set", f"{outside}p", "netns", namespace)
        run("ip", "link", "set", outside, "master", self.bridge)
        run("ip", "link", "set", outside, "up")
        ns = ["ip", "netns", "exec", namespace, "ip"]
        run(*ns, "link", "set", f"{outside}p", "name", inside)
        run(*ns, "addr", "add", f"{host.address}/24", "dev", inside)
        run(*ns, "link", "set", inside, "up")
        run(*ns, "link", "set", "lo", "up")
        return host

    def directory(self, prefix: str) -> Path:
        path = Path(tempfile.mkdtemp(prefix=f"pb-{prefix}-"))
        self.directories.append(path)
        return path

    def start(
        self, host: Host, argv: list[str], *, env: dict, log: Path, user: str = ""
    ) -> subprocess.Popen:
        command = host.command(*(["runuser", "-u", user, "--"] if user else []), *argv)
        process = subprocess.Popen(
            command,
            env={"PATH": SYSTEM_PATH, **env},
            stdout=log.open("ab"),
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: killed whole at the end
        )
        self.processes.append(process)
        return process

    def close(self) -> None:
        for process in reversed(self.processes):
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(10)
        for host in self.hosts:  # anything left inside (a daemon that left its group)
            pids = run("ip", "netns", "pids", host.namespace, check=False).stdout.split()
            for pid in pids:
                with contextlib.suppress(ProcessLookupError, ValueError):
                    os.kill(int(pid), signal.SIGKILL)
            run("ip", "netns", "del", host.namespace, check=False)
        for link in reversed(self._links):
            run("ip", "link", "del", link, check=False)
        for path in self.directories:
            shutil.rmtree(path, ignore_errors=True)


def free_subnet() -> str:
    """A 10.x.y.0/24 the machine has no route for."""
    routes = run("ip", "-4", "route", "show", "table", "all").stdout
    for x in range(200, 250):
        for y in range(0, 250, 7):
            subnet = f"10.{x}.{y}"
            if f"{subnet}." not in routes:
                return subnet
    raise RuntimeError("no free 10.x.y.0/24 subnet")


def tail(log: Path | None, lines: int = 30) -> str:
    if log is None or not log.exists():
        return ""
    return "\n".join(log.read_text(errors="replace").splitlines()[-lines:])


def wait_for_port(
    address: str, port: int, timeout: float, what: str, process=None, log: Path | None = None
) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"{what} exited with {process.returncode}:\n{tail(log)}")
        with contextlib.suppress(OSError):
            socket.create_connection((address, port), timeout=0.5).close()
            return
        time.sleep(0.1)
    raise TimeoutError(
        f"{what} did not listen on {address}:{port} within {timeout:g} s:\n{tail(log)}"
    )
