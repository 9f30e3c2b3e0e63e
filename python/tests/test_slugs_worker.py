"""The example worker of docs/api-jobs.md (docs/examples/slugs_worker.py), spoken to as quern
speaks to it: protocol quern-command version 1, one JSON line per record on stdin, one back."""

import json
import os
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
WORKER = os.path.join(ROOT, "docs", "examples", "slugs_worker.py")
HEADER = {"protocol": "quern-command", "version": 1, "columns": ["url", "title"]}


def talk(titles, *args):
    """Runs the worker on one record per title; returns its exit status and its lines, parsed."""
    lines = [json.dumps(HEADER)]
    for i, title in enumerate(titles):
        lines.append(json.dumps({"line": i + 2, "record": {"url": f"https://e.com/{i}", "title": title}}))
    done = subprocess.run(
        [sys.executable, WORKER, *args], input="\n".join(lines) + "\n", capture_output=True, text=True, timeout=60
    )
    return done.returncode, [json.loads(line) for line in done.stdout.splitlines()], done.stderr


def test_the_header_declares_no_features_and_each_record_gets_one_line_in_order():
    status, out, _ = talk(["Hello, World!", "  ", "Ça marche: déjà vu"], "--cost", "0.5")
    assert status == 0
    assert out[0] == {"protocol": "quern-command", "version": 1, "features": [], "labels": [], "masks": []}
    assert out[1:] == [
        {"line": 2, "result": {"url": "https://e.com/0", "slug": "hello-world"}, "cost": 0.5},
        {"line": 3, "skip": "no title"},
        {"line": 4, "result": {"url": "https://e.com/2", "slug": "ca-marche-deja-vu"}, "cost": 0.5},
    ]


def test_slugs_are_deterministic_ascii_and_bounded():
    sys.path.insert(0, os.path.dirname(WORKER))
    try:
        import slugs_worker
    finally:
        sys.path.pop(0)
    assert slugs_worker.slugify("  Über -- Straße 42 ") == "uber-strae-42"
    assert slugs_worker.slugify("x" * 200) == "x" * 80
    assert slugs_worker.slugify("Same") == slugs_worker.slugify("Same")


def test_it_can_fail_ask_for_retries_and_log_what_it_is_sent(tmp_path):
    log = tmp_path / "sent.log"
    status, out, _ = talk(["ok", "BUSY one", "NO thanks"], "--retry-on", "BUSY", "--retry-times", "1", "--fail-on", "NO", "--log", str(log))
    assert status == 0
    assert out[2] == {"line": 3, "error": "the model is busy", "retry": True, "cost": 0}
    assert out[3] == {"line": 4, "error": "the model refused this title", "cost": 0.001}
    assert log.read_text().split() == ["https://e.com/0", "https://e.com/1", "https://e.com/2"]


def test_it_dies_on_request_once_or_always(tmp_path):
    status, out, err = talk(["a", "FATAL b", "c"], "--die-on", "FATAL")
    assert status == 3 and len(out) == 2 and "cannot handle 'FATAL b'" in err
    marker = tmp_path / "died"
    status, _, _ = talk(["ONCE"], "--die-once-on", "ONCE", "--marker", str(marker))
    assert status == 3 and marker.exists()
    status, out, _ = talk(["ONCE", "ONCE too"], "--die-once-on", "ONCE", "--marker", str(marker))
    assert status == 3 and len(out) == 2 and out[1]["result"]["slug"] == "once"
    status, out, _ = talk(["ONCE", "ONCE too"], "--die-once-on", "ONCE", "--marker", str(marker))
    assert status == 0 and len(out) == 3


def test_a_header_of_another_protocol_is_refused():
    done = subprocess.run([sys.executable, WORKER], input='{"protocol": "other"}\n', capture_output=True, text=True)
    assert done.returncode == 2 and "expected a quern-command version 1 header" in done.stderr


if __name__ == "__main__":
    sys.exit(pytest.main([__file__, "-q"]))
