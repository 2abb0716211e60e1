"""Hostile cases: run a table of bad inputs and bad file systems against the CLI, count what held.

Run: python benchmarks/hostile_cases.py [--jobs 2] [--only CLASS]

Each case runs ``python -m shufflenet_cli ...`` in a fresh process (address space capped at
4 GiB, 120 s timeout), timed and measured with ``wait4`` (peak RSS). A case holds when the exit
code is one it allows (0, or 2 with exactly one stderr line ``error: ...``; 143 after SIGTERM),
no traceback appears, and its own check of the file system passes (old files kept, nothing
written outside, links and FIFOs still what they were). Prints tried/held by class, the cases
that failed, and the worst input by time and by peak memory. Mounting a small tmpfs needs root;
those cases are skipped elsewhere.
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import os
import resource
import signal
import sqlite3
import stat
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from dataclasses import field
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from shufflenet_cli.files import current_umask  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
ADDRESS_SPACE = 4 << 30
TIMEOUT = 120
CLI = [sys.executable, "-m", "shufflenet_cli"]


@dataclass
class Case:
    """One hostile input: how to set it up, which exit codes hold, what else must hold."""

    cls: str
    label: str
    setup: Callable[[Path], list[str]]  # returns the CLI arguments
    codes: tuple[int, ...] = (0, 2)
    check: Callable[[Path, Run], bool] | None = None
    sigterm_after: float | None = None
    latency: bool = False  # measures latency: run under /tmp/cpu-latency.lock
    needs_mount: bool = False
    stdout_to: str | None = None  # a device for stdout, e.g. /dev/full


@dataclass
class Run:
    """What a case's process did."""

    code: int
    stdout: str
    stderr: str
    seconds: float
    peak_rss: int
    notes: list[str] = field(default_factory=list)


# ----------------------------------------------------------------------------- helpers


def write(path: Path, data) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(data, bytes):
        path.write_bytes(data)
    else:
        path.write_text(data if isinstance(data, str) else yaml.safe_dump(data))
    return path


def mount_tmpfs(path: Path, size: str) -> bool:
    path.mkdir(parents=True, exist_ok=True)
    cmd = ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path)]
    return subprocess.run(cmd, capture_output=True).returncode == 0


def umount_all(tmp: Path) -> None:
    for line in Path("/proc/mounts").read_text().splitlines():
        where = line.split()[1]
        if where.startswith(str(tmp)):
            subprocess.run(["umount", "-l", where], capture_output=True)


def can_mount() -> bool:
    with tempfile.TemporaryDirectory() as d:
        ok = mount_tmpfs(Path(d) / "m", "16k")
        umount_all(Path(d))
        return ok


def run_case(case: Case, tmp: Path) -> Run:
    args = case.setup(tmp)
    out_path, err_path = tmp / ".case-stdout", tmp / ".case-stderr"
    with contextlib.ExitStack() as stack:
        out = stack.enter_context(open(case.stdout_to or out_path, "wb"))
        err = stack.enter_context(open(err_path, "wb"))

        def cap() -> None:
            resource.setrlimit(resource.RLIMIT_AS, (ADDRESS_SPACE, ADDRESS_SPACE))

        env = {**os.environ, "PYTHONPATH": str(ROOT), "COLUMNS": "200"}
        t0 = time.perf_counter()
        proc = subprocess.Popen(
            CLI + args, cwd=tmp / "cwd", stdout=out, stderr=err, preexec_fn=cap, env=env
        )
        signalled = False
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            elapsed = time.perf_counter() - t0
            if case.sigterm_after is not None and not signalled and elapsed > case.sigterm_after:
                proc.send_signal(signal.SIGTERM)
                signalled = True
            if elapsed > TIMEOUT:
                proc.kill()
            time.sleep(0.02)
        seconds = time.perf_counter() - t0
        proc.returncode = os.waitstatus_to_exitcode(status)
    stdout = "" if case.stdout_to else out_path.read_text(errors="replace")
    stderr = err_path.read_text(errors="replace")
    out_path.unlink(missing_ok=True)
    err_path.unlink(missing_ok=True)
    return Run(proc.returncode, stdout, stderr, seconds, usage.ru_maxrss * 1024)


def held(case: Case, tmp: Path, run: Run) -> bool:
    if run.code not in case.codes:
        run.notes.append(f"exit {run.code}")
        return False
    if "Traceback" in run.stderr:
        run.notes.append("traceback")
        return False
    if run.code in (2, 143, 130):
        lines = [x for x in run.stderr.splitlines() if x.strip()]
        if not lines or not lines[-1].startswith("error: ") or len(lines) > 1:
            run.notes.append(f"stderr {run.stderr[-200:]!r}")
            return False
    if case.check is not None and not case.check(tmp, run):
        run.notes.append("check failed")
        return False
    return True


