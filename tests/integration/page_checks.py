"""What a person sees when a page refuses: a Vietnamese HTML page with a status, a reason and a way back."""

from __future__ import annotations

import re

from aiohttp import ClientResponse

HOME_TEXT = "Về trang chính của bạn"
CSRF_TEXT = "Thiếu hoặc sai mã chống giả mạo (CSRF); hãy tải lại trang."


async def error_page(resp: ClientResponse, status: int) -> str:
    """The HTML body of an error page, after checking its status and type (never JSON to a person)."""
    assert resp.status == status, await resp.text()
    assert resp.content_type == "text/html"
    html = await resp.text()
    assert "{&#34;" not in html and not html.lstrip().startswith("{")
    assert f'<p class="muted" id="error-status">Lỗi {status}</p>' in html
    return html


def search(pattern: str, text: str, flags: int = 0) -> re.Match[str]:
    """``re.search`` that fails the test, showing the text, when the pattern is not there."""
    match = re.search(pattern, text, flags)
    assert match, (pattern, text[:2000])
    return match


def back_link(html: str) -> tuple[str, str]:
    """The error page's way back: (href, text)."""
    match = re.search(r'<a class="button" id="error-back" href="([^"]+)">([^<]+)</a>', html)
    assert match, html
    return match.group(1), match.group(2)


async def refused(resp: ClientResponse, *texts: str, back: str, status: int = 403) -> str:
    """Check a refusal page: ``status``, every Vietnamese text shown, and the link back to ``back``."""
    html = await error_page(resp, status)
    for text in texts:
        assert text in html, (text, html)
    href, label = back_link(html)
    assert href == back and label.strip(), (href, label)
    return html
