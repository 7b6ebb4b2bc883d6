"""Progress bars: tqdm, off on request."""

from wmlib.progress import progress


def test_progress_wraps_tqdm_and_honours_tqdm_disable(monkeypatch):
    monkeypatch.setenv("TQDM_DISABLE", "1")
    bar = progress(range(3), desc="steps")
    assert bar.disable and list(bar) == [0, 1, 2]
    assert not progress(range(3), disable=False, file=__import__("io").StringIO()).disable
    monkeypatch.delenv("TQDM_DISABLE")
    bar = progress(range(3), file=__import__("io").StringIO())
    assert not bar.disable and list(bar) == [0, 1, 2]


def test_progress_show_false_hides_the_bar():
    bar = progress(range(3), show=False)
    assert bar.disable and list(bar) == [0, 1, 2]
