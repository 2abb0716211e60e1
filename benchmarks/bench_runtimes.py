"""Latency per runtime and dtype as one markdown table (benchmarks/README.md, "Deployment
runtimes"), from `profile --format json` outputs.

    flock /tmp/cpu-latency.lock sh -c '
      N="--groups 1,2,3,4,8 --preset mobilenet-v1-1.0 --baseline 0.5"
      shufflenet-cli profile $N --backend executorch,onnxruntime,eager --format json -o fp32.json
      shufflenet-cli profile $N --backend executorch,onnxruntime,eager --dtype int8 \\
          --format json -o int8.json
      shufflenet-cli profile $N --backend ncnn --format json -o ncnn.json
      shufflenet-cli profile --groups 1,2,3,4,8 --baseline none --formulation deploy \\
          --backend executorch,onnxruntime,ncnn --format json -o deploy.json'
    python benchmarks/bench_runtimes.py fp32.json int8.json ncnn.json deploy.json

Each cell: median ms (± IQR; '!' noisy), [relative error vs fp32] for int8, or the reason the
runtime could not run the network.
"""

import json
import sys
from pathlib import Path


def columns(rows: list[dict], label: str) -> dict[str, dict[str, str]]:
    """{column header: {network: cell}} for every backend measured in one profile output."""
    backends = [k[len("latency_ms_") :] for k in rows[0] if k.startswith("latency_ms_")]
    out: dict[str, dict[str, str]] = {}
    for b in backends:
        cells = {}
        for r in rows:
            error = r.get(f"latency_error_{b}")
            if error:
                cells[r["name"]] = "n/a: " + error.split(":")[0]
                continue
            ms, spread = r[f"latency_ms_{b}"], r[f"latency_spread_ms_{b}"]
            text = f"{ms:.2f} ± {spread:.2f}" + (" !" if r[f"latency_noisy_{b}"] else "")
            rel = r.get(f"latency_rel_error_{b}")
            cells[r["name"]] = text + (f" [{rel:.1%}]" if rel is not None else "")
        out[f"{b} {label}"] = cells
    return out


def main(paths: list[str]) -> None:
    table: dict[str, dict[str, str]] = {}
    names: list[str] = []
    for path in paths:
        rows = json.loads(Path(path).read_text())
        dtype = rows[0]["dtype"]
        label = dtype + (" deploy" if "deploy" in Path(path).stem else "")
        for r in rows:
            if r["name"] not in names:
                names.append(r["name"])
        table.update(columns(rows, label))
    headers = list(table)
    print("| network | " + " | ".join(headers) + " |")
    print("|---|" + "---:|" * len(headers))
    for n in names:
        print(f"| {n} | " + " | ".join(table[h].get(n, "-") for h in headers) + " |")


if __name__ == "__main__":
    main(sys.argv[1:])
