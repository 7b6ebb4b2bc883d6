"""The course itself: the map of its notebooks, and the Colab cell that installs it.

The repository address is declared once, in ``pyproject.toml`` (``[project.urls] Repository``),
and read back here from the installed package's metadata.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Notebook:
    file: str
    title: str
    promise: str  # one line: what the learner will be able to do or see
    toy_minutes: float  # expected run time in the default mode on a 2-core CPU
    real_hardware: str  # what `real` mode needs
    gpu: bool  # benefits from a GPU: carries Colab's GPU metadata
    figure: int = 0  # which image of the executed notebook stands for it in the README (wmlib.course.site)


# CogVideoX's memory figures are those wmlib.registry derives (preflight plans with them): the weights,
# the VAE's peak while it decodes, and the CogVideo README's measured minimum with sequential offload.
NOTEBOOKS: tuple[Notebook, ...] = (
    Notebook(
        "00_start_here.ipynb",
        "Start here",
        "Check your machine, pick a mode, and see how the course is built.",
        0.5,
        "nothing beyond the CPU",
        False,
        figure=1,
    ),
    Notebook(
        "01_the_cave.ipynb",
        "The cave",
        "Meet a world whose reality Z we know, and measure what each of its shadows keeps.",
        1,
        "nothing beyond the CPU (the toy world is the lesson)",
        False,
        figure=3,
    ),
    Notebook(
        "02_clip.ipynb",
        "CLIP",
        "Write the contrastive loss, train a CLIP from scratch, and watch pairs meet on the sphere.",
        2,
        "any GPU or a CPU for CLIP ViT-B/32 and ViT-L/14 (0.6 and 1.7 GB in float32)",
        False,
        figure=5,
    ),
    Notebook(
        "03_platonic_representation.ipynb",
        "The Platonic Representation Hypothesis",
        "Measure whether models of different data and objectives converge, and toward what.",
        0.5,
        "a GPU for the vision and language model families (packaged encoders run on the CPU)",
        True,
        figure=2,
    ),
    Notebook(
        "04_video_generation.ipynb",
        "Video generation",
        "Open up a video diffusion model and test whether it has learned the world's physics.",
        2,
        "a CUDA GPU with 4 GB for CogVideoX-2b in float16 with sequential CPU offload and 16 GB of RAM "
        "(16 GB of GPU memory without)",
        True,
        figure=4,
    ),
    Notebook(
        "05_frame2frame.ipynb",
        "Frame2Frame",
        "Edit an image by letting a video happen, and pick the frame where the edit is done.",
        1,
        "a GPU with native bfloat16 (L4, A100, H100) for CogVideoX-5b-I2V: about 23 GB to hold it whole, "
        "12.4 GB with model CPU offload and 23 GB of RAM",
        True,
        figure=5,
    ),
    Notebook(
        "06_world_simulator.ipynb",
        "World simulators",
        "Build a model of the toy world that an agent can act in, and measure how well it dreams.",
        1,
        "nothing beyond the CPU (the learned simulator is a toy model)",
        False,
        figure=3,
    ),
)


def repository_url() -> str:
    """The course repository's address, as declared in pyproject.toml."""
    from importlib.metadata import PackageNotFoundError, metadata

    try:
        urls = metadata("wmlib").get_all("Project-URL") or []
    except PackageNotFoundError as err:
        raise RuntimeError("wmlib is not installed; run `make setup` (or `pip install -e .`)") from err
    for entry in urls:
        label, _, url = entry.partition(",")
        if label.strip().lower() == "repository":
            return url.strip()
    raise RuntimeError("pyproject.toml declares no [project.urls] Repository")


def colab_url(notebook: str, repo_url: str | None = None, branch: str = "main") -> str:
    """The link that opens ``notebooks/<notebook>`` of the repository in Colab."""
    path = (repo_url or repository_url()).removeprefix("https://github.com/").removesuffix(".git")
    return f"https://colab.research.google.com/github/{path}/blob/{branch}/notebooks/{notebook}"


def colab_setup_source(repo_url: str | None = None) -> str:
    """Source of every notebook's first code cell: installs the course in Colab, does nothing elsewhere."""
    url = repo_url or repository_url()
    folder = "/content/" + url.rstrip("/").removesuffix(".git").rsplit("/", 1)[-1]
    return f'''# In Colab this fetches the course and installs wmlib; anywhere else it does nothing.
import sys

if "google.colab" in sys.modules:
    import subprocess
    from pathlib import Path

    repo = Path("{folder}")
    if not repo.exists():
        subprocess.run(["git", "clone", "--depth", "1", "{url}", str(repo)], check=True)
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--editable", str(repo)], check=True)
    sys.path.insert(0, str(repo))  # this kernel started before the install, so it needs the path'''


def repo_root() -> Path | None:
    """The clone wmlib was installed from (editable install), or None for a plain install."""
    root = Path(__file__).resolve().parents[1]
    return root if (root / "pyproject.toml").exists() and (root / "notebooks").is_dir() else None


def notebook_map(repo_url: str | None = None) -> str:
    """The course map as a Markdown table: each notebook linked (relative to ``notebooks/``) with its
    promise, run time, real-mode hardware and Colab link."""
    root = repo_root()
    url = repo_url or repository_url()
    rows = ["| notebook | what you will do | default mode | `real` mode needs |", "|---|---|---|---|"]
    for nb in NOTEBOOKS:
        written = root is None or (root / "notebooks" / nb.file).exists()
        # a link relative to notebooks/, where 00_start_here shows this map: it opens the notebook in
        # JupyterLab and on GitHub alike
        name = f"[**{nb.file[:2]} {nb.title}**]({nb.file})" if written else f"**{nb.file[:2]} {nb.title}**"
        link = f" ([Colab]({colab_url(nb.file, url)}))" if written else " (being written)"
        minutes = "under a minute" if nb.toy_minutes < 1 else f"about {nb.toy_minutes:g} min"
        rows.append(f"| {name}{link} | {nb.promise} | {minutes} | {nb.real_hardware} |")
    return "\n".join(rows)
