"""The projections of the toy world agree with geometry and with each other."""

import numpy as np
import pytest

from wmlib.world import render as R
from wmlib.world.raycast import GROUND, WALL
from wmlib.world.scene import COLOUR_NAMES, WALL_Z, make_scene, sample_scenes


def wall_centres(size, window=R.WALL_WINDOW):
    x, y, z = R.wall_points(size, window)
    return np.stack([x[0], y[0], z[0]], axis=1)


def segment_distance(points, a, b):
    """Distance from a point ``b`` to each segment points[i] -> a (independent of the renderer)."""
    ab = points - a
    t = np.clip(((b - a) * ab).sum(1) / (ab * ab).sum(1), 0, 1)
    return np.linalg.norm(a + t[:, None] * ab - b, axis=1)


def test_sphere_shadow_is_its_central_projection_from_the_fire():
    centre, light, r = np.array([0.3, 1.0, 1.5]), np.array([-0.2, 0.3, -1.5]), 0.35
    scene = make_scene([dict(shape="sphere", colour="red", size="large", position=centre)], light=light)
    dark = R.shadow(scene, 96)[0].ravel() < 0.1
    points = wall_centres(96)
    expected = segment_distance(points, light, centre) < r  # the segment wall -> fire passes through the ball
    assert expected.sum() > 50  # the test scene casts a real shadow on the wall
    # Both sides are exact geometry, so they may differ only where a pixel centre sits on the edge.
    assert (dark != expected).sum() <= 1
    # The shadow's centre lies where the ray from the fire through the ball's centre meets the wall.
    s = (WALL_Z - light[2]) / (centre[2] - light[2])
    hit = light + s * (centre - light)
    centroid = points[dark, :2].mean(0)
    pixel = (R.WALL_WINDOW[1] - R.WALL_WINDOW[0]) / 96
    assert np.linalg.norm(centroid - hit[:2]) < 0.05 * r * s + pixel


def test_cube_shadow_is_the_hull_of_its_projected_corners():
    centre, light, r = np.array([-0.4, 0.9, 1.2]), np.array([0.4, 0.2, -1.4]), 0.35
    scene = make_scene([dict(shape="cube", colour="blue", size="large", position=centre)], light=light)
    dark = R.shadow(scene, 96)[0].ravel() < 0.1
    corners = centre + r * np.array([[i, j, k] for i in (-1, 1) for j in (-1, 1) for k in (-1, 1)])
    s = (WALL_Z - light[2]) / (corners[:, 2] - light[2])
    projected = (light + s[:, None] * (corners - light))[:, :2]
    hull = _convex_hull(projected)
    points = wall_centres(96)[:, :2]
    inside = np.all([_cross(hull[i], hull[(i + 1) % len(hull)], points) >= 0 for i in range(len(hull))], axis=0)
    assert inside.sum() > 50
    assert (dark != inside).sum() <= 2  # exact geometry on both sides: only pixels on an edge may differ


def _cross(a, b, p):
    return (b[0] - a[0]) * (p[:, 1] - a[1]) - (b[1] - a[1]) * (p[:, 0] - a[0])


def _convex_hull(points):
    """Counter-clockwise hull (Andrew's monotone chain)."""
    pts = sorted(map(tuple, points))

    def half(seq):
        out = []
        for p in seq:
            while len(out) >= 2 and _cross(np.array(out[-2]), np.array(out[-1]), np.array([p]))[0] <= 0:
                out.pop()
            out.append(p)
        return out[:-1]

    return np.array(half(pts) + half(pts[::-1]))


def test_occlusion_order_agrees_with_depth():
    """In scenes of spheres, each pixel shows the sphere nearest along its ray, at that depth."""
    scene = sample_scenes(40, seed=1)
    scene = scene.with_(shape=np.where(scene.present, 0, -1).astype(np.int8))  # all spheres
    image, depth, ids = R.render(scene, 48)
    o, d = R.camera_rays(R.VIEW, (48, 48))
    origin, dirs = np.array([v[0, 0] for v in o]), np.stack([v[0] for v in d], axis=1)
    forward = R.VIEW.basis()[2]
    for b in range(len(scene)):
        best_t = np.full(len(dirs), np.inf)
        best_k = np.full(len(dirs), -1)
        for k in np.flatnonzero(scene.present[b]):
            oc = origin - scene.position[b, k]
            half_b = dirs @ oc
            disc = half_b**2 - (oc @ oc - scene.radius[b, k] ** 2)
            t = np.where(disc >= 0, -half_b - np.sqrt(np.maximum(disc, 0)), np.inf)
            better = t < best_t
            best_t, best_k = np.where(better, t, best_t), np.where(better, k, best_k)
        on_object = best_k >= 0
        assert np.array_equal(ids[b].ravel()[on_object], best_k[on_object])
        np.testing.assert_allclose(depth[b].ravel()[on_object], (best_t * (dirs @ forward))[on_object], rtol=1e-4)


