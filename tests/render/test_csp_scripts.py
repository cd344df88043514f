"""The CSP admits an inline script only when the page's builder names it (issue 14 point 6: the
batch index's sort and filter script), by its SHA-256 and nothing else; a report names none
and gets no ``script-src``; a script that got into a page without being named stays blocked.

Before: ``content_security_policy`` had no way to admit a script (``default-src 'none'`` only).
"""

from __future__ import annotations

import pytest

from hemei_tools.render.sanitize import CSP_PLACEHOLDER, apply_csp, content_security_policy

SCRIPT = "var a = 1;"
#: printf 'var a = 1;' | openssl dgst -sha256 -binary | base64
SCRIPT_HASH = "'sha256-+dZ6udsWxNVoGfScAq7t5IIF5UJb4F6RhjbN6oe1p4w='"
#: printf 'x' | openssl dgst -sha256 -binary | base64 (the CSS of <style>x</style>)
STYLE_HASH = "'sha256-LXEWQrcmsEQBYnyp+6wy9chTD7GQPMTbAiWHF5IaSIE='"
TAIL = "img-src data:; font-src data:; base-uri 'none'; form-action 'none'"


def _page(body: str) -> str:
    return f"<html><head>{CSP_PLACEHOLDER}<style>x</style></head><body>{body}</body></html>"


def test_a_page_that_names_no_script_gets_no_script_src():
    page = _page("<script>var a = 1;</script>")  # present, but nobody vouched for it
    assert content_security_policy(page) == f"default-src 'none'; style-src {STYLE_HASH}; {TAIL}"
    assert "script-src" not in apply_csp(page)


def test_a_named_script_is_admitted_by_its_hash_alone():
    page = _page(f"<script>{SCRIPT}</script><script>alert(1)</script>")
    assert content_security_policy(page, (SCRIPT,)) == (
        f"default-src 'none'; style-src {STYLE_HASH}; script-src {SCRIPT_HASH}; {TAIL}")
    out = apply_csp(page, scripts=(SCRIPT,))
    assert out.count("sha256-") == 2 and "unsafe" not in out  # the style and the named script only


@pytest.mark.parametrize("body", [
    "",                                                     # not in the page
    f"<script>{SCRIPT}</script><script>{SCRIPT}</script>",  # twice
    f"<script type='module'>{SCRIPT}</script>",             # not a bare <script> element
])
def test_a_named_script_must_stand_in_the_page_once(body):
    with pytest.raises(ValueError):
        apply_csp(_page(body), scripts=(SCRIPT,))


@pytest.mark.parametrize("script", ["a = '</script><script>alert(1)';", "a = 1; <!-- b"])
def test_a_named_script_may_not_end_or_comment_its_element(script):
    with pytest.raises(ValueError):
        apply_csp(_page(f"<script>{script}</script>"), scripts=(script,))
