"""Links of a list's rows, reversed once for the page rather than once a row.

``reverse()`` costs about as much as the rest of a row's rendering: a list of 25 rows reversing
its links one by one spends a tenth of the page on them. Each helper reverses the view's URL once
with the stand-in ``0`` for the one argument that differs from row to row (an id or a slug,
neither of which holds a slash), and fills the rows in.
"""

from collections.abc import Callable

from django.urls import reverse


def link_parts(name: str, *args: object, **kwargs: object) -> tuple[str, str]:
    """The URL of ``name`` before and after its argument given as ``0``, for a template to put
    each row's value between."""
    before, after = reverse(name, args=args or None, kwargs=kwargs or None).rsplit("/0/", 1)
    return f"{before}/", f"/{after}"


def link_maker(name: str, *args: object, **kwargs: object) -> Callable[[object], str]:
    """The URL of ``name`` for each row's value of its argument given as ``0``."""
    before, after = link_parts(name, *args, **kwargs)
    return lambda value: f"{before}{value}{after}"
