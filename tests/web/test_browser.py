"""End to end in headless Chromium (Debian's chromium driven by Playwright; no browser download).

`make test` installs chromium; without it these tests skip and say why.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from .conftest import HOSTILE_TITLE

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "test-artifacts"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--disable-dev-shm-usage"]


def chromium_path() -> str | None:
    for name in ("chromium", "chromium-browser"):
        found = shutil.which(name)
        if found:
            return found
    return "/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None


@pytest.fixture(scope="module")
def browser():
    executable = chromium_path()
    if executable is None:
        pytest.skip("chromium is not installed (`make test` installs Debian's chromium package)")
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed (pip install -e '.[dev]')")
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=executable, headless=True, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture()
def page(browser):
    context = browser.new_context(viewport={"width": 1360, "height": 900})
    pg = context.new_page()
    problems: list[str] = []
    pg.on("dialog", lambda d: (problems.append(f"dialog: {d.message}"), d.dismiss()))
    pg.on("console", lambda m: problems.append(f"console {m.type}: {m.text}") if m.type in ("error", "warning") else None)
    pg.on("pageerror", lambda e: problems.append(f"page error: {e}"))
    pg.problems = problems
    yield pg
    context.close()


def _most_techniques(store) -> str:
    return store.query("SELECT doc_id FROM spans WHERE layer = 'technique' GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 1")[0][0]


def test_article_view_highlights_spans_and_shows_the_technique_on_hover(page, live_server, store):
    doc_id = _most_techniques(store)
    stored = sorted(store.get(doc_id).spans_of("technique"), key=lambda s: (s.start, s.end, s.label))
    page.goto(f"{live_server}/articles/{doc_id}")
    marks = page.locator("#text .hl.tech")
    assert marks.count() > 0
    refs = set(page.eval_on_selector_all(
        "#text .hl.tech", "els => els.flatMap(e => e.dataset.refs.split(' ').filter(r => r.startsWith('t')))"))
    assert refs == {f"t{i}" for i in range(len(stored))}
    # Highlighted: the technique's colour is painted behind the text.
    background = marks.first.evaluate("e => getComputedStyle(e).backgroundColor")
    assert background not in ("rgba(0, 0, 0, 0)", "transparent")
    tooltip = page.locator("#tooltip")
    assert tooltip.is_hidden()
    marks.first.hover()
    tooltip.wait_for(state="visible", timeout=5000)
    first_ref = [r for r in marks.first.get_attribute("data-refs").split() if r.startswith("t")][0]
    name = stored[int(first_ref[1:])].label.replace("_", " ")
    assert name in tooltip.inner_text()
    definition = page.locator(f"#f-{first_ref}").get_attribute("data-body")
    assert definition and definition in tooltip.inner_text()
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "web_article.png"), full_page=False)
    # Clicking an entry of the list flashes its passage in the text.
    page.locator(f"#f-{first_ref}").click()
    assert page.locator(".hl.flash").count() >= 1
    assert not page.problems, page.problems


def test_search_from_the_header_box(page, live_server, store):
    page.goto(live_server + "/")
    page.fill("header .quick input[name=q]", "Stoltenberg")
    page.press("header .quick input[name=q]", "Enter")
    page.wait_for_url("**/search?q=Stoltenberg")
    results = page.locator("li.result")
    expected = store.query("SELECT count(*) FROM documents WHERE lower(text) LIKE '%stoltenberg%' "
                           "AND id NOT IN (SELECT doc_id FROM duplicates)")[0][0]
    assert results.count() == expected > 0
    assert page.locator("li.result .snippet b").first.inner_text() == "Stoltenberg"
    results.first.locator("a").first.click()
    page.wait_for_url("**/articles/*")
    assert page.locator("#text").count() == 1
    assert not page.problems, page.problems


def test_hostile_document_runs_no_script(page, live_server, store):
    for (doc_id,) in store.query("SELECT id FROM documents WHERE title = ? OR text LIKE '%onerror=alert%'", [HOSTILE_TITLE]):
        page.goto(f"{live_server}/articles/{doc_id}")
        assert page.eval_on_selector_all("img[src=x], b[onmouseover]", "els => els.length") == 0
        assert page.eval_on_selector_all("script", "els => els.filter(s => !s.src.endsWith('/static/app.js')).length") == 0
        page.locator("#text").hover()
    page.goto(f"{live_server}/outlets")
    page.goto(f"{live_server}/search?q=traitors")
    assert "<script>alert(1)</script>" in page.locator("main").inner_text()  # shown as text
    assert not page.problems, page.problems


def test_every_page_renders_without_csp_violations(page, live_server):
    for path in ("/", "/outlets?o=Eastern+Flank+Review&o=Volga+Herald", "/actors", "/docs", "/analyse", "/search?q=gas"):
        response = page.goto(live_server + path)
        assert response.status == 200, path
        assert page.locator("main h1").count() == 1, path
    assert not page.problems, page.problems