def only_these(*names: str) -> Callable[[Path, Run], bool]:
    """Check: the case folder holds exactly these entries afterwards (nothing else written)."""

    def check(tmp: Path, run: Run) -> bool:
        got = sorted(p.name for p in tmp.iterdir() if not p.name.startswith(".case-"))
        got += [f"cwd/{p.name}" for p in (tmp / "cwd").iterdir()]
        ok = got == sorted(set(names) | {"cwd"})
        if not ok:
            run.notes.append(f"folder holds {got}")
        return ok

    return check


def made_or_refused(*inputs: str) -> Callable[[Path, Run], bool]:
    """Check: exit 0 made the report folder r (and nothing else); exit 2 made nothing."""

    def check(tmp: Path, run: Run) -> bool:
        return only_these(*inputs, *(["r"] if run.code == 0 else []))(tmp, run)

    return check


# ----------------------------------------------------------------------------- the table

BAD_VALUES = {
    "whole float": 224.0,
    "fraction": 2.5,
    "negative": -1,
    "zero": 0,
    "nan": float("nan"),
    "inf": float("inf"),
    "-inf": float("-inf"),
    "huge int": 10**30,
    "text": "many",
    "empty list": [],
    "null": None,
    "mapping": {"a": 1},
    "bool": True,
    "list": [1, 2],
    "control chars": "\x1b[31mx\n",
}
RULE_FIELDS = [
    "groups",
    "scale",
    "stem_channels",
    "stage_channels",
    "units",
    "bottleneck_ratio",
    "resolution",
    "num_classes",
    "in_channels",
    "shuffle",
    "first_pointwise_grouped",
    "name",
    "paper",
    "family",
]
STAGE_FIELDS = ["out_channels", "units", "groups", "bottleneck_ratio"]
MOBILENET_FIELDS = ["width", "resolution", "num_classes", "in_channels", "name"]
SPACE_FIELDS = [
    "groups",
    "scale",
    "units",
    "stage_groups",
    "bottleneck_ratio",
    "stem_channels",
    "resolution",
    "shuffle",
]


def spec_case(cls: str, label: str, doc, command: str = "show") -> Case:
    def setup(tmp: Path) -> list[str]:
        write(tmp / "spec.yaml", doc)
        if command == "show":
            return ["show", "../spec.yaml"]
        return ["profile", "--spec", "../spec.yaml", "--no-latency", "--format", "json"]

    return Case(cls, label, setup, check=only_these("spec.yaml"))


def space_case(cls: str, label: str, doc, *extra: str, codes=(0, 2)) -> Case:
    def setup(tmp: Path) -> list[str]:
        write(tmp / "space.yaml", doc)
        return ["search", "../space.yaml", "--format", "json", *extra]

    return Case(cls, label, setup, codes=codes, check=only_these("space.yaml"))


def value_cases() -> list[Case]:
    cases = []
    for f in RULE_FIELDS:
        for vname, v in BAD_VALUES.items():
            cases.append(spec_case("spec values", f"{f}: {vname}", {"groups": 3, f: v}))
    for f in STAGE_FIELDS:
        for vname, v in BAD_VALUES.items():
            stage = {"out_channels": 240, "units": 4, "groups": 3, f: v}
            cases.append(spec_case("spec values", f"stages[0].{f}: {vname}", {"stages": [stage]}))
    for f in MOBILENET_FIELDS:
        for vname, v in BAD_VALUES.items():
            doc = {"family": "mobilenet", f: v}
            cases.append(spec_case("spec values", f"mobilenet {f}: {vname}", doc))
    for f in SPACE_FIELDS:
        for vname, v in BAD_VALUES.items():
            doc = {"space": {f: v}}
            cases.append(space_case("space values", f"space.{f}: {vname}", doc))
    for f in ["trials", "seed", "strategy", "measure_top", "name"]:
        for vname, v in BAD_VALUES.items():
            doc = {"space": {"groups": [3]}, f: v, "strategy": "random"}
            if f == "strategy":
                doc[f] = v
            cases.append(space_case("space values", f"{f}: {vname}", doc))
    for vname, v in BAD_VALUES.items():
        doc = {"space": {"groups": [3]}, "constraints": {"max_mflops": v}}
        cases.append(space_case("space values", f"constraints.max_mflops: {vname}", doc))
        doc = {"space": {"scale": {"min": 0.5, "max": v, "step": 0.25}}}
        cases.append(space_case("space values", f"scale range max: {vname}", doc))
    return cases


