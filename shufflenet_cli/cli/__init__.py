"""The ``shufflenet-cli`` command: parse flags, call the library, render. Nothing else.

User mistakes (``UserError``, bad flags) become one line on stderr and exit code 2.
"""

from __future__ import annotations

from . import calibrate  # noqa: F401  (each registers commands)
from . import export  # noqa: F401  (each registers commands)
from . import measure  # noqa: F401  (each registers commands)
from . import network  # noqa: F401  (each registers commands)
from . import profile  # noqa: F401  (each registers commands)
from . import report  # noqa: F401  (each registers commands)
from . import search  # noqa: F401  (each registers commands)
from .app import cli


def main() -> None:
    """Console-script entry point."""
    cli.main()


if __name__ == "__main__":  # pragma: no cover
    main()


__all__ = ["cli", "main"]
