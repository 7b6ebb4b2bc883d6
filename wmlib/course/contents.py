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
    part: str = ""  # which stretch of the course's arc it belongs to: a key of PARTS ("" for 00)
    question: str = ""  # the question it answers by measuring, in a few words


# The course's arc: first what a model recovers of Z, then models that predict what happens next as video,
# then models that predict it for an agent's action. Each part's notebooks answer part of 00's definition.
PARTS = {
    "representation": ("Representation", "How much of Z does a model recover?"),
    "generation": ("Generation", "Can a model predict what happens next?"),
    "simulation": ("Simulation", "What happens next if I act?"),
}


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
        1.5,
        "nothing beyond the CPU (the toy world is the lesson)",
        False,
        figure=3,
        part="representation",
        question="What does each projection of Z keep?",
    ),
    Notebook(
        "02_clip.ipynb",
        "CLIP",
        "Write the contrastive loss, train a CLIP from scratch, and watch pairs meet on the sphere.",
        2,
        "any GPU or a CPU for CLIP ViT-B/32 and ViT-L/14 (0.6 and 1.7 GB in float32)",
        False,
        figure=5,
        part="representation",
        question="Can two projections share one space?",
    ),
    Notebook(
        "03_platonic_representation.ipynb",
        "The Platonic Representation Hypothesis",
        "Measure whether models of different data and objectives converge, and toward what.",
        1.5,
        "a GPU for the vision and language model families (packaged encoders run on the CPU)",
        True,
        figure=2,
        part="representation",
        question="Do different models converge, toward Z?",
    ),
    Notebook(
        "04_video_generation.ipynb",
        "Video generation",
        "Open up a video diffusion model and test whether it has learned the world's physics.",
        1.5,
        "a CUDA GPU with 4 GiB for CogVideoX-2b in float16 with sequential CPU offload and 16 GiB of RAM "
        "(16 GiB of GPU memory without)",
        True,
        figure=4,
        part="generation",
        question="Has a video model learned the physics?",
    ),
    Notebook(
        "05_frame2frame.ipynb",
        "Frame2Frame",
        "Edit an image by letting a video happen, and pick the frame where the edit is done.",
        0.5,
        "a GPU with native bfloat16 (L4, A100, H100) for CogVideoX-5b-I2V: about 23 GiB to hold it whole, "
        "12.4 GiB with model CPU offload and 23 GiB of RAM",
        True,
        figure=5,
        part="generation",
        question="Can its sense of motion edit an image?",
    ),
    Notebook(
        "06_world_simulator.ipynb",
        "World simulators",
        "Build a model of the toy world that an agent can act in, and measure how well it dreams.",
        0.5,
        "nothing beyond the CPU (the learned simulator is a toy model)",
        False,
        figure=3,
        part="simulation",
        question="Can an agent plan inside a learned model?",
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
    promise, run time, real-mode hardware and Colab link, under a row naming its part of the arc."""
    root = repo_root()
    url = repo_url or repository_url()
    rows = ["| notebook | what you will do | default mode | `real` mode needs |", "|---|---|---|---|"]
    part = ""
    for nb in NOTEBOOKS:
        if nb.part != part:
            part = nb.part
            rows.append(f"| ***{PARTS[part][0]}**: {PARTS[part][1]}* | | | |")
        written = root is None or (root / "notebooks" / nb.file).exists()
        # a link relative to notebooks/, where 00_start_here shows this map: it opens the notebook in
        # JupyterLab and on GitHub alike
        name = f"[**{nb.file[:2]} {nb.title}**]({nb.file})" if written else f"**{nb.file[:2]} {nb.title}**"
        link = f" ([Colab]({colab_url(nb.file, url)}))" if written else " (being written)"
        minutes = "under a minute" if nb.toy_minutes < 1 else f"about {nb.toy_minutes:g} min"
        rows.append(f"| {name}{link} | {nb.promise} | {minutes} | {nb.real_hardware} |")
    return "\n".join(rows)


def arc_figure():
    """The course's arc as a picture: the notebooks in order, grouped by part, each with its question."""
    import matplotlib.pyplot as plt
    from matplotlib.patches import FancyArrowPatch, FancyBboxPatch

    lessons = [nb for nb in NOTEBOOKS if nb.part]
    colours = dict(zip(PARTS, ("#dbe7f3", "#f6e3c6", "#dcefd9")))
    fig, ax = plt.subplots(figsize=(11, 3.3))
    width, gap = 1.0, 0.35
    for i, nb in enumerate(lessons):
        x = i * (width + gap)
        ax.add_patch(FancyBboxPatch((x, 0), width, 1, boxstyle="round,pad=0.02", fc=colours[nb.part], ec="#555"))
        ax.text(x + width / 2, 0.78, f"{nb.file[:2]}", ha="center", va="center", fontsize=13, weight="bold")
        ax.text(
            x + width / 2,
            0.58,
            _wrap(nb.title, 16),
            ha="center",
            va="center",
            fontsize=8.5,
        )
        ax.text(x + width / 2, 0.2, _wrap(nb.question, 16), ha="center", va="center", fontsize=8, style="italic")
        if i:
            start = (x - gap + 0.03, 0.5)
            ax.add_patch(FancyArrowPatch(start, (x - 0.03, 0.5), arrowstyle="-|>", mutation_scale=12, color="#555"))
    for part, (name, question) in PARTS.items():
        members = [i for i, nb in enumerate(lessons) if nb.part == part]
        left, right = members[0] * (width + gap), members[-1] * (width + gap) + width
        ax.plot([left, right], [1.1, 1.1], color="#555", lw=1.5)
        ax.text((left + right) / 2, 1.42, name, ha="center", va="bottom", fontsize=10.5, weight="bold")
        ax.text((left + right) / 2, 1.17, _wrap(question, 28 * len(members)), ha="center", va="bottom", fontsize=9)
    ax.text(
        -0.1,
        -0.22,
        "A world model recovers enough of Z (01-03) to predict what happens next (04-05), "
        "and what happens next if an agent acts (06).",
        fontsize=9.5,
        va="top",
    )
    ax.set_xlim(-0.15, len(lessons) * (width + gap) - gap + 0.15)
    ax.set_ylim(-0.4, 1.65)
    ax.axis("off")
    fig.tight_layout()
    return fig


def _wrap(text: str, width: int) -> str:
    import textwrap

    return "\n".join(textwrap.wrap(text, width))
