"""Screenshots of `shufflenet-cli profile` in an 80- and a 120-column terminal (docs/*.png).

Runs the command in a pseudo-terminal of that width (so the CLI sees a real terminal and fits
its table to it), keeps the colours it printed, draws them as rich's terminal SVG and has
headless Chromium turn the SVG into a PNG. Latency is measured: run it under the CPU lock,

    flock /tmp/cpu-latency.lock python docs/screenshots.py [--no-latency]
"""

from __future__ import annotations

import fcntl
import os
import re
import select
import shutil
import struct
import subprocess
import sys
import tempfile
import termios
from pathlib import Path

HERE = Path(__file__).resolve().parent
COMMAND = ["profile", "--groups", "1,2,3,4,8"]


def terminal_output(args: list[str], columns: int, timeout: float = 900) -> str:
    """What `python -m shufflenet_cli ARGS` prints on stdout in a ``columns``-wide terminal,
    with its ANSI styles (stderr, where the progress bar goes, is left out)."""
    import pty

    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 60, columns, 0, 0))
    env = {**os.environ, "COLUMNS": str(columns), "TERM": "xterm-256color"}
    env.pop("NO_COLOR", None)
    proc = subprocess.Popen(
        [sys.executable, "-m", "shufflenet_cli", *args],
        stdin=slave,
        stdout=slave,
        stderr=subprocess.DEVNULL,
        env=env,
        close_fds=True,
    )
    os.close(slave)
    out = b""
    try:
        while select.select([master], [], [], timeout)[0]:
            try:
                chunk = os.read(master, 65536)
            except OSError:
                break
            if not chunk:
                break
            out += chunk
    finally:
        os.close(master)
    if proc.wait(timeout=60) != 0:
        raise SystemExit(f"shufflenet-cli {' '.join(args)} failed in a {columns}-column terminal")
    return out.decode("utf-8").replace("\r\n", "\n")


def to_png(ansi: str, columns: int, title: str, png: Path) -> None:
    """Draw ANSI text as a ``columns``-wide terminal window (rich's SVG), then as a PNG."""
    from rich.console import Console
    from rich.text import Text

    console = Console(record=True, width=columns, file=open(os.devnull, "w"), force_terminal=True)
    console.print(Text.from_ansi(ansi.rstrip("\n")), soft_wrap=True)
    svg = console.export_svg(title=title)
    width, height = map(float, re.search(r'viewBox="0 0 ([\d.]+) ([\d.]+)"', svg).groups())
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    with tempfile.TemporaryDirectory() as tmp:
        page = Path(tmp) / "shot.html"
        page.write_text(
            "<html><body style='margin:0;background:#fff'>" + svg + "</body></html>",
            encoding="utf-8",
        )
        subprocess.run(
            [
                chromium,
                "--headless=new",
                "--no-sandbox",
                "--disable-gpu",
                "--hide-scrollbars",
                f"--window-size={int(width) + 1},{int(height) + 1}",
                f"--screenshot={png}",
                page.as_uri(),
            ],
            check=True,
            capture_output=True,
            timeout=120,
        )


def main() -> None:
    """Write docs/profile-80col.png and docs/profile-120col.png."""
    extra = sys.argv[1:]
    for columns in (80, 120):
        ansi = terminal_output(COMMAND + extra, columns)
        title = f"shufflenet-cli {' '.join(COMMAND + extra)}  ({columns} columns)"
        png = HERE / f"profile-{columns}col.png"
        to_png(ansi, columns, title, png)
        print(f"wrote {png}")


if __name__ == "__main__":
    main()
