"""Who is acting: the OS account running the process, never a name typed by the user."""

from __future__ import annotations

import os
import pwd


def current_user() -> str:
    try:
        return pwd.getpwuid(os.geteuid()).pw_name
    except KeyError:  # an account with no passwd entry (some containers)
        return f"uid{os.geteuid()}"
