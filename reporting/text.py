"""Free text that people typed, made safe to print: the report prints it as it was typed,
less what would disturb the page around it."""

from __future__ import annotations

import re

# Bidi embedding, override and isolate controls: one U+202E at the end of an action
# would print the owner, date and status after it backwards.
BIDI_CONTROLS = re.compile("[\u202a-\u202e\u2066-\u2069]")
# An unbroken run this long gets a break opportunity (a zero-width space) every RUN
# characters: WeasyPrint's time to lay out an unbreakable word grows with its square.
RUN = 40
LONG_RUN = re.compile(rf"\S{{{RUN},}}")


def plain(text) -> str:
    return BIDI_CONTROLS.sub("", "" if text is None else str(text))


def breakable(text: str) -> str:
    return LONG_RUN.sub(lambda m: "\u200b".join(m[0][i : i + RUN] for i in range(0, len(m[0]), RUN)), text)


def printable(text) -> str:
    """What the report prints of a person's text."""
    return breakable(plain(text))
