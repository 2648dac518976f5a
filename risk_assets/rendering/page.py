"""The complete HTML5 page around a rendered body: language, title block and a built-in stylesheet.

Everything is inline and the fonts are the reader's own (a system font stack, Hangul included), so
the file opens identically offline, from an e-mail attachment or from a file share.
"""

from __future__ import annotations

from html import escape

GENERATOR = "risk_assets built-in renderer"

STYLESHEET = """
:root { color-scheme: light; }
body {
  margin: 0 auto; max-width: 60rem; padding: 2rem 1.25rem 4rem;
  font-family: system-ui, -apple-system, "Segoe UI", Roboto, "Apple SD Gothic Neo", "Malgun Gothic",
    "Noto Sans KR", "Noto Sans CJK KR", "Helvetica Neue", Arial, sans-serif;
  font-size: 1rem; line-height: 1.6; color: #1f2328; background: #ffffff;
  word-break: keep-all; overflow-wrap: break-word;
}
h1, h2, h3, h4 { line-height: 1.25; margin: 1.8em 0 0.6em; }
h1.title { margin-top: 0; }
table { border-collapse: collapse; margin: 1em 0; font-variant-numeric: tabular-nums; }
th, td { border-bottom: 1px solid #d0d7de; padding: 0.35em 0.75em; text-align: left; vertical-align: top; }
thead th { border-bottom-width: 2px; }
pre, code { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, "D2Coding", monospace; font-size: 0.9em; }
pre { background: #f6f8fa; padding: 0.75em 1em; overflow-x: auto; border-radius: 4px; }
img { max-width: 100%; height: auto; }
@media print { body { max-width: none; padding: 0; } pre { white-space: pre-wrap; } }
"""


def html_page(*, body: str, title: str | None, page_title: str, lang: str) -> str:
    """`title` becomes the visible title block (as Quarto shows it); `page_title` the <title> fallback."""
    title_block = (
        f'<header id="title-block-header">\n<h1 class="title">{escape(title)}</h1>\n</header>\n' if title else ""
    )
    return (
        "<!DOCTYPE html>\n"
        f'<html lang="{escape(lang)}">\n'
        "<head>\n"
        '<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f'<meta name="generator" content="{GENERATOR}">\n'
        f"<title>{escape(title or page_title)}</title>\n"
        f"<style>{STYLESHEET}</style>\n"
        "</head>\n"
        "<body>\n"
        f"{title_block}"
        '<main id="quarto-document-content">\n'
        f"{body}\n"
        "</main>\n"
        "</body>\n"
        "</html>\n"
    )
