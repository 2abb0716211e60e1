"""``python -m shufflenet_cli``: the same as the ``shufflenet-cli`` command."""

from .cli import main

if __name__ == "__main__":
    main()
