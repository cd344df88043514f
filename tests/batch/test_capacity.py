"""``--workers`` capped by the reports to build and by the memory available (issue 12,
point 6): ``--workers 256`` used to start 256 workers, and ``--workers 3`` for one report three
(1.6 GB against 0.9 GB)."""

from __future__ import annotations

import pytest

from hemei_tools.batch import capacity
from hemei_tools.batch.capacity import PER_WORKER_BYTES, cap_workers, job_bound, mem_available


def test_mem_available_reads_proc_meminfo(tmp_path):
    f = tmp_path / "meminfo"
    f.write_text("MemTotal:       24000000 kB\nMemFree:  1000 kB\nMemAvailable:    2048000 kB\n", encoding="ascii")
    assert mem_available(f) == 2_048_000 * 1024
    f.write_text("MemTotal: 5 kB\n", encoding="ascii")
    assert mem_available(f) is None
    assert mem_available(tmp_path / "missing") is None


def test_cap_by_memory_and_by_jobs():
    assert PER_WORKER_BYTES == 900_000_000
    # 24 GB available: floor(24e9 / 0.9e9) = 26 workers fit
    assert cap_workers(256, available=24_000_000_000) == (26, "memory")
    assert cap_workers(3, jobs=1, available=24_000_000_000) == (1, "jobs")
    assert cap_workers(4, jobs=10, available=None) == (4, None)  # memory unknown: not capped by it
    assert cap_workers(8, available=100_000_000) == (1, "memory")  # never below one
    assert cap_workers(2, jobs=2, available=1_800_000_000) == (2, None)
    assert cap_workers(5, jobs=3, available=1_800_000_000) == (2, "memory")  # the tighter cap is said
    assert cap_workers(0, available=None) == (1, None)


def test_cap_reads_the_machine_by_default(monkeypatch):
    monkeypatch.setattr(capacity, "mem_available", lambda: 2 * PER_WORKER_BYTES + 1)
    assert cap_workers(16) == (2, "memory")


@pytest.mark.parametrize(("counties", "levels", "overview", "selection", "bound"), [
    ("all", ("county",), True, True, None),
    ("340722", ("county",), False, False, 1),
    ("340722,340705,340722", ("county",), True, False, 3),
    (["340722", "340705"], ("city", "county"), True, True, 6),
])
def test_job_bound_before_the_data_are_read(counties, levels, overview, selection, bound):
    assert job_bound(counties, levels, overview, selection) == bound


def test_batch_starts_one_worker_for_one_report_and_says_so(demo_dir, tmp_path, monkeypatch, capsys):
    from hemei_tools.batch import run as batch_run

    sizes = []

    class PlannedError(Exception):
        pass

    class Pool:
        def close(self):
            pass

    def start_pool(workers, out_dir):
        sizes.append(workers)
        return Pool()

    def build_all(jobs, *args, **kwargs):
        raise PlannedError(len(jobs))

    monkeypatch.setattr(batch_run, "start_pool", start_pool)
    monkeypatch.setattr(batch_run, "_build_all", build_all)
    monkeypatch.setattr(capacity, "mem_available", lambda: 64 * PER_WORKER_BYTES)
    with pytest.raises(PlannedError):
        batch_run.run_batch(demo_dir, tmp_path / "out", counties="340722", workers=3, overview=False,
                            selection=False, progress=False)
    assert sizes == [1]  # before the change: 3 workers warmed up for one report
    assert "并行进程：1 个（要求 3 个，但只有 1 份报告要生成）" in capsys.readouterr().err


def test_batch_memory_cap_is_said(monkeypatch, capsys):
    from hemei_tools.batch import run as batch_run

    monkeypatch.setattr(capacity, "mem_available", lambda: 3 * PER_WORKER_BYTES)
    assert batch_run._memory_capped(256) == 3
    err = capsys.readouterr().err
    assert err.strip() == "并行进程：3 个（要求 256 个；可用内存 2.7 GB，每个进程约需 0.9 GB）"
    assert batch_run._memory_capped(2) == 2 and capsys.readouterr().err == ""