def yaml_cases() -> list[Case]:
    bomb = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for i in range(1, 9):
        p, c = chr(96 + i), chr(97 + i)
        bomb.append(f"{c}: &{c} [" + ",".join([f"*{p}"] * 9) + "]")
    texts = {
        "alias bomb (630 bytes)": "\n".join(bomb) + "\n",
        "one alias": "base: &b 3\ngroups: *b\n",
        "merge key": "x: &x {groups: 3}\n<<: *x\n",
        "nesting 40 deep": "a: " + "[" * 40 + "]" * 40 + "\n",
        "nesting 5000 deep": "a: " + "[" * 5000 + "]" * 5000 + "\n",
        "two documents": "groups: 3\n---\ngroups: 8\n",
        "python tag": "groups: !!python/object/apply:os.system ['true']\n",
        "unknown tag": "groups: !mytag 3\n",
        "5000-digit int": "groups: " + "9" * 5000 + "\n",
        "bad date": "resolution: 2020-13-45\n",
        "binary": b"\x00\x01\x02\xff\xfe",
        "latin-1": "name: caf\xe9\n".encode("latin-1"),
        "BOM": "\ufeffgroups: 3\n",
        "tabs": "groups:\t3\n\tscale: 1\n",
        "only a comment": "# nothing\n",
        "empty": "",
        "a scalar": "3\n",
        "a list": "- 1\n- 2\n",
        "null document": "~\n",
        "unclosed": "stages: [\n",
        "key is a list": "? [a, b]\n: 3\n",
        "key is an int": "1: 2\n",
        "NUL in text": "name: a\x00b\n",
        "long name": "name: " + "x" * 5000 + "\n",
        "megabyte of spaces": " " * (1 << 20) + "\n",
        "many keys": "".join(f"k{i}: {i}\n" for i in range(20000)),
        "long list": "units: [" + ",".join(["4"] * 100000) + "]\n",
    }
    cases = []
    for label, text in texts.items():
        for command in ("show", "profile"):
            cases.append(spec_case("YAML and reading", f"spec {command}: {label}", text, command))
        cases.append(space_case("YAML and reading", f"space: {label}", text))

    def special(path: str, label: str) -> Case:
        return Case(
            "YAML and reading",
            label,
            lambda tmp: ["profile", "--spec", path, "--no-latency"],
            check=only_these(),
        )

    cases += [special(p, f"spec {p}") for p in ("/dev/zero", "/dev/urandom", "/dev/null", "/")]

    def sparse(tmp: Path) -> list[str]:
        with open(tmp / "big.yaml", "wb") as f:
            f.truncate(1 << 40)
        return ["profile", "--spec", "../big.yaml", "--no-latency"]

    cases.append(
        Case("YAML and reading", "1 TiB sparse spec", sparse, check=only_these("big.yaml"))
    )

    def fifo_spec(tmp: Path) -> list[str]:
        os.mkfifo(tmp / "spec.fifo")

        def feed() -> None:
            with open(tmp / "spec.fifo", "w") as f:
                f.write("groups: 8\n")

        threading.Thread(target=feed, daemon=True).start()
        return ["profile", "--spec", "../spec.fifo", "--no-latency", "--format", "json"]

    cases.append(Case("YAML and reading", "spec from a FIFO", fifo_spec, codes=(0,)))

    def endless_fifo(tmp: Path) -> list[str]:
        os.mkfifo(tmp / "spec.fifo")

        def feed() -> None:
            with contextlib.suppress(OSError), open(tmp / "spec.fifo", "w") as f:
                while True:
                    f.write("# " + "x" * 4094 + "\n")

        threading.Thread(target=feed, daemon=True).start()
        return ["profile", "--spec", "../spec.fifo", "--no-latency"]

    cases.append(Case("YAML and reading", "endless FIFO", endless_fifo, codes=(2,)))
    return cases


def caps_cases() -> list[Case]:
    cases = []
    for n in (2, 3, 4, 6, 8):
        doc = {
            "space": {
                "groups": {"min": 1, "max": 64},
                "scale": {"min": 0.1, "max": 16, "step": 0.1},
                "units": [{"min": 1, "max": 16} for _ in range(n)],
            }
        }
        cases.append(space_case("caps", f"grid over {n} stages", doc, codes=(2,)))
    cases.append(
        space_case(
            "caps",
            "grid of 10^13",
            {
                "space": {
                    "groups": {"min": 1, "max": 100},
                    "scale": {"min": 0.01, "max": 16, "step": 0.01},
                    "units": [{"min": 1, "max": 100} for _ in range(3)],
                    "bottleneck_ratio": {"min": 0.01, "max": 4, "step": 0.01},
                }
            },
            codes=(2,),
        )
    )
    cases.append(
        space_case(
            "caps",
            "range of 10^9 values",
            {"space": {"resolution": {"min": 32, "max": 10**9}}},
            codes=(2,),
        )
    )
    for trials in (10**6, 10**9, 10**18):
        doc = {"space": {"groups": [1, 3]}, "strategy": "random", "trials": trials}
        cases.append(space_case("caps", f"trials {trials} in the file", doc, codes=(2,)))
        cases.append(
            space_case(
                "caps",
                f"--trials {trials}",
                {"space": {"groups": [1, 3]}},
                "--strategy",
                "random",
                "--trials",
                str(trials),
                codes=(2,),
            )
        )
    for res in (4096, 8192):
        cases.append(
            Case(
                "caps",
                f"resolution {res} with latency (4 GiB address space)",
                lambda tmp, r=res: (
                    ["profile", "--groups", "3", "--baseline", "none"] + ["--resolution", str(r)]
                ),
                codes=(2,),
            )
        )
    cases.append(
        Case(
            "caps",
            "show at resolution 8192",
            lambda tmp: ["show", str(write(tmp / "s.yaml", {"groups": 8, "resolution": 8192}))],
        )
    )
    return cases


