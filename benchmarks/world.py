"""Speed and memory of the toy world, on one thread.

    python benchmarks/world.py

Prints: camera images (64x64 RGB) rendered per second (goal >= 2,000/s), the time to simulate and
render 1,000 videos of 16 frames at 32x32 (goal <= 10 s), and the peak memory of a process that builds
a dataset of 10,000 images with their captions (goal <= 1 GB).
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_NUM_THREADS", "1")  # before NumPy loads its BLAS

import subprocess  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402

MEMORY_PROBE = """
import resource
from wmlib.world import ImageCaptionDataset
data = ImageCaptionDataset(10_000, seed=0)
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, data.images.nbytes / 2**20)
"""


def best_of(runs: int, fn) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    from wmlib.world import camera_image, render_video, sample_scenes, simulate

    scenes = sample_scenes(2000, seed=0)
    camera_image(scenes[:16])  # warm the ray and background caches
    seconds = best_of(3, lambda: camera_image(scenes))
    rate = len(scenes) / seconds
    print(
        f"camera images, 64x64 RGB, 1 thread: {rate:,.0f} scenes/s "
        f"(goal >= 2,000/s: {'met' if rate >= 2000 else 'MISSED'})"
    )

    clips = sample_scenes(1000, seed=1, moving=True)
    video_seconds = best_of(2, lambda: render_video(clips, simulate(clips, n_frames=16), "camera", 32))
    print(
        f"1,000 videos x 16 frames at 32x32 (simulate + render): {video_seconds:.2f} s "
        f"(goal <= 10 s: {'met' if video_seconds <= 10 else 'MISSED'})"
    )

    out = subprocess.run(
        [sys.executable, "-c", MEMORY_PROBE],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "OMP_NUM_THREADS": "1"},
    ).stdout.split()
    peak_mb, stored_mb = float(out[0]), float(out[1])
    print(
        f"peak memory building 10,000 64x64 images with captions: {peak_mb:,.0f} MB "
        f"(images stored in {stored_mb:.0f} MB; goal <= 1,024 MB: {'met' if peak_mb <= 1024 else 'MISSED'})"
    )


if __name__ == "__main__":
    main()
