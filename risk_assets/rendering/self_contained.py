"""The guarantee that a report references nothing outside itself: no CDN, no web font, no image link.

Only markup is inspected (tag attributes, <style> blocks and style="" attributes), so text that merely
mentions a URL — an escaped parameter, a code listing — is not mistaken for a reference.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

from risk_assets.rendering.errors import RenderError

# Attributes whose value the browser fetches or navigates to.
URL_ATTRIBUTES = frozenset({"src", "href", "srcset", "poster", "action", "formaction", "data", "background",
                            "xlink:href"})
LOCAL_PREFIXES = ("data:", "#", "mailto:")
REPORTED_AT_MOST = 5

# A reference needs one of these in the raw markup; most reports have none, and then parsing is skipped.
_CSS_NEEDLES = ("url(", "@import")
# After an attribute's name: a value that is not a data: URI, a #fragment or a mailto: link.
_NOT_LOCAL_VALUE = re.compile(r"""\s*=\s*(?!["']?(?:data:|#|mailto:))""")
_CSS_URL = re.compile(r"""url\(\s*(['"]?)(?P<target>.*?)\1\s*\)""", re.IGNORECASE | re.DOTALL)
# `@import url(...)` is covered by _CSS_URL; this catches the `@import "..."` form.
_CSS_IMPORT = re.compile(r"""@import\s+(['"])(?P<target>.*?)\1""", re.IGNORECASE)


def external_references(html: str) -> list[str]:
    """Every reference in `html` that is not a data: URI, a #fragment or a mailto: link."""
    if not _maybe_external(html):
        return []  # no attribute, url() or @import that could point outside: nothing to parse
    finder = _ReferenceFinder()
    finder.feed(html)
    finder.close()
    return finder.found


def _maybe_external(html: str) -> bool:
    """Whether the markup has a URL attribute with a value that is not local, a url() or an @import. str.find
    over the lowercased text, because one regular expression with these alternatives scans every character of a
    200 KB report (≈ 20 ms, a fifth of the built-in renderer's time)."""
    text = html.lower()
    if any(needle in text for needle in _CSS_NEEDLES):
        return True
    for name in URL_ATTRIBUTES:
        start = text.find(name)
        while start >= 0:
            before = text[start - 1] if start else " "
            if not (before.isalnum() or before in "_:-") and _NOT_LOCAL_VALUE.match(text, start + len(name)):
                return True
            start = text.find(name, start + 1)
    return False


def check_self_contained(html: str, *, label: str) -> None:
    found = external_references(html)
    if found:
        shown = "; ".join(found[:REPORTED_AT_MOST])
        more = f" (and {len(found) - REPORTED_AT_MOST} more)" if len(found) > REPORTED_AT_MOST else ""
        raise RenderError(
            f"{label}: the report would load {len(found)} external resource(s): {shown}{more}. "
            "A report must be self-contained: embed images as data: URIs and keep styles inline."
        )


def _is_local(target: str) -> bool:
    return target.strip().lower().startswith(LOCAL_PREFIXES)


def _css_references(css: str) -> list[str]:
    found = [f"url({match['target']})" for match in _CSS_URL.finditer(css) if not _is_local(match["target"])]
    found += [f"@import {match['target']}" for match in _CSS_IMPORT.finditer(css) if not _is_local(match["target"])]
    return found


class _ReferenceFinder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []
        self._in_style = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if value is None:
                continue
            if name in URL_ATTRIBUTES and not _is_local(value):
                self.found.append(f'<{tag} {name}="{value}">')
            elif name == "style":
                self.found.extend(_css_references(value))
        self._in_style = tag == "style"

    def handle_endtag(self, tag: str) -> None:
        if tag == "style":
            self._in_style = False

    def handle_data(self, data: str) -> None:
        if self._in_style:
            self.found.extend(_css_references(data))