def output_cases(mount: bool) -> list[Case]:
    prof = ["profile", "--groups", "3", "--no-latency", "--format", "json", "-o"]
    cases = []

    def symlink(tmp: Path) -> list[str]:
        write(tmp / "real.json", "old")
        (tmp / "link.json").symlink_to(tmp / "real.json")
        return prof + ["../link.json"]

    def symlink_kept(tmp: Path, run: Run) -> bool:
        return (tmp / "link.json").is_symlink() and "shufflenet" in (tmp / "real.json").read_text()

    cases.append(Case("output files", "-o symlink", symlink, (0,), symlink_kept))

    def dangling(tmp: Path) -> list[str]:
        (tmp / "link.json").symlink_to(tmp / "made.json")
        return prof + ["../link.json"]

    cases.append(
        Case(
            "output files",
            "-o dangling symlink",
            dangling,
            (0,),
            lambda tmp, run: (tmp / "link.json").is_symlink() and (tmp / "made.json").exists(),
        )
    )

    def fifo(tmp: Path) -> list[str]:
        os.mkfifo(tmp / "pipe")
        threading.Thread(
            target=lambda: (tmp / "got").write_text((tmp / "pipe").read_text()), daemon=True
        ).start()
        return prof + ["../pipe"]

    def fifo_kept(tmp: Path, run: Run) -> bool:
        time.sleep(0.2)
        return (
            stat.S_ISFIFO(os.lstat(tmp / "pipe").st_mode)
            and "shufflenet" in (tmp / "got").read_text()
        )

    cases.append(Case("output files", "-o FIFO", fifo, (0,), fifo_kept))
    cases.append(
        Case(
            "output files",
            "-o /dev/null",
            lambda tmp: prof + ["/dev/null"],
            (0,),
            lambda tmp, run: stat.S_ISCHR(os.stat("/dev/null").st_mode),
        )
    )
    cases.append(Case("output files", "-o /dev/full", lambda tmp: prof + ["/dev/full"], (2,)))
    cases.append(
        Case(
            "output files",
            "stdout is /dev/full",
            lambda tmp: ["profile", "--groups", "3", "--no-latency"],
            (2,),
            stdout_to="/dev/full",
        )
    )
    cases.append(
        Case(
            "output files",
            "stdout json is /dev/full",
            lambda tmp: ["profile", "--groups", "3", "--no-latency", "--format", "json"],
            (2,),
            stdout_to="/dev/full",
        )
    )

    def hardlink(tmp: Path) -> list[str]:
        write(tmp / "a.json", "old" * 1000)
        os.link(tmp / "a.json", tmp / "b.json")
        return prof + ["../a.json"]

    cases.append(
        Case(
            "output files",
            "-o hard link",
            hardlink,
            (0,),
            lambda tmp, run: (
                (tmp / "b.json").read_text() == (tmp / "a.json").read_text() != "old" * 1000
            ),
        )
    )

    def mode(tmp: Path) -> list[str]:
        write(tmp / "m.json", "old")
        (tmp / "m.json").chmod(0o640)
        return prof + ["../m.json"]

    cases.append(
        Case(
            "output files",
            "-o keeps the old mode",
            mode,
            (0,),
            lambda tmp, run: stat.S_IMODE((tmp / "m.json").stat().st_mode) == 0o640,
        )
    )
    cases.append(
        Case(
            "output files",
            "-o new file has the umask's mode",
            lambda tmp: prof + ["../n.json"],
            (0,),
            lambda tmp, run: (
                stat.S_IMODE((tmp / "n.json").stat().st_mode) == 0o666 & ~current_umask()
            ),
        )
    )
    for label, target in [
        ("-o a folder", "."),
        ("-o in a missing folder", "../missing/x.json"),
        ("-o through a file", "../f.txt/x.json"),
    ]:

        def setup(tmp: Path, t=target) -> list[str]:
            write(tmp / "f.txt", "keep")
            return prof + [t]

        cases.append(
            Case(
                "output files",
                label,
                setup,
                (2,),
                lambda tmp, run: (tmp / "f.txt").read_text() == "keep",
            )
        )
    space = {
        "space": {"groups": [3, 8], "scale": [0.5, 1.0]},
        "objectives": {"minimize": ["macs", "memory"]},
    }

    def specs_existing(tmp: Path) -> list[str]:
        write(tmp / "space.yaml", space)
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        args = ["search", str(tmp / "space.yaml"), "--write-specs", str(tmp / "front")]
        subprocess.run(CLI + args, capture_output=True, env=env)
        mine = sorted((tmp / "front").iterdir())[0]  # now the user's own file
        write(mine, "# mine\n")
        write(tmp / "mine-name", mine.name)
        return ["search", "../space.yaml", "--write-specs", "../front", "--format", "json"]

    def mine(tmp: Path) -> Path:
        return tmp / "front" / (tmp / "mine-name").read_text()

    cases.append(
        Case(
            "output files",
            "--write-specs over a user's file",
            specs_existing,
            (2,),
            lambda tmp, run: mine(tmp).read_text() == "# mine\n",
        )
    )

    def specs_forced(tmp: Path) -> list[str]:
        return specs_existing(tmp) + ["--force"]

    cases.append(
        Case(
            "output files",
            "--write-specs --force",
            specs_forced,
            (0,),
            lambda tmp, run: "family" in mine(tmp).read_text(),
        )
    )

    def plot_symlink(tmp: Path) -> list[str]:
        write(tmp / "space.yaml", space)
        write(tmp / "real.html", "old")
        (tmp / "p.html").symlink_to(tmp / "real.html")
        return ["search", "../space.yaml", "--plot", "../p.html", "--format", "json"]

    cases.append(
        Case(
            "output files",
            "--plot symlink",
            plot_symlink,
            (0,),
            lambda tmp, run: (
                (tmp / "p.html").is_symlink() and "plotly" in (tmp / "real.html").read_text()
            ),
        )
    )
    rep = ["report", "--groups", "3", "--scales", "1", "--mobilenet-widths", "0.5", "--no-latency"]
    for label, name in [
        ("absolute name", "/tmp/evil-abs"),
        ("dot-dot name", "../../evil"),
        ("slash name", "a/b"),
        ("newline name", "a\nb"),
        ("ANSI name", "\x1b[2J"),
        ("bidi name", "a\u202eb"),
        ("pipe name", "a|b"),
        ("backquote name", "a`b"),
        ("200-char name", "n" * 200),
        ("empty name", ""),
        ("space-padded name", " x "),
    ]:

        def setup(tmp: Path, n=name) -> list[str]:
            write(tmp / "s.yaml", {"groups": 3, "scale": 0.75, "name": n})
            return rep + ["--spec", "../s.yaml", "--out", "../r"]

        cases.append(
            Case(
                "names and paths",
                f"report spec with {label}",
                setup,
                (0, 2),
                made_or_refused("s.yaml"),
            )
        )

    def clash(tmp: Path) -> list[str]:
        write(tmp / "a.yaml", {"groups": 3, "scale": 0.75, "name": "same"})
        write(tmp / "b.yaml", {"groups": 8, "scale": 0.75, "name": "same"})
        return rep + ["--spec", "../a.yaml", "--spec", "../b.yaml", "--out", "../r"]

    cases.append(
        Case(
            "names and paths",
            "two specs with one name",
            clash,
            (2,),
            only_these("a.yaml", "b.yaml"),
        )
    )

    def clash_files(tmp: Path) -> list[str]:
        write(tmp / "a.yaml", {"groups": 3, "scale": 0.75, "name": "net a"})
        write(tmp / "b.yaml", {"groups": 8, "scale": 0.75, "name": "net_a"})
        return rep + ["--spec", "../a.yaml", "--spec", "../b.yaml", "--out", "../r"]

    cases.append(
        Case(
            "names and paths",
            "two names, one file name",
            clash_files,
            (0, 2),
            made_or_refused("a.yaml", "b.yaml"),
        )
    )
    cases.append(
        Case(
            "names and paths",
            "report --out .",
            lambda tmp: rep + ["--out", "."],
            (2,),
            only_these(),
        )
    )
    cases.append(
        Case(
            "names and paths",
            "report --out ..",
            lambda tmp: rep + ["--out", ".."],
            (2,),
            only_these(),
        )
    )
    cases.append(
        Case(
            "names and paths",
            "report --out /",
            lambda tmp: rep + ["--out", "/"],
            (2,),
            only_these(),
        )
    )

    def not_a_report(tmp: Path) -> list[str]:
        write(tmp / "mine" / "thesis.tex", "keep")
        return rep + ["--out", "../mine"]

    cases.append(
        Case(
            "names and paths",
            "report over a user's folder",
            not_a_report,
            (2,),
            lambda tmp, run: (tmp / "mine" / "thesis.tex").read_text() == "keep",
        )
    )

    def report_link(tmp: Path) -> list[str]:
        (tmp / "dest").mkdir()
        (tmp / "link").symlink_to(tmp / "dest")
        return rep + ["--out", "../link"]

    cases.append(
        Case(
            "names and paths",
            "report --out symlink",
            report_link,
            (0,),
            lambda tmp, run: (tmp / "link").is_symlink() and (tmp / "dest" / "index.html").exists(),
        )
    )

    def leftovers(tmp: Path) -> list[str]:
        (tmp / ".r.shufflenet-tmp-999999999-x").mkdir()
        write(tmp / ".rows.json.shufflenet-tmp-999999999-y", "half")
        return rep + ["--out", "../r"]

    cases.append(
        Case(
            "signals",
            "leftovers of killed runs removed",
            leftovers,
            (0,),
            only_these("r", ".rows.json.shufflenet-tmp-999999999-y"),
        )
    )

    def sigterm_report(tmp: Path) -> list[str]:
        return ["report", "--groups", "1,2,3,4,8", "--scales", "0.5,1", "--no-latency"] + [
            "--out",
            "../r",
        ]

    def whole_or_nothing(tmp: Path, run: Run) -> bool:
        made = sorted(p.name for p in tmp.iterdir() if not p.name.startswith(".case-"))
        return made == (["cwd", "r"] if run.code == 0 else ["cwd"])

    cases.append(
        Case(
            "signals",
            "SIGTERM during a report",
            sigterm_report,
            (0, 143),  # 0 if the report was done before the signal
            whole_or_nothing,
            sigterm_after=2.5,
        )
    )

    def sigterm_search(tmp: Path) -> list[str]:
        return [
            "search",
            str(ROOT / "presets" / "search-large.yaml"),
            "--store",
            "../run.db",
            "-o",
            "../front.json",
        ]

    cases.append(
        Case(
            "signals",
            "SIGTERM during a large search",
            sigterm_search,
            (143,),
            only_these("run.db"),
            sigterm_after=4.0,
        )
    )

    if mount:

        def full(tmp: Path) -> list[str]:
            mount_tmpfs(tmp / "m", "64k")
            write(tmp / "m" / "rows.json", "old rows")
            write(tmp / "m" / "filler", b"x" * 60 * 1024)
            return [
                "profile",
                "--groups",
                "1,2,3,4,8",
                "--no-latency",
                "--format",
                "json",
                "-o",
                "../m/rows.json",
            ]

        cases.append(
            Case(
                "full and read-only disks",
                "-o on a full tmpfs",
                full,
                (2,),
                lambda tmp, run: (tmp / "m" / "rows.json").read_text() == "old rows",
            )
        )

        def full_report(tmp: Path) -> list[str]:
            mount_tmpfs(tmp / "m", "256k")
            write(tmp / "m" / "r" / ".shufflenet-report", "old\n")
            return rep + ["--out", "../m/r"]

        cases.append(
            Case(
                "full and read-only disks",
                "report on a full tmpfs",
                full_report,
                (2,),
                lambda tmp, run: (
                    sorted(p.name for p in (tmp / "m").iterdir()) == ["r"]
                    and (tmp / "m" / "r" / ".shufflenet-report").read_text() == "old\n"
                ),
            )
        )

        def ro_out(tmp: Path) -> list[str]:
            mount_tmpfs(tmp / "m", "64k")
            write(tmp / "m" / "rows.json", "old")
            subprocess.run(["mount", "-o", "remount,ro", str(tmp / "m")], check=True)
            return prof + ["../m/rows.json"]

        cases.append(
            Case(
                "full and read-only disks",
                "-o on a read-only file system",
                ro_out,
                (2,),
                lambda tmp, run: (tmp / "m" / "rows.json").read_text() == "old",
            )
        )

        def ro_report(tmp: Path) -> list[str]:
            mount_tmpfs(tmp / "m", "64k")
            subprocess.run(["mount", "-o", "remount,ro", str(tmp / "m")], check=True)
            return rep + ["--out", "../m/r"]

        cases.append(
            Case("full and read-only disks", "report on a read-only file system", ro_report, (2,))
        )

        def cross_fs(tmp: Path) -> list[str]:
            mount_tmpfs(tmp / "m", "16m")
            (tmp / "link").symlink_to(tmp / "m" / "r")
            return rep + ["--out", "../link"]

        cases.append(
            Case(
                "full and read-only disks",
                "report --out symlink to another file system",
                cross_fs,
                (0,),
                lambda tmp, run: (tmp / "m" / "r" / "index.html").exists(),
            )
        )

        def cross_fs_file(tmp: Path) -> list[str]:
            mount_tmpfs(tmp / "m", "1m")
            write(tmp / "m" / "rows.json", "old")
            (tmp / "link.json").symlink_to(tmp / "m" / "rows.json")
            return prof + ["../link.json"]

        cases.append(
            Case(
                "full and read-only disks",
                "-o symlink to another file system",
                cross_fs_file,
                (0,),
                lambda tmp, run: "shufflenet" in (tmp / "m" / "rows.json").read_text(),
            )
        )

        def ro_store(tmp: Path) -> list[str]:
            mount_tmpfs(tmp / "m", "1m")
            write(tmp / "space.yaml", space)
            subprocess.run(
                CLI
                + [
                    "search",
                    str(tmp / "space.yaml"),
                    "--store",
                    str(tmp / "m" / "run.db"),
                    "--format",
                    "json",
                ],
                capture_output=True,
                env={**os.environ, "PYTHONPATH": str(ROOT)},
            )
            subprocess.run(["mount", "-o", "remount,ro", str(tmp / "m")], check=True)
            return ["search", "../space.yaml", "--store", "../m/run.db", "--resume"]

        cases.append(Case("stores", "read-only store on --resume", ro_store, (2,)))

        def full_store(tmp: Path) -> list[str]:
            mount_tmpfs(tmp / "m", "32k")
            return [
                "search",
                str(ROOT / "presets" / "search-small.yaml"),
                "--store",
                "../m/run.db",
                "--measure-top",
                "0",
            ]

        cases.append(Case("stores", "store on a full tmpfs", full_store, (2,)))
    return cases


