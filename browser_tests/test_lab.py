"""Every notebook, run in JupyterLab in a real browser (Chromium driven by Playwright).

For each notebook: open it, clear its outputs, Run All Cells (the Run menu's command), wait until
the kernel is idle and every code cell has an execution count, then check that no cell shows an
error, that the figures rendered (images with a non-zero natural width), and that every interactive
widget (sliders, buttons) renders and answers: moving a slider changes its value, pressing a button
redraws the figure, and each widget redraws its figure for at least one control. A full-page
screenshot of each notebook goes to build/browser/NN_name.png, a summary to NN_name.json.

    make test-browser                              # all notebooks
    make test-browser BROWSER_TEST_ARGS="-k 06"    # one notebook
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from pathlib import Path

import pytest
from conftest import NOTEBOOKS, OUT, TIMINGS

NOTEBOOK_FILES = sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))
RUN_TIMEOUT = float(os.environ.get("WM_BROWSER_TIMEOUT", 300))  # seconds per notebook, for Run All
INTERACTION_TIMEOUT = 60.0
MAX_SCREENSHOT_HEIGHT = 16000  # Chromium's limit for one capture is about 16384 px

# The widgets the course promises; any other slider or button found is exercised as well.
EXPECTED_CONTROLS = {
    "01_the_cave": {"sliders": {"fire x", "fire height", "object x", "object height", "object depth"}},
    "06_world_simulator": {"buttons": {"none", "left", "right", "up", "reset"}, "sliders": {"strength (m/s)"}},
}

# --- JavaScript run in the page; `window.jupyterapp` exists because the server sets expose_app_in_browser.
FIND = """
const app = window.jupyterapp;
const w = app && [...app.shell.widgets('main')].find(w => w.context && w.context.path === name);
"""
JS_OPENED = (
    "(name) => {"
    + FIND
    + """
  return !!(w && w.content && w.content.model && w.sessionContext && w.content.widgets.length > 0);
}"""
)
JS_RUN_ALL = (
    "async (name) => {"
    + FIND
    + """
  app.shell.activateById(w.id);
  await w.context.ready;
  await w.sessionContext.ready;
  await app.commands.execute('notebook:clear-all-cell-outputs');
  app.commands.execute('notebook:run-all-cells');  // not awaited: progress is polled from Python
  if (!app.shell.leftCollapsed) app.shell.collapseLeft();
  if (!app.shell.rightCollapsed) app.shell.collapseRight();
  return true;
}"""
)
JS_STATE = (
    "(name) => {"
    + FIND
    + """
  const kernel = w.sessionContext.session && w.sessionContext.session.kernel;
  const cells = w.content.model.cells, pending = [], errors = [];
  let code = 0;
  for (let i = 0; i < cells.length; i++) {
    const c = cells.get(i);
    if (c.type !== 'code') continue;
    code++;
    if (c.sharedModel.getSource().trim() && c.executionCount == null) pending.push(i);
    for (let j = 0; j < c.outputs.length; j++) {
      const o = c.outputs.get(j).toJSON();
      if (o.output_type === 'error') errors.push({cell: i, ename: o.ename, evalue: o.evalue,
                                                  traceback: (o.traceback || []).join('\\n')});
    }
  }
  const running = [...w.node.querySelectorAll('.jp-InputPrompt')].filter(p => p.textContent.includes('*')).length;
  const errorOutput = '.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.error"]';
  const domErrors = w.node.querySelectorAll(errorOutput).length;
  const widgetErrors = [...w.node.querySelectorAll('.jp-OutputArea-output')]
      .filter(o => o.textContent.includes('Error displaying widget')).length;
  return {kernel: kernel ? kernel.status : 'none', code, pending, running, errors, domErrors, widgetErrors};
}"""
)
JS_IMAGES = (
    "(name) => {"
    + FIND
    + """
  return [...w.node.querySelectorAll('.jp-OutputArea-output img')].map(
      i => ({complete: i.complete, width: i.naturalWidth, height: i.naturalHeight}));
}"""
)
JS_HEIGHTS = (
    "(name) => {"
    + FIND
    + """
  const s = w.node.querySelector('.jp-WindowedPanel-outer') || w.content.node;
  return {content: s.scrollHeight, visible: s.clientHeight, page: window.innerHeight};
}"""
)
JS_SCROLL_TOP = (
    "(name) => {"
    + FIND
    + """
  const s = w.node.querySelector('.jp-WindowedPanel-outer') || w.content.node;
  s.scrollTop = 0;
  return s.scrollHeight - s.clientHeight;
}"""
)
JS_BLOCK_IMAGE = """(el) => [...el.querySelectorAll('.widget-output img')].map(i => i.src).join('|')"""


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _expects_figures(path: Path) -> bool:
    """Whether the committed notebook draws (has image outputs): then the browser must show images."""
    nb = json.loads(path.read_text())
    return any("image/png" in o.get("data", {}) for c in nb["cells"] for o in c.get("outputs", []))


def _short(s: str) -> str:
    return hashlib.sha1(s.encode()).hexdigest()[:10] if s else "-"


class Notebook:
    def __init__(self, page, name: str):
        self.page, self.name = page, name

    def state(self) -> dict:
        return self.page.evaluate(JS_STATE, self.name)

    def wait_done(self, timeout: float) -> dict:
        """Poll until the kernel is idle and every non-empty code cell has an execution count
        (twice in a row), or an error output appears, or the time is up."""
        deadline, settled = time.monotonic() + timeout, 0
        while True:
            s = self.state()
            if s["errors"] or s["domErrors"]:
                return s
            done = s["kernel"] == "idle" and not s["pending"] and not s["running"]
            settled = settled + 1 if done else 0
            if settled >= 2:
                return s
            if time.monotonic() > deadline:
                raise AssertionError(
                    f"{self.name}: not finished after {timeout:.0f} s: kernel {s['kernel']}, "
                    f"code cells without an execution count: {s['pending']}"
                )
            time.sleep(1.0)

    def wait_images(self, timeout: float = 30.0) -> list[dict]:
        deadline = time.monotonic() + timeout
        while True:
            imgs = self.page.evaluate(JS_IMAGES, self.name)
            if all(i["complete"] for i in imgs) or time.monotonic() > deadline:
                return imgs
            time.sleep(0.5)

    def kernel(self) -> str:
        return self.state()["kernel"]

    def wait_reaction(self, block, before: str) -> str:
        """After a widget interaction: wait until the block's figure changes, or until the kernel has
        been idle for a while (the interaction did not redraw); returns the figure's src."""
        start, idle = time.monotonic(), 0
        while True:
            time.sleep(0.5)
            now = block.evaluate(JS_BLOCK_IMAGE)
            if now and now != before:
                self.wait_images(10)
                return block.evaluate(JS_BLOCK_IMAGE)
            idle = idle + 1 if self.kernel() == "idle" else 0
            if (idle >= 4 and time.monotonic() - start > 3) or time.monotonic() - start > INTERACTION_TIMEOUT:
                return now

    def screenshot(self, path: Path) -> None:
        h = self.page.evaluate(JS_HEIGHTS, self.name)
        height = min(MAX_SCREENSHOT_HEIGHT, h["page"] - h["visible"] + h["content"] + 40)
        self.page.set_viewport_size({"width": 1400, "height": max(1000, int(height))})
        self.page.wait_for_timeout(1000)  # let the taller layout paint
        self.page.evaluate(JS_SCROLL_TOP, self.name)
        self.page.wait_for_timeout(500)
        self.page.screenshot(path=str(path), full_page=True)


