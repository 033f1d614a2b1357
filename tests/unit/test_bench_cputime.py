"""The bench's CPU accounting (bench/cputime.py): reading /proc's lines, and attributing
PostgreSQL's time to the processes a measurement watched."""

from __future__ import annotations

import os

from bench.cputime import TICK, Snapshot, cores_used, cpu_seconds, local_ports, machine_seconds, seconds_in_stat

# /proc/<pid>/stat of a process whose name holds a space and a parenthesis: utime 250 and
# stime 50 ticks are the 14th and 15th fields.
STAT = "4242 (crm (serve) x) S 1 4242 4242 0 -1 4194304 1000 0 0 0 250 50 0 0 20 0 3 0 100 0 0"

TCP = """\
  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 0100007F:1538 00000000:0000 0A 00000000:00000000 00:00000000 00000000   108        0 1111 1
   1: 0100007F:D431 0100007F:1538 01 00000000:00000000 00:00000000 00000000  1000        0 2222 1
   2: 0100007F:D432 0100007F:1538 01 00000000:00000000 00:00000000 00000000  1000        0 3333 1
"""


def test_a_process_cpu_seconds_are_its_user_and_system_ticks_whatever_its_name():
    assert seconds_in_stat(STAT) == 300 / TICK


def test_a_process_that_has_gone_spent_nothing():
    assert cpu_seconds(2**22 + 1) == 0.0  # above the kernel's pid_max: never a process


def test_this_process_cpu_seconds_grow_while_it_works():
    before = cpu_seconds(os.getpid())
    deadline = os.times().elapsed + 0.2
    while os.times().elapsed < deadline:
        pass
    assert cpu_seconds(os.getpid()) > before


def test_the_machine_is_busy_when_not_idle_nor_waiting_for_io():
    busy, total = machine_seconds("cpu  100 10 40 800 50 0 0 0 0 0\ncpu0 1 1 1 1 1 0 0 0 0 0\n")
    assert (busy, total) == (150 / TICK, 1000 / TICK)


def test_a_process_ports_are_those_of_its_own_sockets_only():
    assert local_ports(TCP, {2222}) == {0xD431}
    assert local_ports(TCP, {2222, 3333, 9999}) == {0xD431, 0xD432}
    assert local_ports(TCP, set()) == set()


def test_postgresql_time_is_split_between_the_watched_backends_and_the_rest():
    before = Snapshot({"replica 1": 10.0}, {100: 5.0, 200: 7.0}, (50.0, 200.0))
    after = Snapshot({"replica 1": 14.0}, {100: 7.0, 200: 8.0, 300: 1.0}, (60.0, 210.0))
    used = cores_used(before, after, ours={100, 300}, wall=4.0)
    assert used == {
        "replica 1": 1.0,
        "PostgreSQL (their backends)": 0.75,  # 2 s of backend 100 and 1 s of backend 300, born in between
        "PostgreSQL (the rest)": 0.25,
        "everything else": 0.5,  # the 10 busy seconds less the 8 accounted for
        "machine": 2.5,
    }