def store_cases() -> list[Case]:
    space = {"space": {"groups": [3, 8]}, "objectives": {"minimize": ["macs"]}}
    cases = []

    def foreign(kind: str):
        def setup(tmp: Path) -> list[str]:
            write(tmp / "space.yaml", space)
            db = tmp / "x.db"
            if kind == "text":
                write(db, "not a database")
            elif kind == "empty":
                write(db, "")
            elif kind == "folder":
                db.mkdir()
            else:
                con = sqlite3.connect(db)
                if kind == "foreign meta":
                    con.execute("CREATE TABLE meta (a, b, c)")
                elif kind == "our tables, no mark":
                    con.executescript(
                        "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT);"
                        "CREATE TABLE screened (key TEXT PRIMARY KEY, name TEXT, row TEXT);"
                    )
                elif kind == "other application_id":
                    con.execute("PRAGMA application_id = 1234")
                    con.execute("CREATE TABLE t (x)")
                elif kind == "newer layout":
                    from shufflenet_cli.explore.store import APPLICATION_ID

                    con.execute(f"PRAGMA application_id = {APPLICATION_ID}")
                    con.execute("PRAGMA user_version = 99")
                    con.execute("CREATE TABLE t (x)")
                else:
                    con.execute("CREATE TABLE photos (id INTEGER, data BLOB)")
                con.commit()
                con.close()
            (tmp / "before").write_bytes(db.read_bytes() if db.is_file() else b"")
            return ["search", "../space.yaml", "--store", "../x.db", "--resume"]

        def unchanged(tmp: Path, run: Run) -> bool:
            db = tmp / "x.db"
            return (db.read_bytes() if db.is_file() else b"") == (tmp / "before").read_bytes()

        return Case("stores", f"--resume on {kind}", setup, (2,), unchanged)

    for kind in (
        "text",
        "empty",
        "folder",
        "foreign meta",
        "our tables, no mark",
        "other application_id",
        "newer layout",
        "another program's db",
    ):
        cases.append(foreign(kind))
        c = foreign(kind)
        c.label = f"--store (no --resume) on {kind}"
        old_setup = c.setup
        c.setup = lambda tmp, s=old_setup: s(tmp)[:-1]
        cases.append(c)

    def locked(tmp: Path) -> list[str]:
        write(tmp / "space.yaml", space)
        ready = threading.Event()

        def hold() -> None:
            sys.path.insert(0, str(ROOT))
            from shufflenet_cli.explore.store import ResultStore

            s = ResultStore(tmp / "run.db", {"x": 1})
            ready.set()
            time.sleep(15)
            s.close()

        threading.Thread(target=hold, daemon=True).start()
        ready.wait(10)
        return ["search", "../space.yaml", "--store", "../run.db", "--resume"]

    cases.append(Case("stores", "second process on a store", locked, (2,)))

    def wrong_search(tmp: Path) -> list[str]:
        write(tmp / "space.yaml", space)
        subprocess.run(
            CLI + ["search", str(tmp / "space.yaml"), "--store", str(tmp / "run.db")],
            capture_output=True,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
        )
        write(tmp / "space.yaml", {"space": {"groups": [1, 2]}})
        return ["search", "../space.yaml", "--store", "../run.db", "--resume"]

    cases.append(Case("stores", "resume with another space", wrong_search, (2,)))
    return cases


