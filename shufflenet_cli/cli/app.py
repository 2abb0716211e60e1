"""The ``shufflenet-cli`` group: user mistakes become one stderr line and exit code 2.

SIGTERM is handled like Ctrl-C: the command stops where it is, its temporary files and
folders are removed, and it exits with 143 (130 for Ctrl-C) and one line. A full disk or a
closed pipe on stdout is one line too.
"""

from __future__ import annotations

import errno
import signal
import sys
import threading

import click

from ..errors import UserError
from ..files import is_environment_error
from ..files import silence_stdout


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised where the program is, so every cleanup runs as for Ctrl-C."""


def _on_sigterm(signum, frame) -> None:
    signal.signal(signal.SIGTERM, signal.SIG_IGN)  # a second SIGTERM must not cut the cleanup
    raise Terminated()


class CLIGroup(click.Group):
    """A click group that turns user mistakes into one stderr line and exit code 2."""

    def main(self, args=None, prog_name=None, **extra):  # noqa: D102 - click's entry point
        if not (sys.argv[1:] if args is None else args):  # bare command: usage, not an error
            with click.Context(self, info_name=prog_name or "shufflenet-cli") as ctx:
                click.echo(self.get_help(ctx))
            sys.exit(0)
        in_main_thread = threading.current_thread() is threading.main_thread()
        previous = signal.signal(signal.SIGTERM, _on_sigterm) if in_main_thread else None
        try:
            rv = super().main(
                args=args, prog_name=prog_name or "shufflenet-cli", standalone_mode=False, **extra
            )
            sys.stdout.flush()
        except click.exceptions.UsageError as e:
            hint = f" (see `{e.ctx.command_path} --help`)" if e.ctx is not None else ""
            _fail(e.format_message() + hint)
        except UserError as e:
            _fail(str(e))
        except (click.exceptions.Abort, KeyboardInterrupt) as e:
            if isinstance(e, Terminated) or isinstance(e.__cause__, Terminated):
                _fail("terminated", 143)
            _fail("interrupted", 130)
        except click.exceptions.ClickException as e:
            _fail(e.format_message(), e.exit_code)
        except OSError as e:
            if not is_environment_error(e):
                raise
            silence_stdout()  # stdout itself may be what failed
            if e.errno == errno.EPIPE:
                sys.exit(141)  # the reader went away (`| head`): nothing to say
            where = f"{e.filename}: " if e.filename else "cannot write output: "
            _fail(f"{where}{e.strerror}")
        finally:
            if previous is not None:
                signal.signal(signal.SIGTERM, previous)
        sys.exit(rv if isinstance(rv, int) else 0)


def _fail(message: str, code: int = 2) -> None:
    click.echo(f"error: {' '.join(message.split())}", err=True)
    sys.exit(code)


@click.group(
    cls=CLIGroup, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100}
)
@click.version_option(package_name="shufflenet-cli", prog_name="shufflenet-cli")
def cli() -> None:
    """Architecture explorer for ShuffleNet v1 and MobileNet v1.

    Builds networks from stage specs, counts params, multiply-adds (MACs) and memory traffic
    analytically, measures CPU latency with an interleaved protocol, and compares them with
    the papers' published numbers.

    \b
    Examples:
      shufflenet-cli profile --groups 1,2,3,4,8
      shufflenet-cli profile --scale 0.5 --no-latency --format json
      shufflenet-cli show shufflenet-1x-g3
      shufflenet-cli presets
    """