def _move_slider(page, slider) -> tuple[str, str]:
    """Move one ipywidgets slider with the keyboard (noUiSlider handles take arrow keys), falling back to
    dragging the handle; returns the readout before and after."""
    readout = slider.locator(".widget-readout").first
    handle = slider.locator(".noUi-handle").first
    before = readout.inner_text().strip()

    def changed(wait: float = 3.0) -> bool:
        end = time.monotonic() + wait
        while time.monotonic() < end:
            if readout.inner_text().strip() != before:
                return True
            time.sleep(0.2)
        return False

    for key in ("ArrowRight", "ArrowLeft"):  # left when the value already sits at the maximum
        handle.focus()
        for _ in range(3):
            page.keyboard.press(key)
        if changed():
            return before, readout.inner_text().strip()
    box = handle.bounding_box()
    if box:
        x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
        for dx in (-40, 40):
            page.mouse.move(x, y)
            page.mouse.down()
            page.mouse.move(x + dx, y, steps=5)
            page.mouse.up()
            if changed():
                break
    return before, readout.inner_text().strip()


def _exercise_widgets(page, nb: Notebook) -> list[dict]:
    """Every output that holds sliders or buttons: move each slider, press each button, and record
    whether the value moved and whether the widget's figure was redrawn."""
    results = []
    blocks = page.locator(".jp-Notebook .jp-OutputArea-output").filter(
        has=page.locator(".widget-slider, button.widget-button")
    )
    for b in range(blocks.count()):
        block = blocks.nth(b)
        block.scroll_into_view_if_needed()
        figure = block.evaluate(JS_BLOCK_IMAGE)
        sliders, buttons = block.locator(".widget-slider"), block.locator("button.widget-button")
        for s in range(sliders.count()):
            slider = sliders.nth(s)
            label = slider.locator(".widget-label").first.inner_text().strip()
            before, after = _move_slider(page, slider)
            now = nb.wait_reaction(block, figure)
            results.append(
                {
                    "block": b,
                    "kind": "slider",
                    "label": label,
                    "value": [before, after],
                    "moved": before != after,
                    "redrawn": bool(now) and now != figure,
                    "figure": [_short(figure), _short(now)],
                }
            )
            figure = now
        for i in range(buttons.count()):
            button = buttons.nth(i)
            label = button.inner_text().strip()
            button.click()
            now = nb.wait_reaction(block, figure)
            results.append(
                {
                    "block": b,
                    "kind": "button",
                    "label": label,
                    "redrawn": bool(now) and now != figure,
                    "figure": [_short(figure), _short(now)],
                }
            )
            figure = now
    return results


