"""Measuring on a Ray fleet: labels, bounded waits, and search phase 2 spread over nodes."""

import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from shufflenet_cli import UserError
from shufflenet_cli.explore.fleet import Fleet
from shufflenet_cli.explore.fleet import where_measured

HERE = Path(__file__).resolve().parent


def test_a_label_with_spaces_or_no_address_is_refused():
    with pytest.raises(UserError, match="without spaces"):
        Fleet("auto", "pi 4")
    with pytest.raises(UserError, match="head's address"):
        Fleet("", "pi4")
    with pytest.raises(UserError, match="ray-wait"):
        Fleet("auto", "pi4", wait=0)


def test_without_ray_installed_the_fleet_says_which_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "ray", None)  # import ray now raises ImportError
    with pytest.raises(UserError, match=r"shufflenet-cli\[cluster\]"):
        Fleet("127.0.0.1:6379", "pi4").connect()


def test_an_unreachable_head_fails_at_once_not_after_rays_retries():
    pytest.importorskip("ray", reason="the fleet needs the [cluster] extra")
    t = time.perf_counter()
    with pytest.raises(UserError, match="cannot reach 127.0.0.1:1"):
        Fleet("127.0.0.1:1", "pi4", wait=5).connect()
    assert time.perf_counter() - t < 5
    with pytest.raises(UserError, match="is not host:port"):
        Fleet("head-without-port", "pi4", wait=5).connect()


def test_rows_say_where_they_were_measured():
    w = where_measured("pi4", "5c1f09aa0b7e")
    assert w["device"] == "pi4" and w["node"] == "5c1f09aa"
    assert w["text"] == f"pi4:{w['host']}/5c1f09aa"


def _loopback_namespace_works() -> bool:
    if shutil.which("unshare") is None or shutil.which("ip") is None:
        return False
    done = subprocess.run(
        ["unshare", "--net", "--", "ip", "link", "set", "lo", "up"], capture_output=True
    )
    return done.returncode == 0


@pytest.mark.slow
def test_search_phase_2_and_profile_run_on_a_local_ray_cluster(tmp_path):
    pytest.importorskip("ray", reason="the fleet needs the [cluster] extra")
    if not _loopback_namespace_works():
        pytest.skip("needs `unshare --net` (root) to keep Ray's traffic on loopback")
    script = f"ip link set lo up && exec {sys.executable} {HERE / 'fleet_cluster.py'} {tmp_path}"
    done = subprocess.run(
        ["unshare", "--net", "--", "sh", "-c", script],
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    out = json.loads(done.stdout.strip().splitlines()[-1])
    single, fleet = out["single"], out["ray"]
    assert single["code"] == 0, single["stderr"]
    assert fleet["code"] == 0, fleet["stderr"]

    # phase 2 ran on the two labelled nodes, in parallel (two batches of four, one per node)
    where = {r["measured_on"] for r in fleet["store"]["measured"].values()}
    assert {w.rsplit("/", 1)[1] for w in where} == set(out["nodes"])
    assert all(w.startswith("test:") for w in where)
    assert all(r["measured_on"] is None for r in single["store"]["measured"].values())

    # the stores hold the same candidates, screened and measured once each, as on one machine
    assert fleet["store"]["screened"] == single["store"]["screened"]
    assert fleet["store"]["measured"].keys() == single["store"]["measured"].keys()
    assert len(fleet["store"]["measured"]) == 8
    for name, row in fleet["store"]["measured"].items():
        assert row["count"] == 1 == single["store"]["measured"][name]["count"]
        assert row["latency"] > 0 and single["store"]["measured"][name]["latency"] > 0
    assert {r["name"] for r in fleet["front"]} <= fleet["store"]["measured"].keys()

    # profile measures all its networks in one task on one labelled node, and says which
    profiled = out["profile"]
    assert profiled["code"] == 0, profiled["stderr"]
    (node,) = {r["latency_measured_on"] for r in profiled["rows"]}
    assert node.startswith("test:") and node.rsplit("/", 1)[1] in out["nodes"]
    assert all(r["latency_ms"] > 0 for r in profiled["rows"])

    # a label no node carries: one line, within the bounded wait (plus Ray's start-up)
    missing = out["missing"]
    assert missing["code"] == 2
    # Ray's C++ core warns on stderr (a line and a blank one) that the namespace has no route
    # out to find its address by; on a network it does not, and the command prints one line
    lines = [x for x in missing["stderr"].splitlines() if x.strip() and "network_util" not in x]
    assert len(lines) == 1 and "no node of the cluster" in lines[0], missing["stderr"]
    assert "device:missing" in lines[0] and "labels there: test" in lines[0]
    assert missing["seconds"] < 3 + 20
