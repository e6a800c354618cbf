"""A small process supervisor for the embedded `local` runtime: processes on 127.0.0.1, state on disk.

Everything it knows lives in a state directory, never only in memory, because more than one process
drives the same processes: `slostack up` starts them, the healer restarts and scales them, and either
may die and come back. Layout of `state_dir`:

    procs/<name>.json     one record per managed process: argv, env, cwd, port, pid, start time, log
    groups/<name>.json    one record per replica group: the template every replica is made from
    logs/<name>.log       the process' stdout and stderr, appended across restarts
    targets/<file>.json   Prometheus file_sd targets of a group, rewritten atomically on every change
    .lock                 flock'ed around every change, so two supervisors never interleave

A record's pid is only trusted while /proc/<pid> has the start time and command line recorded with it:
a stale record (the machine rebooted, the pid was reused) reads as "not running" and is never signalled.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import re
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Iterator, Mapping
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

from ..fileio import write_atomic

__all__ = [
    "GroupRecord",
    "GroupSpec",
    "ProcessRecord",
    "ProcessSpec",
    "Supervisor",
    "SupervisorError",
    "free_port",
]

_NAME = re.compile(r"^[a-z][a-z0-9-]*$")
_PORT_PLACEHOLDER = "{port}"
# Bounded waits: a process that ignores SIGKILL for this long is a kernel problem, not ours to fix.
_KILL_WAIT = 5.0
_POLL = 0.02


class SupervisorError(Exception):
    """A managed process could not be started, found or stopped as asked."""


@dataclass(frozen=True)
class ProcessSpec:
    """How to run one process. `{port}` in argv or env values is replaced by the process' port."""

    name: str
    argv: tuple[str, ...]
    env: Mapping[str, str] = field(default_factory=dict)
    cwd: str | None = None
    port: int | None = None  # None: no port; 0: a free 127.0.0.1 port chosen at start
    inherit_env: bool = True  # False: only PATH, HOME and `env` (reproducible, leaks no secrets)
    stop_timeout: float = 10.0  # SIGTERM, then SIGKILL after this many seconds
    ready_timeout: float = 15.0  # with a port: how long to wait for it to accept connections


@dataclass(frozen=True)
class ProcessRecord:
    """What `procs/<name>.json` holds. `argv`/`env` are as run, with the port filled in."""

    name: str
    argv: tuple[str, ...]
    env: dict[str, str]
    cwd: str | None
    port: int | None
    pid: int
    start_ticks: int  # /proc/<pid>/stat field 22: tells a live pid from a reused one
    log: str
    started_at: float
    stop_timeout: float
    ready_timeout: float
    inherit_env: bool
    group: str | None = None
    restarts: int = 0


@dataclass(frozen=True)
class GroupSpec:
    """N replicas of one program, each on its own port, listed in a Prometheus file_sd targets file.

    Replica 0 uses `template.port` (0 or None: a free port); replicas added by `scale` always get a
    fresh free port. Replicas are named `<name>-<index>`.
    """

    name: str
    template: ProcessSpec  # its `name` is ignored; replicas are named from the group
    replicas: int = 1
    targets_file: str | None = None  # relative to state_dir, e.g. "targets/app.json"
    labels: Mapping[str, str] = field(default_factory=dict)  # on the targets; `version` also read back


@dataclass(frozen=True)
class GroupRecord:
    name: str
    template: dict[str, Any]  # ProcessSpec fields, with {port} still unexpanded
    replicas: int
    targets_file: str | None
    labels: dict[str, str]
    members: tuple[str, ...]

    def spec(self) -> ProcessSpec:
        t = dict(self.template)
        t["argv"] = tuple(t["argv"])
        return ProcessSpec(**t)


def free_port() -> int:
    """A port free on 127.0.0.1 right now. Another process may take it before we bind it; the
    readiness check then fails loudly instead of two replicas sharing a port."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _check_name(name: str) -> str:
    if not _NAME.match(name):
        raise SupervisorError(f"bad process name {name!r}: must match {_NAME.pattern}")
    return name


def _proc_start_ticks(pid: int) -> int | None:
    """Start time of a live, non-zombie pid, or None when there is no such process."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None
    # The command name (field 2) may hold spaces and parentheses: split after the LAST ')'.
    fields = raw[raw.rfind(")") + 2 :].split()
    if not fields or fields[0] in ("Z", "X"):
        return None
    return int(fields[19])


def _proc_cmdline(pid: int) -> tuple[str, ...] | None:
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return None
    return tuple(part.decode(errors="replace") for part in raw.split(b"\0")[:-1])


