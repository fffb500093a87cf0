"""The project's routes, found by walking the URLconf through every include."""

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from django.urls import URLPattern, URLResolver, get_resolver


@dataclass(frozen=True)
class Route:
    name: str  # namespaced, e.g. "api:company-detail"
    arguments: frozenset[str]  # named URL arguments, the includes' as well
    positional: bool  # a regex route with unnamed groups
    callback: Callable[..., Any]

    @property
    def is_api(self) -> bool:
        return self.name.startswith("api:")

    def methods(self) -> set[str]:
        """The HTTP methods a class-based view has handlers for (upper case)."""
        view = getattr(self.callback, "view_class", None) or getattr(self.callback, "cls", None)
        if view is None:
            return set()
        return {method.upper() for method in view.http_method_names if hasattr(view, method)}


def _walk(
    patterns: list[URLPattern | URLResolver], namespace: str, arguments: frozenset[str]
) -> Iterator[Route]:
    for entry in patterns:
        regex = entry.pattern.regex
        inherited = arguments | frozenset(regex.groupindex)
        positional = regex.groups > len(regex.groupindex)
        if isinstance(entry, URLResolver):
            inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from _walk(entry.url_patterns, inner, inherited)
        else:
            name = entry.name or f"<unnamed {entry.pattern}>"
            yield Route(f"{namespace}{name}", inherited, positional, entry.callback)


def all_routes() -> dict[str, Route]:
    return {route.name: route for route in _walk(get_resolver().url_patterns, "", frozenset())}
