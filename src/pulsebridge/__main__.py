"""The ``pulsebridge`` command: Django's manage.py with Pulsebridge's settings as the default."""

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pulsebridge.settings")
    from django.core.management import execute_from_command_line

    try:
        execute_from_command_line(sys.argv)
    except BrokenPipeError:
        # `pulsebridge ... | head`: the reader left; that is not an error worth a traceback
        sys.stderr.close()
        sys.exit(0)


if __name__ == "__main__":
    main()
