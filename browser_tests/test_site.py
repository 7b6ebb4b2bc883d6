"""The site `make course` writes, opened in Chromium: every link of build/index.html resolves, and the
inline videos of the HTML copies load and play.

The site is built here from the committed notebooks, which are already executed (``make course``
executes them again first; that takes minutes and is the same code after it): an HTML copy of each
(``wmlib.course.build.html_copy``) and the landing page (``wmlib.course.site.write_site``), served on a loopback port.
"""

from __future__ import annotations

import functools
import http.server
import shutil
import threading
from urllib.parse import urljoin

import pytest
from conftest import NOTEBOOKS, OUT


@pytest.fixture(scope="module")
def site_url(tmp_path_factory):
    from wmlib.course import build, site

    folder = tmp_path_factory.mktemp("site")
    seconds = {}
    for path in build.notebook_paths(NOTEBOOKS):
        shutil.copy(path, folder / path.name)
        build.html_copy(folder / path.name)
        seconds[path.name] = 1.0  # a stand-in: nothing was executed here
    site.write_site(folder, seconds)
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(folder))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/index.html"
    finally:
        server.shutdown()


def test_every_link_of_the_landing_page_resolves(browser_context, site_url):
    page = browser_context.new_page()
    try:
        response = page.goto(site_url)
        assert response is not None and response.ok
        hrefs = page.eval_on_selector_all("a[href]", "links => links.map(a => a.getAttribute('href'))")
        local = [h for h in hrefs if not h.startswith(("http://", "https://"))]
        colab = [h for h in hrefs if h.startswith("https://colab.research.google.com/github/")]
        assert len(local) == len(list(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))), hrefs
        assert len(colab) >= len(local)  # every notebook of the map, built or not, has its Colab link
        OUT.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(OUT / "site_index.png"), full_page=True)
        for href in local:
            response = page.goto(urljoin(site_url, href))
            assert response is not None and response.ok, href
            assert page.locator(".jp-Notebook, .jp-Cell").count() > 0, f"{href} shows no notebook"
    finally:
        page.close()


@pytest.mark.parametrize("stem", ["04_video_generation", "05_frame2frame", "06_world_simulator"])
def test_inline_videos_play_in_the_html_copies(browser_context, site_url, stem):
    page = browser_context.new_page()
    try:
        page.goto(urljoin(site_url, f"{stem}.html"))
        video = page.locator("video").first
        video.wait_for(state="attached", timeout=30_000)
        page.wait_for_function("document.querySelector('video').readyState >= 2", timeout=30_000)
        played = page.evaluate("""async () => {
            const v = document.querySelector('video'); v.muted = true; await v.play();
            await new Promise(r => setTimeout(r, 500)); return v.currentTime; }""")
        assert played > 0
    finally:
        page.close()