def test_the_nearer_object_hides_the_farther_one():
    scene = make_scene(
        [
            dict(shape="cube", colour="red", size="large", position=(0.0, 0.9, 1.0)),
            dict(shape="cube", colour="blue", size="large", position=(0.0, 0.9, 2.5)),
        ]
    )
    camera = R.Camera(position=(0.0, 0.9, -2.0), look_at=(0.0, 0.9, 2.0), fov=30)
    image, depth, ids = R.render(scene, 32, camera)
    centre = ids[0, 16, 16]
    assert centre == 0  # the red cube, in front
    assert np.argmax(image[0, 16, 16]) == 0  # and it is red


def test_occupancy_agrees_with_depth():
    """Back-projected object pixels fall in (or next to) voxels labelled with that object."""
    scene = sample_scenes(30, seed=2)
    _, depth, ids = R.render(scene, 64)
    grid = R.occupancy(scene, (64, 36, 64))
    o, d = R.camera_rays(R.VIEW, (64, 64))
    origin, dirs = np.array([v[0, 0] for v in o]), np.stack([v[0] for v in d], axis=1)
    forward = R.VIEW.basis()[2]
    (x0, x1), (y0, y1), (z0, z1) = R.OCCUPANCY_BOUNDS
    voxel = np.array([(x1 - x0) / 64, (y1 - y0) / 36, (z1 - z0) / 64])
    agree = total = 0
    for b in range(len(scene)):
        mask = ids[b].ravel() < 3
        t = depth[b].ravel()[mask] / (dirs[mask] @ forward)
        points = origin + t[:, None] * dirs[mask]
        index = np.floor((points - [x0, y0, z0]) / voxel).astype(int)
        labels = ids[b].ravel()[mask] + 1
        padded = np.pad(grid[b], 1)
        near = np.zeros(len(points), bool)
        for off in np.ndindex(3, 3, 3):
            i = index + np.array(off)  # padding shifts by one, so offsets 0..2 are -1..+1
            near |= padded[i[:, 0], i[:, 1], i[:, 2]] == labels
        agree += near.sum()
        total += len(points)
    assert total > 1000
    assert agree / total > 0.99


def test_lidar_agrees_with_depth():
    """A LiDAR at the camera sees the same surfaces: its points have the camera's depth at their pixel."""
    scene = sample_scenes(20, seed=3)
    cam = R.VIEW
    _, depth, _ = R.render(scene, 128, cam)
    sensor = R.Lidar(position=cam.position, beams=24, columns=360, elevation=(-35.0, 10.0))
    ranges, points = R.lidar(scene, sensor)
    right, up, forward = cam.basis()
    focal = 64 / np.tan(np.radians(cam.fov) / 2)
    close = total = 0
    for b in range(len(scene)):
        p = points[b][~np.isnan(points[b][:, 0])] - np.array(cam.position)
        z = p @ forward
        u = 64 + focal * (p @ right) / z - 0.5
        v = 64 - focal * (p @ up) / z - 0.5
        ok = (z > 0) & (u > 1) & (u < 126) & (v > 1) & (v < 126)
        rows, cols = np.round(v[ok]).astype(int), np.round(u[ok]).astype(int)
        seen = depth[b][rows, cols]
        # Skip depth edges, where a beam and the nearest pixel may straddle two surfaces.
        window = np.stack([depth[b][rows + i, cols + j] for i in (-1, 0, 1) for j in (-1, 0, 1)])
        smooth = np.ptp(window, axis=0) < 0.1
        close += (np.abs(seen - z[ok]) < 0.05)[smooth].sum()
        total += smooth.sum()
    assert total > 1000
    assert close / total > 0.98


