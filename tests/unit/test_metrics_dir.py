"""Where `fenghuo serve` processes share their request metrics (fenghuo.api.metrics, issue 20
item 7): prometheus_client's multiprocess directory, empty at every start."""

from __future__ import annotations

import os

from fenghuo.api import metrics


def test_several_processes_get_a_fresh_directory_removed_at_the_end(monkeypatch, tmp_path):
    monkeypatch.delenv(metrics.MULTIPROC_ENV, raising=False)
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    with metrics.multiprocess_dir(1) as none:
        assert none is None and metrics.MULTIPROC_ENV not in os.environ
    with metrics.multiprocess_dir(2) as made:
        assert os.environ[metrics.MULTIPROC_ENV] == made
        assert os.path.isdir(made) and os.listdir(made) == []
    assert metrics.MULTIPROC_ENV not in os.environ and not os.path.exists(made)


def test_the_operator_s_directory_is_emptied_of_an_earlier_run(monkeypatch, tmp_path):
    given = tmp_path / "prom"
    given.mkdir()
    (given / "counter_4242.db").write_bytes(b"stale")
    (given / "README").write_text("not ours")
    monkeypatch.setenv(metrics.MULTIPROC_ENV, str(given))
    with metrics.multiprocess_dir(1) as used:
        assert used == str(given)
        assert sorted(p.name for p in given.iterdir()) == ["README"]
    assert given.is_dir()  # the operator's: kept
