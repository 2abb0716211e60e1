"""The one exception type for user mistakes.

A ``UserError`` carries a one-line message that names the field and the value at fault.
The CLI prints it on stderr and exits with code 2; any other exception is a bug.
"""


class UserError(Exception):
    """A mistake in what the user asked for (bad spec, unknown preset, bad flag value...)."""

    exit_code = 2

    def __init__(self, message: str):
        # Keep the message on one line: the CLI prints exactly one line.
        super().__init__(" ".join(str(message).split()))
