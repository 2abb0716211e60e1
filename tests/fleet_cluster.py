"""Run by tests/test_fleet.py inside a network namespace that has only loopback: start a local
Ray cluster (a head without CPUs, two nodes carrying device:test), run the same search on one
machine and on the cluster, and a search whose label no node carries; print what happened as
JSON. Not a test module itself (it needs its own process, in that namespace)."""

import json
import os
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SPACE = """
name: fleet-test
space:
  groups: [1, 2, 3, 4, 8]
  scale: [0.25, 0.5]
  units: [[1, 2], [2], [1]]
  resolution: [64]
objectives: {minimize: [latency, macs]}
measure_top: 8
"""
QUICK = ["--windows", "3", "--window-time", "0.02"]


def cli(*args, timeout=600):
    """Run the CLI in a fresh process; (seconds, completed process)."""
    t = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "shufflenet_cli", *map(str, args)],
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    return time.perf_counter() - t, done


def store_rows(path: Path) -> dict:
    db = sqlite3.connect(path)
    measured = {
        name: {"count": count, "latency": latency, "measured_on": where}
        for name, count, latency, where in db.execute(
            "SELECT name, measure_count, latency, measured_on FROM measurements"
        )
    }
    screened = sorted(r[0] for r in db.execute("SELECT row FROM screened"))
    db.close()
    return {"measured": measured, "screened": screened}


def main(folder: str) -> None:
    from ray.cluster_utils import Cluster

    work = Path(folder)
    os.environ["PYTHONPATH"] = os.pathsep.join(
        [str(ROOT), *filter(None, [os.environ.get("PYTHONPATH")])]
    )
    (work / "space.yaml").write_text(SPACE)
    out = {}
    t = time.perf_counter()
    cluster = Cluster(
        initialize_head=True, head_node_args={"num_cpus": 0, "object_store_memory": 80 << 20}
    )
    try:
        workers = [
            cluster.add_node(num_cpus=1, resources={"device:test": 1}, object_store_memory=80 << 20)
            for _ in range(2)
        ]
        cluster.wait_for_nodes()
        out["cluster_start_s"] = time.perf_counter() - t
        space = work / "space.yaml"
        secs, single = cli(
            "search", space, "--store", work / "single.db", *QUICK, "--format", "json"
        )
        out["single"] = {
            "seconds": secs,
            "code": single.returncode,
            "stderr": single.stderr[-2000:],
        }
        secs, fleet = cli(
            "search", space, "--store", work / "ray.db", *QUICK, "--format", "json",
            "--ray", cluster.address, "--device", "test",
        )  # fmt: skip
        out["ray"] = {"seconds": secs, "code": fleet.returncode, "stderr": fleet.stderr[-2000:]}
        if single.returncode == 0 and fleet.returncode == 0:
            out["single"]["front"] = json.loads(single.stdout)
            out["ray"]["front"] = json.loads(fleet.stdout)
            out["single"]["store"] = store_rows(work / "single.db")
            out["ray"]["store"] = store_rows(work / "ray.db")
        secs, profiled = cli(
            "profile", "--preset", "mobilenet-v1-0.25", "--preset", "shufflenet-0.5x-g3",
            "--resolution", "64", "--baseline", "none", *QUICK, "--format", "json",
            "--ray", cluster.address, "--device", "test",
        )  # fmt: skip
        out["profile"] = {"code": profiled.returncode, "stderr": profiled.stderr[-2000:]}
        if profiled.returncode == 0:
            out["profile"]["rows"] = json.loads(profiled.stdout)
        secs, missing = cli(
            "search", space, *QUICK, "--ray", cluster.address, "--device", "missing",
            "--ray-wait", "3",
        )  # fmt: skip
        out["missing"] = {"seconds": secs, "code": missing.returncode, "stderr": missing.stderr}
        out["nodes"] = sorted(w.node_id[:8] for w in workers)
    finally:
        cluster.shutdown()
    print(json.dumps(out))


if __name__ == "__main__":
    main(sys.argv[1])
