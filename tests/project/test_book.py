"""The book (``make book``): built from the committed notebooks without executing them, then
opened in headless Chromium as a reader would: the front page, a chapter with its figures
loaded, a rendered formula, search, and every internal link. Screenshots go to
``runs/book/screenshots/``."""

from __future__ import annotations

import functools
import http.server
import re
import shutil
import subprocess
import sys
import threading
from pathlib import Path
from urllib.parse import unquote, urlparse

import pytest

from bert_core.files import PROJECT_ROOT

pytest.importorskip("sphinx", reason="the book's packages: pip install -e '.[book]' (make book)")
pytest.importorskip("myst_nb", reason="the book's packages: pip install -e '.[book]' (make book)")
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
# no sandbox (CI runs as root); no connections that a closed network would refuse
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("book") / "html"
    command = [sys.executable, "-m", "sphinx", "-b", "html", "-c", "book", ".", str(out),
               "-q", "-W", "--keep-going"]
    done = subprocess.run(command, cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=1200)
    assert done.returncode == 0, f"sphinx warnings or errors:\n{done.stderr[-3000:]}"
    return out


@pytest.mark.slow
def test_every_chapter_and_solution_is_a_page(site: Path):
    for source in sorted((PROJECT_ROOT / "notebooks").glob("**/*.ipynb")):
        page = site / source.relative_to(PROJECT_ROOT).with_suffix(".html")
        assert page.exists(), f"no page for {source.name}"
    assert (site / "index.html").exists() and (site / "book" / "api.html").exists()
    assert "bert_core.training.pcgrad" in (site / "book" / "api.html").read_text()


@pytest.mark.slow
def test_no_internal_link_is_broken(site: Path):
    broken = []
    for page in site.rglob("*.html"):
        if page.relative_to(site).parts[0] in ("_static", "_sources"):  # the theme's templates, not pages
            continue
        for href in re.findall(r'href="([^"#?]+)[^"]*"', page.read_text(errors="replace")):
            if urlparse(href).scheme or href.startswith(("mailto:", "//")):
                continue
            target = (page.parent / unquote(href)).resolve()
            if not target.exists():
                broken.append(f"{page.relative_to(site)} -> {href}")
    assert not broken, broken[:20]


@pytest.fixture(scope="module")
def browser(site: Path):
    if CHROMIUM is None:
        pytest.skip("no Chromium: apt-get install chromium (.ci/run installs it)")
    playwright = pytest.importorskip("playwright.sync_api", reason="pip install -e '.[book]'")
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(site))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    with playwright.sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS, headless=True)
        page = chromium.new_page(viewport={"width": 1280, "height": 900})
        yield page, f"http://127.0.0.1:{server.server_address[1]}"
        chromium.close()
    server.shutdown()


SHOTS = PROJECT_ROOT / "runs" / "book" / "screenshots"


def _shot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=False)


@pytest.mark.slow
def test_the_front_page_opens_on_the_chapters(browser):
    page, root = browser
    page.goto(f"{root}/index.html")  # the redirect at the site's root
    page.wait_for_url("**/book/index.html")
    assert "course companion" in page.title()
    assert page.locator("a:has-text('Multitask baseline'), a:has-text('multitask baseline')").count() >= 1
    _shot(page, "index")


@pytest.mark.slow
def test_a_chapter_shows_its_figures(browser):
    page, root = browser
    page.goto(f"{root}/notebooks/05_multitask_baseline.html", wait_until="load")
    widths = page.eval_on_selector_all("article img", "images => images.map(i => i.naturalWidth)")
    assert widths and all(w > 0 for w in widths), widths
    _shot(page, "chapter-05")


@pytest.mark.slow
def test_a_formula_is_rendered(browser):
    page, root = browser
    page.goto(f"{root}/notebooks/09_pcgrad.html", wait_until="load")
    page.wait_for_selector("mjx-container", timeout=30_000)  # MathJax, served from the site
    assert page.locator("mjx-container").count() >= 1
    page.locator("mjx-container").first.scroll_into_view_if_needed()
    _shot(page, "formula-09")


@pytest.mark.slow
def test_search_finds_a_chapter(browser):
    page, root = browser
    page.goto(f"{root}/search.html?q=PCGrad", wait_until="load")
    page.wait_for_selector("#search-results li", timeout=30_000)
    titles = page.locator("#search-results li a").all_inner_texts()
    assert any("PCGrad" in t or "pcgrad" in t.lower() for t in titles), titles[:10]
    _shot(page, "search")
