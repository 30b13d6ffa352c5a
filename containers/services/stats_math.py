"""Pure maths on Docker's stats samples: CPU %, memory, network and block I/O rates.

A sample is one decoded entry of `GET /containers/{id}/stats`. The CPU share
follows the docker CLI's formula: the container's CPU time delta over the
host's, times the number of online CPUs. Rates divide the change in byte
counters by the time between two samples' `read` stamps.
"""

from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from .mirror_data import timestamp

Sample = dict[str, Any]


@dataclass(frozen=True)
class Totals:
    """Cumulative byte counters of one sample, and when Docker read them."""

    read_at: datetime | None
    network_rx: int
    network_tx: int
    block_read: int
    block_write: int


@dataclass(frozen=True)
class Reading:
    """One second of figures for the stats page: percentages, bytes and bytes/s."""

    running: bool
    cpu_percent: float
    memory_used: int
    memory_limit: int
    memory_percent: float
    network_rx_rate: float
    network_tx_rate: float
    block_read_rate: float
    block_write_rate: float

    def as_message(self) -> dict[str, Any]:
        return {"type": "stats", **asdict(self)}


def cpu_percent(sample: Sample) -> float:
    """Return the container's CPU use in percent of one CPU (200 = two CPUs busy)."""
    current = sample.get("cpu_stats") or {}
    previous = sample.get("precpu_stats") or {}
    usage = (current.get("cpu_usage") or {}).get("total_usage", 0)
    usage_before = (previous.get("cpu_usage") or {}).get("total_usage", 0)
    system = current.get("system_cpu_usage")
    system_before = previous.get("system_cpu_usage")
    if system is None or system_before is None:
        return 0.0
    cpu_delta = usage - usage_before
    system_delta = system - system_before
    if cpu_delta <= 0 or system_delta <= 0:
        return 0.0
    cpus = current.get("online_cpus") or len(
        (current.get("cpu_usage") or {}).get("percpu_usage") or []
    )
    return cpu_delta / system_delta * (cpus or 1) * 100.0


def memory_used(sample: Sample) -> int:
    """Return memory in use without the page cache, as `docker stats` shows it.

    cgroup v1 reports the cache as `total_inactive_file`, cgroup v2 as
    `inactive_file`; either is left out when it is below the usage.
    """
    memory = sample.get("memory_stats") or {}
    usage = int(memory.get("usage") or 0)
    details = memory.get("stats") or {}
    for key in ("total_inactive_file", "inactive_file"):
        cache = details.get(key)
        if cache is not None and cache < usage:
            return usage - int(cache)
    return usage


def memory_limit(sample: Sample) -> int:
    return int((sample.get("memory_stats") or {}).get("limit") or 0)


def _block_bytes(sample: Sample, operation: str) -> int:
    # cgroup v1 names the operations "Read"/"Write", cgroup v2 "read"/"write".
    entries = (sample.get("blkio_stats") or {}).get("io_service_bytes_recursive")
    return sum(
        int(entry.get("value") or 0)
        for entry in entries or []
        if str(entry.get("op", "")).lower() == operation
    )


def totals(sample: Sample) -> Totals:
    """Sum the sample's byte counters over all networks and block devices."""
    networks = (sample.get("networks") or {}).values()
    return Totals(
        read_at=timestamp(sample.get("read")),
        network_rx=sum(int(network.get("rx_bytes") or 0) for network in networks),
        network_tx=sum(int(network.get("tx_bytes") or 0) for network in networks),
        block_read=_block_bytes(sample, "read"),
        block_write=_block_bytes(sample, "write"),
    )


def rate(now: int, before: int, seconds: float) -> float:
    """Return bytes per second; 0 when a counter went back (a restart reset it)."""
    if seconds <= 0 or now < before:
        return 0.0
    return (now - before) / seconds


def is_running(sample: Sample) -> bool:
    """Tell whether the sample comes from a running container.

    Docker sends a stopped container's samples with no read time
    ("0001-01-01T00:00:00Z") and empty CPU and memory figures.
    """
    return timestamp(sample.get("read")) is not None and bool(
        sample.get("memory_stats")
    )


def reading(sample: Sample, previous: Totals | None) -> tuple[Reading, Totals]:
    """Compute one reading from a sample and the previous sample's totals.

    Returns the reading and this sample's totals, for the next call. Rates are
    0 on the first sample, because they need two.
    """
    current = totals(sample)
    seconds = 0.0
    if previous is not None and previous.read_at and current.read_at:
        seconds = (current.read_at - previous.read_at).total_seconds()
    before = previous or current
    used = memory_used(sample)
    limit = memory_limit(sample)
    result = Reading(
        running=is_running(sample),
        cpu_percent=round(cpu_percent(sample), 2),
        memory_used=used,
        memory_limit=limit,
        memory_percent=round(used / limit * 100.0, 2) if limit else 0.0,
        network_rx_rate=rate(current.network_rx, before.network_rx, seconds),
        network_tx_rate=rate(current.network_tx, before.network_tx, seconds),
        block_read_rate=rate(current.block_read, before.block_read, seconds),
        block_write_rate=rate(current.block_write, before.block_write, seconds),
    )
    return result, current
