"""The `afterglow` console script: Django's manage.py for this project."""

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "afterglow.settings")
    from django.core.management import execute_from_command_line

    from afterglow.core.env import ImproperSetting

    try:
        execute_from_command_line(sys.argv)
    except ImproperSetting as exc:
        # A missing or bad setting: one line naming it, not a traceback.
        sys.stderr.write(f"afterglow: error: {exc}\n")
        sys.exit(2)
    except BrokenPipeError:
        # The reader went away (`afterglow redcap dictionary | head`): stop quietly, as
        # coreutils do. stdout now points at /dev/null so the interpreter's own final
        # flush does not raise a second time; 141 is the shell's "ended by SIGPIPE".
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        sys.exit(141)


if __name__ == "__main__":
    main()
