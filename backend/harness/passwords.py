"""A database password that breaks every careless way of passing one on, for the tests of
"any password PostgreSQL accepts works, and no log line carries any part of it"."""

import re

# Every character a URL gives a meaning to (@ / # % : ? & = +), a space, both quotes, a
# backslash and non-ASCII letters, between pieces no log line would hold by chance.
AWKWARD_PASSWORD = "Kq7v@Zr4w/Mx2p#Ln5s%Tb8c:Hy3d?Gf6e&Wu9a=Jo1b+Rc4k Pe7q'Sd2x\"Vn5m\\Xa8tÉtéÜ"  # noqa: S105


def pieces(password: str = AWKWARD_PASSWORD) -> list[str]:
    """The password cut at each of those characters: a log holding any piece leaks it."""
    return [piece for piece in re.split(r"[@/#%:?&=+ '\"\\]", password) if piece]
