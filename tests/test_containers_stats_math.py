"""The stats maths: CPU share, memory without cache, and byte rates."""

from containers.services import stats_math


def sample(**overrides) -> dict:
    """A running container's sample as Docker 20.10 sends it on cgroup v1."""
    values = {
        "read": "2026-01-01T00:00:02.000000000Z",
        "cpu_stats": {
            "cpu_usage": {"total_usage": 3_000_000_000, "percpu_usage": [1, 1]},
            "system_cpu_usage": 20_000_000_000,
            "online_cpus": 2,
        },
        "precpu_stats": {
            "cpu_usage": {"total_usage": 2_000_000_000},
            "system_cpu_usage": 18_000_000_000,
            "online_cpus": 2,
        },
        "memory_stats": {
            "usage": 50 * 1024**2,
            "limit": 200 * 1024**2,
            "stats": {"total_inactive_file": 10 * 1024**2},
        },
        "networks": {
            "eth0": {"rx_bytes": 4000, "tx_bytes": 1000},
            "eth1": {"rx_bytes": 2000, "tx_bytes": 500},
        },
        "blkio_stats": {
            "io_service_bytes_recursive": [
                {"major": 8, "minor": 0, "op": "Read", "value": 8192},
                {"major": 8, "minor": 0, "op": "Write", "value": 4096},
                {"major": 8, "minor": 0, "op": "Total", "value": 12288},
            ]
        },
    }
    values.update(overrides)
    return values


def test_cpu_percent_scales_by_cpus():
    # 1 s of container CPU over 2 s of host CPU time, on 2 CPUs: 100 %.
    assert stats_math.cpu_percent(sample()) == 100.0


def test_cpu_percent_counts_percpu_without_online():
    data = sample()
    del data["cpu_stats"]["online_cpus"]
    assert stats_math.cpu_percent(data) == 100.0


def test_cpu_percent_zero_without_previous():
    data = sample(precpu_stats={})
    assert stats_math.cpu_percent(data) == 0.0


def test_cpu_percent_zero_when_idle():
    data = sample()
    data["precpu_stats"]["cpu_usage"]["total_usage"] = 3_000_000_000
    assert stats_math.cpu_percent(data) == 0.0


def test_memory_used_leaves_out_cgroup_v1_cache():
    assert stats_math.memory_used(sample()) == 40 * 1024**2


def test_memory_used_leaves_out_cgroup_v2_cache():
    data = sample()
    data["memory_stats"]["stats"] = {"inactive_file": 20 * 1024**2}
    assert stats_math.memory_used(data) == 30 * 1024**2


def test_memory_used_keeps_usage_when_cache_exceeds_it():
    data = sample()
    data["memory_stats"]["stats"] = {"total_inactive_file": 60 * 1024**2}
    assert stats_math.memory_used(data) == 50 * 1024**2


def test_totals_sum_networks():
    totals = stats_math.totals(sample())
    assert totals.network_rx == 6000
    assert totals.network_tx == 1500


def test_totals_read_block_operations():
    totals = stats_math.totals(sample())
    assert totals.block_read == 8192
    assert totals.block_write == 4096


def test_totals_read_cgroup_v2_operation_names():
    data = sample(
        blkio_stats={
            "io_service_bytes_recursive": [
                {"op": "read", "value": 100},
                {"op": "write", "value": 50},
            ]
        }
    )
    assert stats_math.totals(data).block_read == 100
    assert stats_math.totals(data).block_write == 50


def test_rate_zero_when_counter_went_back():
    assert stats_math.rate(10, 500, 1.0) == 0.0


def test_rate_zero_without_elapsed_time():
    assert stats_math.rate(500, 10, 0.0) == 0.0


def test_reading_first_sample_has_no_rates():
    reading, _ = stats_math.reading(sample(), None)
    assert reading.network_rx_rate == 0.0
    assert reading.block_write_rate == 0.0
    assert reading.cpu_percent == 100.0


def test_reading_rates_zero_when_counters_unchanged():
    _, first = stats_math.reading(sample(read="2026-01-01T00:00:00Z"), None)
    reading, _ = stats_math.reading(sample(), first)
    assert reading.network_rx_rate == 0.0
    assert reading.block_read_rate == 0.0


def test_reading_rates_per_second():
    _, first = stats_math.reading(sample(read="2026-01-01T00:00:00Z"), None)
    # 4 s later, 4000 more bytes received and 2000 more sent.
    later = sample(
        read="2026-01-01T00:00:04.000000000Z",
        networks={"eth0": {"rx_bytes": 10000, "tx_bytes": 3500}},
    )
    reading, _ = stats_math.reading(later, first)
    assert reading.network_rx_rate == 1000.0
    assert reading.network_tx_rate == 500.0


def test_reading_memory_percent():
    reading, _ = stats_math.reading(sample(), None)
    assert reading.memory_used == 40 * 1024**2
    assert reading.memory_limit == 200 * 1024**2
    assert reading.memory_percent == 20.0


def test_reading_of_stopped_container():
    stopped = {
        "read": "0001-01-01T00:00:00Z",
        "cpu_stats": {"cpu_usage": {"total_usage": 0}, "throttling_data": {}},
        "precpu_stats": {"cpu_usage": {"total_usage": 0}, "throttling_data": {}},
        "memory_stats": {},
        "blkio_stats": {},
    }
    reading, totals = stats_math.reading(stopped, None)
    assert reading.running is False
    assert reading.cpu_percent == 0.0
    assert reading.memory_percent == 0.0
    assert totals.read_at is None


def test_reading_message_type():
    reading, _ = stats_math.reading(sample(), None)
    message = reading.as_message()
    assert message["type"] == "stats"
    assert message["running"] is True
