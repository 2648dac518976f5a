"""The external-reference check every built-in report passes before it is written."""

from __future__ import annotations

import pytest

from risk_assets.rendering import RenderError
from risk_assets.rendering.self_contained import (
    check_self_contained,
    external_references,
)


@pytest.mark.parametrize(
    ("html", "found"),
    [
        ('<script src="https://cdn.example/x.js"></script>', ['<script src="https://cdn.example/x.js">']),
        ('<link rel="stylesheet" href="http://fonts.example/css">', ['<link href="http://fonts.example/css">']),
        ("<style>body { background: url(https://img.example/bg.png); }</style>", ["url(https://img.example/bg.png)"]),
        ("<style>@import 'https://fonts.example/a.css';</style>", ["@import https://fonts.example/a.css"]),
        ('<style>@import url("https://fonts.example/a.css");</style>', ["url(https://fonts.example/a.css)"]),
        ("<div style=\"background-image: url('//img.example/x.png')\"></div>", ["url(//img.example/x.png)"]),
        ('<img src="logo.png">', ['<img src="logo.png">']),
        ('<a href="https://school.example/">site</a>', ['<a href="https://school.example/">']),
        # Written in any case or spacing, an attribute is still found (the quick scan before parsing lowercases).
        ('<IMG SRC = "logo.png">', ['<img src="logo.png">']),
        ('<img\n\tsrc="logo.png">', ['<img src="logo.png">']),
        ('<svg><image xlink:href="x.png"/></svg>', ['<image xlink:href="x.png">']),
        ("<STYLE>b { background: URL(x.png) }</STYLE>", ["url(x.png)"]),
    ],
)
def test_external_references_are_found(html, found):
    assert external_references(html) == found


def test_data_uris_anchors_and_mailto_are_accepted():
    html = (
        '<img src="data:image/png;base64,iVBORw0KGgo=">'
        '<a href="#crit-students">jump</a><a href="mailto:office@school.example">mail</a>'
        "<style>.logo { background: url(\"data:image/svg+xml;utf8,<svg xmlns='http://www.w3.org/2000/svg'/>\"); }"
        "</style>"
    )

    assert external_references(html) == []
    check_self_contained(html, label="seoul 2025-01-06")


def test_urls_in_text_are_not_references():
    html = "<p>See https://example.org and href=&quot;https://x&quot;</p><pre>src = 'http://y'</pre>"

    assert external_references(html) == []


def test_the_check_raises_naming_the_label_and_the_references():
    html = '<script src="https://cdn.example/x.js"></script><link href="http://a.example/s.css">'

    with pytest.raises(RenderError) as raised:
        check_self_contained(html, label="seoul 2025-01-06")

    assert str(raised.value).startswith(
        'seoul 2025-01-06: the report would load 2 external resource(s): <script src="https://cdn.example/x.js">; '
        '<link href="http://a.example/s.css">.'
    )
