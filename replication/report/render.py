"""Videos to watch: per video, side-by-side panels (the frame, its ground truth, each method's
labels, the masklets) as an MP4 and a small GIF, in the benchmark's official palette.

Flicker, boundaries and masklets that follow objects show in motion, not in still panels. The
labels are blended over the frame (ignore pixels and frames without a label show the frame);
each masklet keeps its colour through the video, so a tracked object keeps its colour. Frames
are read, composed and written one at a time (the GIF keeps at most `gif_frames` small ones).
The MP4 is MPEG-4 Part 2 (OpenCV's `mp4v`, which every OpenCV build writes; players take it,
browsers may not: the GIF is the preview).
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from replication.core.atomic import atomic_path
from replication.core.settings import Settings, setting
from replication.data.dataset import Dataset
from replication.data.images import read_image
from replication.data.labels import read_label
from replication.data.video import IGNORE, Video, prediction_path

# The palettes the benchmarks' own tools draw with, one RGB colour per class id
CAMVID = [(128, 128, 128), (128, 0, 0), (192, 192, 128), (128, 64, 128), (60, 40, 222),
          (128, 128, 0), (192, 128, 128), (64, 64, 128), (64, 0, 128), (64, 64, 0),
          (0, 128, 192)]  # SegNet's CamVid classes: Sky .. Bicyclist
CITYSCAPES = [(128, 64, 128), (244, 35, 232), (70, 70, 70), (102, 102, 156), (190, 153, 153),
              (153, 153, 153), (250, 170, 30), (220, 220, 0), (107, 142, 35), (152, 251, 152),
              (70, 130, 180), (220, 20, 60), (255, 0, 0), (0, 0, 142), (0, 0, 70),
              (0, 60, 100), (0, 80, 100), (0, 0, 230), (119, 11, 32)]  # cityscapesscripts
# VSPW's toolkit colours its saved masks by raw value (class + 1): these for 1..21, grey
# levels (v, v, v) from 22 on
VSPW_HEAD = [(128, 0, 0), (0, 128, 0), (128, 128, 0), (0, 0, 128), (128, 0, 128), (0, 128, 128),
             (128, 128, 128), (64, 0, 0), (191, 0, 0), (64, 128, 0), (191, 128, 0),
             (64, 0, 128), (191, 0, 128), (64, 128, 128), (191, 128, 128), (0, 64, 0),
             (128, 64, 0), (0, 191, 0), (128, 191, 0), (0, 64, 128), (128, 64, 128)]
FPS = {"camvid": 15, "vspw": 15, "cityscapes": 17}  # the labelled clips' frame rates


def palette(dataset: str, num_classes: int) -> np.ndarray:
    """(num_classes, 3) uint8 colours of a benchmark's classes (evenly spaced hues for one
    without an official palette)."""
    if dataset == "camvid":
        colours = CAMVID
    elif dataset == "cityscapes":
        colours = CITYSCAPES
    elif dataset == "vspw":
        colours = VSPW_HEAD + [(v, v, v) for v in range(22, num_classes + 1)]
    else:
        import colorsys

        colours = [tuple(round(255 * c) for c in colorsys.hsv_to_rgb(i / num_classes, 0.75,
                                                                       0.95))
                   for i in range(num_classes)]
    return np.array(colours[:num_classes], np.uint8)


@dataclass
class RenderSettings(Settings):
    """`report.render` in params: the videos the report renders, and their size."""

    videos: int = setting(2, "videos of the qualitative benchmark's temporal split to render",
                          min=0)
    width: int = setting(240, "width of each panel in pixels", min=16)
    columns: int = setting(4, "panels a row", min=1)
    gif_frames: int = setting(48, "frames of the GIF preview (every other frame)", min=1)
    alpha: float = setting(0.6, "opacity of the labels over the frame", min=0, max=1)


def blend(image: np.ndarray, label: np.ndarray | None, colours: np.ndarray,
          alpha: float) -> np.ndarray:
    """`label` (class ids, 255: none) coloured over `image`; None: the frame alone."""
    if label is None:
        return image
    out = image.astype(np.float32)
    shown = label != IGNORE
    out[shown] = (1 - alpha) * out[shown] + alpha * colours[label[shown] % len(colours)]
    return out.astype(np.uint8)


def masklet_colours(n: int) -> np.ndarray:
    """A colour per masklet id, the same for a masklet in every frame (golden-ratio hues)."""
    import colorsys

    return np.array([[round(255 * c) for c in colorsys.hsv_to_rgb((i * 0.618034) % 1, 0.8,
                                                                   0.95)] for i in range(n)],
                    np.uint8)


def render_video(dataset: Dataset, split: str, video: Video, methods: dict[str, Path],
                 masks_dir: Path | None, out: Path, settings: RenderSettings) -> list[Path]:
    """`<out>/<dataset>_<video>.mp4` and `.gif` of the video: panels frame, ground truth,
    each method of `methods` (name -> prediction folder), the masklets of `masks_dir`."""
    from replication.masks.store import load_for_video

    colours = palette(dataset.name, dataset.num_classes)
    vm = load_for_video(masks_dir, split, video) if masks_dir is not None else None
    ids = masklet_colours(max(len(vm.masklets), 1)) if vm is not None else None
    name = f"{dataset.name}_{video.name}"
    mp4, gif = Path(out) / f"{name}.mp4", Path(out) / f"{name}.gif"
    previews = []
    with atomic_path(mp4) as tmp_mp4:
        # OpenCV takes the container from the name: write `<temporary>.mp4`, then rename
        named = tmp_mp4.with_name(tmp_mp4.name + ".mp4")
        try:
            _write_frames(dataset, split, video, methods, masks_dir, vm, ids, colours,
                          settings, named, previews)
            named.replace(tmp_mp4)
        finally:
            named.unlink(missing_ok=True)
    with atomic_path(gif) as tmp_gif:
        previews[0].save(tmp_gif, format="GIF", save_all=True, append_images=previews[1:],
                         duration=round(2000 / FPS.get(dataset.name, 15)), loop=0)
    return [mp4, gif]


def _write_frames(dataset, split, video, methods, masks_dir, vm, ids, colours, settings,
                  path: Path, previews: list) -> None:
    """Compose and write each frame's sheet to the MP4 at `path`; every other one, up to
    `gif_frames`, halved into `previews`."""
    from PIL import Image

    from replication.report.qualitative import masklet_image

    writer = None
    try:
        for t, frame in enumerate(video.frames):
            image = read_image(frame.image)
            truth = dataset.load_label(frame) if frame.label is not None else None
            panels = [("frame", image), ("ground truth" if truth is not None else
                                         "ground truth (none)", blend(image, truth, colours,
                                                                      settings.alpha))]
            for method, folder in methods.items():
                label = read_label(prediction_path(folder, video, frame))
                panels.append((method, blend(image, label, colours, settings.alpha)))
            if vm is not None:
                panels.append((f"masklets ({Path(masks_dir).name})",
                               _masklets_panel(image, masklet_image, vm, t, ids, settings)))
            sheet = _sheet(panels, settings)
            if writer is None:
                writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"),
                                         FPS.get(dataset.name, 15),
                                         (sheet.shape[1], sheet.shape[0]))
            writer.write(cv2.cvtColor(sheet, cv2.COLOR_RGB2BGR))
            if t % 2 == 0 and len(previews) < settings.gif_frames:
                previews.append(Image.fromarray(sheet).resize(
                    (sheet.shape[1] // 2, sheet.shape[0] // 2)).quantize(colors=128))
    finally:
        if writer is not None:
            writer.release()


def _masklets_panel(image, masklet_image, vm, t, ids, settings) -> np.ndarray:
    """The masklets present at frame t, each in its own colour over the frame."""
    return blend(image, masklet_image(vm, t, modulo=len(ids)), ids[:255], 0.7)


def _sheet(panels: list[tuple[str, np.ndarray]], settings: RenderSettings) -> np.ndarray:
    """The panels resized to `width`, titled, in rows of `columns`."""
    tiles = []
    for title, image in panels:
        h, w = image.shape[:2]
        tile = cv2.resize(image, (settings.width, round(h * settings.width / w)),
                          interpolation=cv2.INTER_AREA)
        cv2.rectangle(tile, (0, 0), (settings.width, 14), (0, 0, 0), -1)
        cv2.putText(tile, title[:40], (3, 11), cv2.FONT_HERSHEY_SIMPLEX, 0.35,
                    (255, 255, 255), 1, cv2.LINE_AA)
        tiles.append(tile)
    blank = np.zeros_like(tiles[0])
    rows = [tiles[i:i + settings.columns] for i in range(0, len(tiles), settings.columns)]
    rows[-1] += [blank] * (len(rows[0]) - len(rows[-1]))
    return np.vstack([np.hstack(row) for row in rows])