def other_cases() -> list[Case]:
    cases = []
    for flag in ("--groups", "--scale", "--backend"):
        for value in ("", ",", " , "):
            cases.append(
                Case(
                    "flags",
                    f"{flag} {value!r}",
                    lambda tmp, f=flag, v=value: ["profile", f, v, "--no-latency"],
                    (2,),
                )
            )
    for flag, value in [
        ("--groups", "nan"),
        ("--scale", "nan"),
        ("--scale", "inf"),
        ("--scale", "-1"),
        ("--groups", "1e3"),
        ("--resolution", "0"),
    ]:
        cases.append(
            Case(
                "flags",
                f"{flag} {value}",
                lambda tmp, f=flag, v=value: ["profile", f, v, "--no-latency"],
                (2,),
            )
        )

    def several(tmp: Path) -> list[str]:
        write(tmp / "good.yaml", {"groups": 3})
        write(tmp / "bad.yaml", {"groups": 3, "stem_channels": 25})
        return ["profile", "--spec", "../good.yaml", "--spec", "../bad.yaml", "--no-latency"]

    def names_file(tmp: Path, run: Run) -> bool:
        return "bad.yaml" in run.stderr

    cases.append(
        Case("flags", "error in one of several --spec names it", several, (2,), names_file)
    )
    return cases


