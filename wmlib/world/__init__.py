"""The toy world: a cave whose reality Z we know, and all its projections.

- ``scene``:    Z itself, sampled from a seed or set by hand (``sample_scenes``, ``make_scene``)
- ``render``:   camera image, shadow on the wall, depth, occupancy, LiDAR (all ray casts: ``raycast``)
- ``captions``: the text projection, always true of Z
- ``physics``:  Z moving forward in time; ``video`` renders it
- ``actions``:  a hand that pushes an object between frames, so that the world takes actions
- ``data``:     Z as a factor table, the kernel of Z, and torch datasets

The names most lessons need are importable from here, e.g. ``from wmlib.world import sample_scenes``.
"""

from wmlib.world.captions import caption, captions, motion_caption, motion_captions
from wmlib.world.data import ImageCaptionDataset, VideoCaptionDataset, factor_table, z_kernel
from wmlib.world.physics import Trajectory, simulate
from wmlib.world.render import FRONT, VIEW, Camera, Lidar, camera_image, depth_map, lidar, occupancy, shadow
from wmlib.world.scene import COLOUR_NAMES, SHAPES, SIZES, Scene, make_scene, sample_scenes
from wmlib.world.video import IMAGE_PROJECTIONS, project, render_video

__all__ = [
    "COLOUR_NAMES",
    "FRONT",
    "IMAGE_PROJECTIONS",
    "SHAPES",
    "SIZES",
    "VIEW",
    "Camera",
    "ImageCaptionDataset",
    "Lidar",
    "Scene",
    "Trajectory",
    "VideoCaptionDataset",
    "camera_image",
    "caption",
    "captions",
    "depth_map",
    "factor_table",
    "lidar",
    "make_scene",
    "motion_caption",
    "motion_captions",
    "occupancy",
    "project",
    "render_video",
    "sample_scenes",
    "shadow",
    "simulate",
    "z_kernel",
]
