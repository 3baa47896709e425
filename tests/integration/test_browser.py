"""The reports in a real browser: headless Chromium (the system's, driven by Playwright) opens the index and each
report of a tiny run and checks what a reader would notice: errors, network access, broken figures, dead links,
tables that do not sort. Screenshots go to ``tests/artifacts/`` (git-ignored).

Without Chromium these tests are skipped, unless ``REQUIRE_BROWSER`` is set (CI: ``.ci/run``), where that fails.
Playwright's own browser downloads are never used: ``playwright install`` is not needed.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from urllib.parse import unquote, urlparse

import pytest

from interpret_distill.report import SIZE_BUDGET_BYTES, render_index, report_sizes

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "tests" / "artifacts"  # the screenshots the tests take (ignored by git)
BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")


def _required() -> bool:
    return os.environ.get("REQUIRE_BROWSER", "").strip().lower() not in ("", "0", "false", "no")


CHROMIUM = next((shutil.which(name) for name in BROWSERS if shutil.which(name)), None)
# a mark, not a skip inside a fixture: without a browser the tiny run is not even set up
needs_browser = pytest.mark.skipif(CHROMIUM is None and not _required(),
                                   reason="no Chromium installed; set REQUIRE_BROWSER=1 to make this a failure")


@pytest.fixture(scope="module")
def browser():
    if CHROMIUM is None:
        pytest.fail("REQUIRE_BROWSER is set but no Chromium is installed (apt-get install chromium)")
    executable = CHROMIUM
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:  # the browser is there, so the tests must run: playwright is in the dev extra
        pytest.fail("playwright is not installed: pip install -e '.[dev]'")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=executable, args=["--no-sandbox"])
        yield chromium
        chromium.close()


@pytest.fixture(scope="module")
def site(tiny_run, tmp_path_factory) -> Path:
    """A reports folder with two experiments (the tiny run and a renamed copy of it) and its index."""
    root = tmp_path_factory.mktemp("site")
    shutil.copytree(tiny_run, root / "tiny")
    shutil.copytree(tiny_run, root / "tiny_copy")
    info = json.loads((root / "tiny_copy" / "run.json").read_text())
    info["name"] = "tiny_copy"
    (root / "tiny_copy" / "run.json").write_text(json.dumps(info))
    render_index(root)
    return root


class Page:
    """A page opened in a fresh context, with every console error and non-local request recorded."""

    def __init__(self, browser, url: str, **context_options):
        self.context = browser.new_context(viewport={"width": 1280, "height": 900}, **context_options)
        self.page = self.context.new_page()
        self.errors: list[str] = []
        self.outside: list[str] = []
        self.page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.on("request", self._request)
        self.page.goto(url, wait_until="load")

    def _request(self, request) -> None:
        if not request.url.startswith(("file://", "data:")):
            self.outside.append(request.url)

    def close(self) -> None:
        self.context.close()


@pytest.fixture
def open_page(browser):
    pages = []

    def opener(path: Path, **options) -> Page:
        page = Page(browser, path.resolve().as_uri(), **options)
        pages.append(page)
        return page

    yield opener
    for page in pages:
        page.close()


def _assert_clean(p: Page, what: str) -> None:
    assert not p.errors, f"{what}: console errors {p.errors}"
    assert not p.outside, f"{what}: requests outside file:// {p.outside}"
    broken = p.page.evaluate("""() => [...document.images, ...document.querySelectorAll('svg')].filter(el => {
            const box = el.getBoundingClientRect();
            const decoded = el.tagName !== 'IMG' || (el.complete && el.naturalWidth > 0 && el.naturalHeight > 0);
            return !decoded || box.width === 0 || box.height === 0;
        }).map(el => el.alt || el.outerHTML.slice(0, 80))""")
    assert not broken, f"{what}: figures not rendered {broken}"
    overflow = p.page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0, f"{what}: the page is {overflow}px wider than the window"


def _column(p: Page, table: str, index: int) -> list[str]:
    return p.page.eval_on_selector(table, f"t => [...t.tBodies[0].rows].map(r => r.cells[{index}].dataset.sort)")


def _header_index(p: Page, table: str, label: str) -> int:
    headers = p.page.eval_on_selector(table, "t => [...t.tHead.rows[0].cells].map(c => c.textContent.trim())")
    return headers.index(label)


@pytest.mark.browser
@needs_browser
def test_index_lists_every_experiment_links_resolve_and_sort(site, open_page):
    p = open_page(site / "index.html")
    _assert_clean(p, "index.html")
    links = p.page.eval_on_selector_all("table a", "as => as.map(a => a.href)")
    assert len(links) == 2, links
    for href in links:
        target = Path(unquote(urlparse(href).path))
        assert target.is_file(), f"index links to a missing file: {href}"
    # the sortable table sorts on click, both ways
    table = "table.sortable"
    experiment = _header_index(p, table, "experiment")
    p.page.click(f"{table} th >> nth={experiment}")
    assert _column(p, table, experiment) == ["tiny", "tiny_copy"]
    p.page.click(f"{table} th >> nth={experiment}")
    assert _column(p, table, experiment) == ["tiny_copy", "tiny"]
    ARTIFACTS.mkdir(exist_ok=True)
    p.page.screenshot(path=str(ARTIFACTS / "index.png"), full_page=True)
    # following a link opens the report
    p.page.click("table a >> text=tiny_copy")
    p.page.wait_for_load_state("load")
    assert p.page.url.endswith("tiny_copy/report.html")
    assert "distillation report" in p.page.title()


@pytest.mark.browser
@needs_browser
@pytest.mark.parametrize("experiment", ["tiny", "tiny_copy"])
def test_report_renders_cleanly_and_its_table_sorts(site, open_page, experiment):
    report = site / experiment / "report.html"
    p = open_page(report)
    _assert_clean(p, f"{experiment}/report.html")
    assert p.page.eval_on_selector_all("figure img", "imgs => imgs.length") >= 5
    # the table of contents points at sections that exist
    targets = p.page.eval_on_selector_all("nav.toc a", "as => as.map(a => a.getAttribute('href'))")
    assert len(targets) >= 8
    for target in targets:
        assert p.page.locator(target).count() == 1, f"contents entry {target} has no section"
    # the back link resolves to the index
    back = p.page.get_attribute("a[href='../index.html']", "href")
    assert (report.parent / back).resolve().is_file()
    # the comparison table sorts numerically on click, ascending then descending
    table = "#comparison table.sortable"
    column = _header_index(p, table, "fidelity")
    p.page.click(f"{table} th >> nth={column}")
    ascending = [float(v) for v in _column(p, table, column)]
    assert ascending == sorted(ascending) and ascending[0] < ascending[-1]
    assert p.page.get_attribute(f"{table} th >> nth={column}", "aria-sort") == "ascending"
    p.page.keyboard.press("Enter")  # the focused header sorts again with the keyboard: descending
    assert [float(v) for v in _column(p, table, column)] == sorted(ascending, reverse=True)
    if experiment == "tiny":
        ARTIFACTS.mkdir(exist_ok=True)
        p.page.screenshot(path=str(ARTIFACTS / "report.png"), full_page=True)


@pytest.mark.browser
@needs_browser
def test_report_colours_follow_dark_mode_and_print(site, open_page):
    report = site / "tiny" / "report.html"
    background = "getComputedStyle(document.body).backgroundColor"
    light = open_page(report, color_scheme="light")
    dark = open_page(report, color_scheme="dark")
    assert light.page.evaluate(background) == "rgb(255, 255, 255)"
    assert dark.page.evaluate(background) != "rgb(255, 255, 255)", "no dark colours for prefers-color-scheme: dark"
    # figures keep a light panel in dark mode, so matplotlib's black text stays readable
    panel = dark.page.eval_on_selector("figure img", "img => getComputedStyle(img).backgroundColor")
    assert panel == "rgb(255, 255, 255)"
    ARTIFACTS.mkdir(exist_ok=True)
    dark.page.screenshot(path=str(ARTIFACTS / "report-dark.png"))
    # printing from dark mode gives black on white, without the navigation
    dark.page.emulate_media(media="print")
    assert dark.page.evaluate(background) == "rgb(255, 255, 255)"
    assert dark.page.evaluate("getComputedStyle(document.body).color") == "rgb(0, 0, 0)"
    assert dark.page.eval_on_selector("nav.toc", "n => getComputedStyle(n).display") == "none"


def test_tiny_report_is_under_the_size_budget(tiny_run):
    size = (tiny_run / "report.html").stat().st_size
    assert 0 < size < SIZE_BUDGET_BYTES, f"report.html is {size:,} bytes; the budget is {SIZE_BUDGET_BYTES:,}"


def test_generated_reports_are_under_the_size_budget():
    """The real reports (``make report`` → ``reports/``), when they have been generated here."""
    sizes = report_sizes(REPO / "reports")
    if not sizes:
        pytest.skip("no reports under reports/ (run `make report`)")
    over = {path: size for path, size in sizes.items() if size >= SIZE_BUDGET_BYTES}
    assert not over, f"reports over the {SIZE_BUDGET_BYTES:,}-byte budget: {over}"