def all_cases(mount: bool) -> list[Case]:
    return (
        value_cases()
        + yaml_cases()
        + caps_cases()
        + output_cases(mount)
        + store_cases()
        + other_cases()
    )


def execute(case: Case) -> tuple[Case, Run, bool]:
    tmp = Path(tempfile.mkdtemp(prefix="hostile-case-"))
    (tmp / "cwd").mkdir()
    try:
        with contextlib.ExitStack() as stack:
            if case.latency:
                lock = stack.enter_context(open("/tmp/cpu-latency.lock", "a"))
                fcntl.flock(lock, fcntl.LOCK_EX)
            run = run_case(case, tmp)
        ok = held(case, tmp, run)
    except Exception as e:  # a broken case is counted as not held, with its reason
        run, ok = Run(-1, "", "", 0.0, 0, [f"case error: {e!r}"]), False
    finally:
        umount_all(tmp)
        subprocess.run(["rm", "-rf", str(tmp)], capture_output=True)
    return case, run, ok


def main() -> None:
    """Run the table and print tried/held by class, failures, and the worst inputs."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--only", help="run only this class")
    args = parser.parse_args()
    mount = os.geteuid() == 0 and can_mount()
    cases = [c for c in all_cases(mount) if not args.only or c.cls == args.only]
    t0 = time.perf_counter()
    results = []
    with ThreadPoolExecutor(args.jobs) as pool:
        for i, result in enumerate(pool.map(execute, cases), 1):
            results.append(result)
            if i % 50 == 0:
                print(f"{i}/{len(cases)} cases, {time.perf_counter() - t0:.0f} s", file=sys.stderr)
    by_class: dict[str, list[int]] = {}
    for case, _run, ok in results:
        counts = by_class.setdefault(case.cls, [0, 0])
        counts[0] += 1
        counts[1] += ok
    print(f"{'class':<28} {'tried':>6} {'held':>6}")
    for cls, (tried, ok) in by_class.items():
        print(f"{cls:<28} {tried:>6} {ok:>6}")
    total = sum(t for t, _ in by_class.values())
    print(f"{'all':<28} {total:>6} {sum(h for _, h in by_class.values()):>6}")
    mounted = "run" if mount else "skipped: cannot mount"
    print(f"(tmpfs cases {mounted}; {time.perf_counter() - t0:.0f} s)")
    failed = [(c, r) for c, r, ok in results if not ok]
    for case, run in failed:
        print(f"NOT HELD [{case.cls}] {case.label}: {'; '.join(run.notes)}")
    worst_t = max(results, key=lambda x: x[1].seconds)
    worst_m = max(results, key=lambda x: x[1].peak_rss)
    case, run, _ok = worst_t
    print(f"slowest: [{case.cls}] {case.label}: {run.seconds:.1f} s, exit {run.code}")
    print(
        f"most memory: [{worst_m[0].cls}] {worst_m[0].label}: "
        f"{worst_m[1].peak_rss / 2**20:.0f} MiB peak RSS, exit {worst_m[1].code}"
    )


if __name__ == "__main__":
    main()
