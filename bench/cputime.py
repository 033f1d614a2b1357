"""Where the CPU went during a measurement, read from /proc (Linux): each process's own
CPU seconds, the PostgreSQL backends that served a given process (matched by the client
ports of its TCP connections), and the machine's busy time. On two cores shared with
PostgreSQL and the broker, "twice the replicas" can only mean twice the rate if those
others leave a core free: these figures say whether they did."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import psycopg

PROC = Path("/proc")
TICK = os.sysconf("SC_CLK_TCK")


def seconds_in_stat(stat: str) -> float:
    """User plus system CPU seconds from a /proc/<pid>/stat line. The command name (field
    2) is in parentheses and may itself hold spaces or parentheses: fields are counted
    after the last ')'."""
    fields = stat[stat.rindex(")") + 2 :].split()
    return (int(fields[11]) + int(fields[12])) / TICK  # utime and stime: fields 14 and 15


def cpu_seconds(pid: int) -> float:
    """0.0 for a process that has gone (a backend closed meanwhile)."""
    try:
        return seconds_in_stat((PROC / str(pid) / "stat").read_text())
    except (FileNotFoundError, ProcessLookupError):
        return 0.0


def machine_seconds(stat: str | None = None) -> tuple[float, float]:
    """(busy, total) CPU seconds of every core since boot, from /proc/stat's first line;
    idle and iowait are the time not busy."""
    line = (stat or (PROC / "stat").read_text()).splitlines()[0]
    ticks = [int(value) for value in line.split()[1:]]
    idle = ticks[3] + (ticks[4] if len(ticks) > 4 else 0)
    total = sum(ticks[:8])  # guest time is already inside user and nice
    return (total - idle) / TICK, total / TICK


def local_ports(tcp_table: str, inodes: set[int]) -> set[int]:
    """The local ports of the sockets with these inodes, from a /proc/net/tcp table (each
    row: sl, local address:port in hex, remote, state, …, inode as the tenth field)."""
    ports = set()
    for row in tcp_table.splitlines()[1:]:
        fields = row.split()
        if len(fields) > 9 and int(fields[9]) in inodes:
            ports.add(int(fields[1].rsplit(":", 1)[1], 16))
    return ports


def client_ports(pid: int) -> set[int]:
    """The local ports of a process's TCP connections (its side of each)."""
    inodes = set()
    for fd in (PROC / str(pid) / "fd").iterdir():
        try:
            target = os.readlink(fd)
        except OSError:
            continue  # closed while we looked
        if target.startswith("socket:["):
            inodes.add(int(target[8:-1]))
    ports: set[int] = set()
    for table in ("tcp", "tcp6"):
        path = PROC / str(pid) / "net" / table
        if path.exists():
            ports |= local_ports(path.read_text(), inodes)
    return ports


def postgres_processes() -> set[int]:
    """Every PostgreSQL process on this machine (server, workers and all backends)."""
    found = set()
    for entry in PROC.iterdir():
        if entry.name.isdigit():
            try:
                if (entry / "comm").read_text().strip() == "postgres":
                    found.add(int(entry.name))
            except OSError:
                continue
    return found


def backends_serving(url: str, pids: list[int]) -> set[int]:
    """The PostgreSQL backends whose clients are these processes."""
    ports = set().union(*(client_ports(pid) for pid in pids))
    with psycopg.connect(url, autocommit=True) as connection:
        rows = connection.execute(
            "SELECT pid FROM pg_stat_activity WHERE client_port = ANY(%s)", (sorted(ports),)
        ).fetchall()
    return {pid for (pid,) in rows}


@dataclass(frozen=True)
class Snapshot:
    """CPU seconds so far: of the processes watched, of every PostgreSQL process, and the
    machine's (busy, total)."""

    watched: dict[str, float]
    postgres: dict[int, float]
    machine: tuple[float, float]

    @staticmethod
    def take(watched: dict[str, int]) -> Snapshot:
        return Snapshot(
            {name: cpu_seconds(pid) for name, pid in watched.items()},
            {pid: cpu_seconds(pid) for pid in postgres_processes()},
            machine_seconds(),
        )


def cores_used(before: Snapshot, after: Snapshot, ours: set[int], wall: float) -> dict[str, float]:
    """Cores busy on average over `wall` seconds: each watched process, the PostgreSQL
    backends in `ours` and the rest of PostgreSQL (other work on the machine included),
    everything else the machine did, and the whole machine. A backend born in between counts from zero."""
    used = {name: (after.watched[name] - before.watched[name]) / wall for name in after.watched}
    spent = {pid: seconds - before.postgres.get(pid, 0.0) for pid, seconds in after.postgres.items()}
    used["PostgreSQL (their backends)"] = sum(s for pid, s in spent.items() if pid in ours) / wall
    used["PostgreSQL (the rest)"] = sum(s for pid, s in spent.items() if pid not in ours) / wall
    machine = (after.machine[0] - before.machine[0]) / wall
    used["everything else"] = max(0.0, machine - sum(used.values()))  # other work on a shared machine
    used["machine"] = machine
    return used