def test_lidar_range_image_and_points_agree():
    scene = sample_scenes(5, seed=4)
    sensor = R.Lidar()
    ranges, points = R.lidar(scene, sensor)
    assert ranges.shape == (5, sensor.beams, sensor.columns)
    has_return = ranges.reshape(5, -1) > 0
    assert np.array_equal(has_return, ~np.isnan(points[..., 0]))
    dist = np.linalg.norm(points - np.array(sensor.position), axis=-1)
    np.testing.assert_allclose(dist[has_return], ranges.reshape(5, -1)[has_return], rtol=1e-5)
    assert has_return.mean() > 0.3 and (~has_return).any()  # the ground and wall return, the open cave does not


def test_camera_image_shows_the_objects_colour_and_the_fire_lights_the_wall():
    scene = make_scene(
        [dict(shape="sphere", colour=c, size="large", position=(0.0, 0.6, 1.5)) for c in ["green"]],
        light=(0.0, 0.3, -1.5),
    )
    image, _, ids = R.render(scene, 64)
    pixels = image[0][ids[0] == 0]
    assert len(pixels) > 30
    assert (pixels[:, 1] > pixels[:, 0]).mean() > 0.9 and (pixels[:, 1] > pixels[:, 2]).mean() > 0.9
    assert (ids[0] == WALL).any() and (ids[0] == GROUND).any()


def test_same_seed_same_bytes():
    a, b = sample_scenes(50, seed=9), sample_scenes(50, seed=9)
    for f in ("shape", "colour", "size", "position", "light"):
        assert getattr(a, f).tobytes() == getattr(b, f).tobytes()
    assert R.camera_image(a).tobytes() == R.camera_image(b).tobytes()
    assert R.shadow(a).tobytes() == R.shadow(b).tobytes()
    assert R.occupancy(a).tobytes() == R.occupancy(b).tobytes()
    assert R.lidar(a)[0].tobytes() == R.lidar(b)[0].tobytes()
    assert sample_scenes(50, seed=10).position.tobytes() != a.position.tobytes()


def test_rendering_in_chunks_changes_nothing():
    scene = sample_scenes(40, seed=5)
    whole = R.camera_image(scene, 32)
    parts = np.concatenate([R.camera_image(scene[i : i + 7], 32) for i in range(0, 40, 7)])
    assert whole.tobytes() == parts.tobytes()


@pytest.mark.parametrize("size", [0, -3, 2.5, (16, 0)])
def test_bad_image_size(size):
    with pytest.raises(ValueError, match="positive integer"):
        R.camera_image(sample_scenes(1), size)


def test_bad_occupancy_resolution():
    with pytest.raises(ValueError, match="three positive integers"):
        R.occupancy(sample_scenes(1), (8, 0, 8))


def test_every_colour_renders_distinctly():
    scenes = [make_scene([dict(shape="cube", colour=c, size="large", position=(0.0, 1.0))]) for c in COLOUR_NAMES]
    from wmlib.world.scene import Scene

    image, _, ids = R.render(Scene.concat(scenes), 48)
    means = np.array([image[i][ids[i] == 0].mean(0) for i in range(len(COLOUR_NAMES))])
    gaps = np.linalg.norm(means[:, None] - means[None], axis=-1) + np.eye(len(means))
    assert gaps.min() > 0.08


def test_project_to_wall_is_where_the_rendered_shadow_falls():
    centre, light = np.array([0.5, 1.2, 1.0]), np.array([0.1, 0.2, -1.5])
    scene = make_scene([dict(shape="sphere", colour="red", size="small", position=centre)], light=light)
    dark = R.shadow(scene, 128)[0].ravel() < 0.1
    x, y = R.project_to_wall(centre, light)
    points = wall_centres(128)
    nearest = np.argmin((points[:, 0] - x) ** 2 + (points[:, 1] - y) ** 2)
    assert dark[nearest]  # the projected centre is in the shadow
    assert R.project_to_wall(np.array([[0.0, 0.2, 1.0], light + [1, 1, 1]]), light).shape == (2, 2)
    with pytest.raises(ValueError, match="between the fire and the wall"):
        R.project_to_wall(light - 1, light)
