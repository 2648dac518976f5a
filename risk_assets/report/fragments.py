"""The HTML fragments of the report and the e-mail, from the Jinja2 templates in `quarto/templates/` (or a
school's own copy of that folder): autoescaped, so a student named `<script>` is shown as text.

A fragment printed by an `output: asis` cell is wrapped in a raw HTML block (```` ```{=html} ````): Pandoc
then passes it through untouched instead of reading markdown in it (a name like `*Kim*` stays as written),
and the built-in renderer unwraps it the same way.
"""

from __future__ import annotations

import functools
import re
from pathlib import Path
from typing import Any

from jinja2 import (
    Environment,
    FileSystemLoader,
    StrictUndefined,
    TemplateError,
    select_autoescape,
)

from risk_assets.errors import UserError

TEMPLATES_FOLDER = "templates"
RAW_HTML_OPEN, RAW_HTML_CLOSE = "```{=html}", "```"
_RAW_HTML_BLOCK = re.compile(r"^```\{=html\}\n(?P<content>.*?)\n```$", re.DOTALL | re.MULTILINE)


class FragmentError(UserError):
    """A fragment template is missing or broken; the message names the file and line."""


NAME_LENGTH = 80  # characters of a student, class or school name shown in a table cell; the full name is its title


@functools.cache
def environment(folder: Path) -> Environment:
    env = Environment(
        loader=FileSystemLoader(str(folder)),
        autoescape=select_autoescape(enabled_extensions=("j2", "html"), default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=False,
    )
    env.globals["NAME_LENGTH"] = NAME_LENGTH
    return env


def render_fragment(folder: Path, name: str, **context: Any) -> str:
    """One template of `folder`, rendered with `context`, as HTML without blank lines."""
    try:
        html = environment(Path(folder)).get_template(name).render(**context)
    except TemplateError as error:
        where = f"{getattr(error, 'filename', None) or name}"
        line = getattr(error, "lineno", None)
        raise FragmentError(f"template {where}{f' line {line}' if line else ''} (in {folder}): "
                            f"{type(error).__name__}: {error}") from None
    return "\n".join(line for line in html.splitlines() if line.strip())


def raw_html_block(html: str) -> str:
    return f"{RAW_HTML_OPEN}\n{html}\n{RAW_HTML_CLOSE}"


def unwrap_raw_html(text: str) -> str:
    """What Pandoc does with raw HTML blocks in HTML output: their content, as is; other text unchanged."""
    return _RAW_HTML_BLOCK.sub(lambda match: match["content"], text)