class Supervisor:
    """Start, stop, restart and scale processes recorded under `state_dir`. Thread- and process-safe."""

    def __init__(self, state_dir: str | Path) -> None:
        self.state_dir = Path(state_dir)
        for sub in ("procs", "groups", "logs"):
            (self.state_dir / sub).mkdir(parents=True, exist_ok=True)
        self._rlock = threading.RLock()
        self._depth = 0
        self._lock_fd: int | None = None
        # Children we spawned: kept so they are reaped (no zombies) and polled for early exits.
        self._children: dict[int, subprocess.Popen[bytes]] = {}

    # ---- locking -------------------------------------------------------------------------------------

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        # Re-entrant: restart_group -> restart -> stop/start all take it; flock is taken once.
        with self._rlock:
            if self._depth == 0:
                fd = os.open(self.state_dir / ".lock", os.O_RDWR | os.O_CREAT, 0o600)
                fcntl.flock(fd, fcntl.LOCK_EX)
                self._lock_fd = fd
            self._depth += 1
            try:
                yield
            finally:
                self._depth -= 1
                if self._depth == 0 and self._lock_fd is not None:
                    fcntl.flock(self._lock_fd, fcntl.LOCK_UN)
                    os.close(self._lock_fd)
                    self._lock_fd = None

    # ---- records -------------------------------------------------------------------------------------

    def _proc_path(self, name: str) -> Path:
        return self.state_dir / "procs" / f"{_check_name(name)}.json"

    def _group_path(self, name: str) -> Path:
        return self.state_dir / "groups" / f"{_check_name(name)}.json"

    def record(self, name: str) -> ProcessRecord | None:
        try:
            data = json.loads(self._proc_path(name).read_text(encoding="utf-8"))
        except FileNotFoundError:
            return None
        data["argv"] = tuple(data["argv"])
        return ProcessRecord(**data)

    def group(self, name: str) -> GroupRecord | None:
        try:
            data = json.loads(self._group_path(name).read_text(encoding="utf-8"))
        except FileNotFoundError:
            return None
        data["members"] = tuple(data["members"])
        return GroupRecord(**data)

    def names(self) -> list[str]:
        return sorted(p.stem for p in (self.state_dir / "procs").glob("*.json"))

    def _save(self, rec: ProcessRecord) -> None:
        write_atomic(self._proc_path(rec.name), json.dumps(asdict(rec), indent=2) + "\n")

    def _save_group(self, rec: GroupRecord) -> None:
        write_atomic(self._group_path(rec.name), json.dumps(asdict(rec), indent=2) + "\n")

    # ---- liveness ------------------------------------------------------------------------------------

    def _reap(self) -> None:
        for pid, child in list(self._children.items()):
            if child.poll() is not None:
                del self._children[pid]

    def _alive(self, rec: ProcessRecord) -> bool:
        """Is THIS record's process alive? Same pid, same start time and same command line: start times
        tick at 10 ms, so a pid reused within one tick is told apart by what it runs."""
        self._reap()
        ticks = _proc_start_ticks(rec.pid)
        if ticks is None or ticks != rec.start_ticks:
            return False
        # A process that rewrites its own argv (setproctitle) would read as gone; none we run does.
        return _proc_cmdline(rec.pid) == rec.argv

    def is_running(self, name: str) -> bool:
        rec = self.record(name)
        return rec is not None and self._alive(rec)

    def pid(self, name: str) -> int | None:
        """The pid of a running process, None when it is not running (stale records included)."""
        rec = self.record(name)
        return rec.pid if rec is not None and self._alive(rec) else None

    # ---- one process ---------------------------------------------------------------------------------

    def start(self, spec: ProcessSpec, *, group: str | None = None, restarts: int = 0) -> ProcessRecord:
        """Start `spec` unless it already runs (then return its record). Waits until its port listens."""
        _check_name(spec.name)
        if not spec.argv:
            raise SupervisorError(f"{spec.name}: empty argv")
        with self._locked():
            old = self.record(spec.name)
            if old is not None and self._alive(old):
                return old
            port = free_port() if spec.port == 0 else spec.port
            argv = tuple(_expand(a, port) for a in spec.argv)
            env = {k: _expand(v, port) for k, v in spec.env.items()}
            full_env = dict(os.environ) if spec.inherit_env else _minimal_env()
            full_env.update(env)
            log = self.state_dir / "logs" / f"{spec.name}.log"
            with open(log, "ab") as out:
                try:
                    child = subprocess.Popen(
                        argv,
                        cwd=spec.cwd,
                        env=full_env,
                        stdin=subprocess.DEVNULL,
                        stdout=out,
                        stderr=subprocess.STDOUT,
                        # Own session: our signals (and the healer's death) never reach it by accident,
                        # and stop() can signal its whole process group (workers included).
                        start_new_session=True,
                        close_fds=True,
                    )
                except OSError as e:
                    raise SupervisorError(f"{spec.name}: cannot start {argv[0]!r}: {e}") from e
            self._children[child.pid] = child
            ticks = _proc_start_ticks(child.pid)
            rec = ProcessRecord(
                name=spec.name,
                argv=argv,
                env=env,
                cwd=spec.cwd,
                port=port,
                pid=child.pid,
                start_ticks=ticks if ticks is not None else -1,
                log=str(log),
                started_at=time.time(),
                stop_timeout=spec.stop_timeout,
                ready_timeout=spec.ready_timeout,
                inherit_env=spec.inherit_env,
                group=group,
                restarts=restarts,
            )
            # Written before waiting for readiness: if we die now, the next supervisor still knows
            # the pid and can stop it.
            self._save(rec)
            if port is not None:
                self._wait_ready(rec, child)
            return rec

    def _wait_ready(self, rec: ProcessRecord, child: subprocess.Popen[bytes]) -> None:
        deadline = time.monotonic() + rec.ready_timeout
        while time.monotonic() < deadline:
            if child.poll() is not None:
                raise SupervisorError(
                    f"{rec.name} exited with status {child.returncode} before listening on "
                    f"127.0.0.1:{rec.port}; see {rec.log}"
                )
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", rec.port or 0), 0.2):
                return
            time.sleep(_POLL * 2)
        self._stop_rec(rec)
        raise SupervisorError(
            f"{rec.name} did not listen on 127.0.0.1:{rec.port} within {rec.ready_timeout:g}s; "
            f"stopped it; see {rec.log}"
        )

    def stop(self, name: str, timeout: float | None = None) -> bool:
        """SIGTERM the process (group), SIGKILL after `timeout`. True if it was running."""
        with self._locked():
            rec = self.record(name)
            if rec is None:
                return False
            return self._stop_rec(rec, timeout)

    def _stop_rec(self, rec: ProcessRecord, timeout: float | None = None) -> bool:
        if not self._alive(rec):
            return False  # stale or already gone: never signal a pid we cannot vouch for
        self._signal(rec.pid, signal.SIGTERM)
        if self._wait_gone(rec, rec.stop_timeout if timeout is None else timeout):
            return True
        self._signal(rec.pid, signal.SIGKILL)
        if not self._wait_gone(rec, _KILL_WAIT):
            raise SupervisorError(f"{rec.name} (pid {rec.pid}) survived SIGKILL")
        return True

    def _signal(self, pid: int, sig: signal.Signals) -> None:
        with contextlib.suppress(ProcessLookupError):
            try:
                # start_new_session made pid its process group leader; signal the group so workers
                # it forked go too. If it changed groups since, signal just the pid.
                if os.getpgid(pid) == pid:
                    os.killpg(pid, sig)
                    return
            except ProcessLookupError:
                return
            os.kill(pid, sig)

    def _wait_gone(self, rec: ProcessRecord, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while True:
            child = self._children.get(rec.pid)
            if child is not None:
                with contextlib.suppress(subprocess.TimeoutExpired):
                    child.wait(timeout=_POLL)
            if not self._alive(rec):
                return True
            if time.monotonic() >= deadline:
                return False
            if child is None:
                time.sleep(_POLL)

    def restart(self, name: str) -> ProcessRecord:
        """Stop then start again with the same port (so scrape targets stay valid)."""
        with self._locked():
            rec = self.record(name)
            if rec is None:
                raise SupervisorError(f"no managed process named {name!r}")
            self._stop_rec(rec)
            spec = self._spec_for(rec)
            return self.start(spec, group=rec.group, restarts=rec.restarts + 1)

    def _spec_for(self, rec: ProcessRecord) -> ProcessSpec:
        """A member of a group restarts from the group's CURRENT template (so reconfigure applies)."""
        grp = self.group(rec.group) if rec.group else None
        if grp is not None:
            return replace(grp.spec(), name=rec.name, port=rec.port)
        # A lone process: its record already holds the expanded argv/env; reuse the same port.
        return ProcessSpec(
            name=rec.name,
            argv=rec.argv,
            env=rec.env,
            cwd=rec.cwd,
            port=rec.port,
            inherit_env=rec.inherit_env,
            stop_timeout=rec.stop_timeout,
            ready_timeout=rec.ready_timeout,
        )

    def forget(self, name: str) -> None:
        """Stop a process and delete its record."""
        with self._locked():
            self.stop(name)
            with contextlib.suppress(FileNotFoundError):
                self._proc_path(name).unlink()

    # ---- groups of replicas --------------------------------------------------------------------------

    def start_group(self, spec: GroupSpec) -> GroupRecord:
        """Create (or take over) a group and bring it to `spec.replicas` running replicas."""
        _check_name(spec.name)
        if spec.replicas < 1:
            raise SupervisorError(f"{spec.name}: replicas must be at least 1 (got {spec.replicas})")
        template = asdict(spec.template)
        template["env"] = dict(spec.template.env)
        with self._locked():
            rec = GroupRecord(
                name=spec.name,
                template=template,
                replicas=0,
                targets_file=spec.targets_file,
                labels=dict(spec.labels),
                members=(),
            )
            old = self.group(spec.name)
            if old is not None:
                rec = replace(rec, replicas=old.replicas, members=old.members)
            self._save_group(rec)
            return self.scale(spec.name, spec.replicas)

    def scale(self, name: str, replicas: int) -> GroupRecord:
        """Start or stop replicas until `replicas` run, then rewrite the group's targets file."""
        if replicas < 1:
            raise SupervisorError(f"{name}: replicas must be at least 1 (got {replicas})")
        with self._locked():
            grp = self.group(name)
            if grp is None:
                raise SupervisorError(f"no replica group named {name!r}")
            template = grp.spec()
            members = [f"{name}-{i}" for i in range(replicas)]
            for i, member in enumerate(members):
                if not self.is_running(member):
                    old = self.record(member)
                    # Keep a replica's old port when it comes back; new replicas get a fresh one.
                    port = old.port if old is not None else (template.port if i == 0 else 0)
                    self.start(replace(template, name=member, port=port or 0), group=name)
            for member in grp.members:
                if member not in members:
                    self.forget(member)
            # Replicas left over from a crash mid-scale that the record no longer lists.
            for extra in self.names():
                rec = self.record(extra)
                if rec is not None and rec.group == name and extra not in members:
                    self.forget(extra)
            grp = replace(grp, replicas=replicas, members=tuple(members))
            self._save_group(grp)
            self.write_targets(name)
            return grp

    def restart_group(self, name: str) -> GroupRecord:
        """Rolling restart: one replica at a time, each back up before the next goes down."""
        with self._locked():
            grp = self.group(name)
            if grp is None:
                raise SupervisorError(f"no replica group named {name!r}")
            for member in grp.members:
                if self.record(member) is None:
                    self.start(replace(grp.spec(), name=member, port=0), group=name)
                else:
                    self.restart(member)
            self.write_targets(name)
            return grp

    def reconfigure_group(
        self, name: str, *, env: Mapping[str, str] | None = None, labels: Mapping[str, str] | None = None
    ) -> GroupRecord:
        """Replace the template's env (and the targets' labels), then roll every replica onto it."""
        with self._locked():
            grp = self.group(name)
            if grp is None:
                raise SupervisorError(f"no replica group named {name!r}")
            template = dict(grp.template)
            if env is not None:
                template["env"] = dict(env)
            grp = replace(grp, template=template, labels=dict(labels) if labels is not None else grp.labels)
            self._save_group(grp)
            return self.restart_group(name)

    def running_members(self, name: str) -> list[ProcessRecord]:
        grp = self.group(name)
        if grp is None:
            return []
        out = []
        for member in grp.members:
            rec = self.record(member)
            if rec is not None and self._alive(rec):
                out.append(rec)
        return out

    def stop_group(self, name: str) -> None:
        with self._locked():
            grp = self.group(name)
            if grp is None:
                return
            for member in grp.members:
                self.stop(member)
            self.write_targets(name)

    def write_targets(self, name: str) -> Path | None:
        """Prometheus file_sd: `[{"targets": ["127.0.0.1:PORT", ...], "labels": {...}}]`, atomically."""
        grp = self.group(name)
        if grp is None or grp.targets_file is None:
            return None
        targets = [f"127.0.0.1:{r.port}" for r in self.running_members(name) if r.port is not None]
        path = self.state_dir / grp.targets_file
        write_atomic(path, json.dumps([{"targets": targets, "labels": grp.labels}], indent=2) + "\n")
        return path


def _expand(text: str, port: int | None) -> str:
    return text.replace(_PORT_PLACEHOLDER, str(port)) if port is not None else text


def _minimal_env() -> dict[str, str]:
    env = {"PATH": os.environ.get("PATH", os.defpath), "HOME": os.environ.get("HOME", "/")}
    # Keep the interpreter's own view of where it is, so `python -m ...` children find packages.
    if "VIRTUAL_ENV" in os.environ:
        env["VIRTUAL_ENV"] = os.environ["VIRTUAL_ENV"]
    env["PYTHONUNBUFFERED"] = "1"
    return env