@pytest.mark.parametrize("path", NOTEBOOK_FILES, ids=[p.stem for p in NOTEBOOK_FILES])
def test_notebook_in_jupyterlab(lab, browser_context, path: Path):
    name, stem = path.name, path.stem
    digest = _digest(path)
    page = browser_context.new_page()
    console_errors: list[str] = []
    page.on("pageerror", lambda e: console_errors.append(str(e)))
    nb = Notebook(page, name)
    summary: dict = {"notebook": name}
    t0 = time.monotonic()
    outcome, run_s = "failed", float("nan")
    try:
        # `reset` starts from an empty workspace, so a notebook opened by an earlier test does not come back.
        page.goto(lab.url(f"/lab/tree/{name}?reset"), wait_until="domcontentloaded", timeout=120_000)
        page.wait_for_function(JS_OPENED, arg=name, timeout=120_000, polling=500)
        t_run = time.monotonic()
        page.evaluate(JS_RUN_ALL, name)
        state = nb.wait_done(RUN_TIMEOUT)
        run_s = time.monotonic() - t_run
        summary.update(run_all_s=round(run_s, 1), code_cells=state["code"])
        sessions = [x["path"] for x in lab.api("sessions")]
        assert len(sessions) == 1, f"expected one kernel session (this notebook's), found {sessions}"
        errors = [f"cell {e['cell']}: {e['ename']}: {e['evalue']}\n{e['traceback']}" for e in state["errors"]]
        assert not errors and not state["domErrors"], f"{name} shows error output:\n" + "\n".join(errors)

        imgs = nb.wait_images()
        summary["images"] = len(imgs)
        if _expects_figures(path):
            assert imgs, f"{name} draws figures, but no image rendered in the page"
        bad = [i for i in imgs if not (i["complete"] and i["width"] > 0 and i["height"] > 0)]
        assert not bad, f"{name}: {len(bad)} of {len(imgs)} images did not load: {bad}"
        assert not nb.state()["widgetErrors"], f"{name}: a widget did not render ('Error displaying widget')"

        interactions = _exercise_widgets(page, nb)
        summary["widgets"] = interactions
        expected = EXPECTED_CONTROLS.get(stem, {})
        found_sliders = {r["label"] for r in interactions if r["kind"] == "slider"}
        found_buttons = {r["label"] for r in interactions if r["kind"] == "button"}
        assert expected.get("sliders", set()) <= found_sliders, (
            f"{name}: sliders missing from the page: {expected['sliders'] - found_sliders}"
        )
        assert expected.get("buttons", set()) <= found_buttons, (
            f"{name}: buttons missing from the page: {expected['buttons'] - found_buttons}"
        )
        still = [r for r in interactions if r["kind"] == "slider" and not r["moved"]]
        assert not still, f"{name}: sliders that did not move: {still}"
        dead = [r for r in interactions if r["kind"] == "button" and not r["redrawn"]]
        assert not dead, f"{name}: buttons whose figure did not change: {dead}"
        for b in sorted({r["block"] for r in interactions}):
            assert any(r["redrawn"] for r in interactions if r["block"] == b), (
                f"{name}: widget {b} never redrew its figure: {[r for r in interactions if r['block'] == b]}"
            )
        state = nb.state()
        errors = [f"cell {e['cell']}: {e['ename']}: {e['evalue']}" for e in state["errors"]]
        assert not errors and not state["domErrors"], f"{name}: error output after using the widgets: {errors}"
        outcome = "passed"
    finally:
        total = time.monotonic() - t0
        summary.update(outcome=outcome, total_s=round(total, 1), page_errors=console_errors)
        try:
            nb.screenshot(OUT / f"{stem}.png")
        except Exception as e:  # noqa: BLE001 (a failed screenshot must not hide the real failure)
            summary["screenshot_error"] = str(e)
        (OUT / f"{stem}.json").write_text(json.dumps(summary, indent=1))
        TIMINGS.append((stem, outcome, run_s, total))
        page.close()  # closing the page never saves the notebook (autosave is off for this server)
        lab.shutdown_kernels()
    assert _digest(path) == digest, f"{name} was modified on disk by the browser test"
