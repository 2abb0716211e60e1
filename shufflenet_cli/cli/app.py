"""The ``shufflenet-cli`` group: user mistakes become one stderr line and exit code 2."""

from __future__ import annotations

import sys

import click

from ..errors import UserError


class CLIGroup(click.Group):
    """A click group that turns user mistakes into one stderr line and exit code 2."""

    def main(self, args=None, prog_name=None, **extra):  # noqa: D102 - click's entry point
        if not (sys.argv[1:] if args is None else args):  # bare command: usage, not an error
            with click.Context(self, info_name=prog_name or "shufflenet-cli") as ctx:
                click.echo(self.get_help(ctx))
            sys.exit(0)
        try:
            rv = super().main(
                args=args, prog_name=prog_name or "shufflenet-cli", standalone_mode=False, **extra
            )
        except click.exceptions.UsageError as e:
            hint = f" (see `{e.ctx.command_path} --help`)" if e.ctx is not None else ""
            _fail(e.format_message() + hint)
        except UserError as e:
            _fail(str(e))
        except click.exceptions.Abort:
            _fail("interrupted", 130)
        except KeyboardInterrupt:
            _fail("interrupted", 130)
        except click.exceptions.ClickException as e:
            _fail(e.format_message(), e.exit_code)
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
