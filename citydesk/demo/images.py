"""Photo-like illustrations for the demo site, drawn with Pillow.

Every picture is built from shapes (no fonts, no files read), so the demo looks the same
on any machine, and a seed makes each one reproducible. A scene draws the subject;
`render` adds what makes it read as a photograph: soft light, haze, water reflection,
film grain and a vignette.
"""

import functools
import importlib.util
import io
import random
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageChops, ImageDraw, ImageFilter

RGB = tuple[int, int, int]
WIDTH, HEIGHT = 1200, 675


@dataclass(frozen=True)
class Palette:
    sky_top: RGB
    sky_bottom: RGB
    sun: RGB | None  # the sun, or the moon at night; None for an overcast sky
    far: RGB  # distant hills and buildings
    near: RGB  # near silhouettes
    water: RGB
    light: RGB  # lit windows, lanterns
    green: RGB
    night: bool = False


PALETTES: dict[str, Palette] = {
    "dawn": Palette(
        (104, 133, 186), (247, 200, 165), (255, 226, 176), (150, 142, 170), (74, 70, 96),
        (128, 146, 184), (255, 222, 150), (92, 128, 96),
    ),
    "day": Palette(
        (66, 128, 200), (196, 224, 242), (255, 251, 232), (136, 164, 176), (58, 78, 84),
        (88, 138, 168), (255, 240, 200), (74, 134, 82),
    ),
    "dusk": Palette(
        (58, 52, 112), (246, 152, 94), (255, 204, 124), (112, 84, 124), (42, 32, 56),
        (150, 94, 104), (255, 204, 120), (70, 80, 64),
    ),
    "night": Palette(
        (8, 14, 42), (44, 56, 108), (236, 236, 212), (32, 38, 74), (12, 14, 30),
        (22, 32, 72), (255, 210, 120), (24, 44, 40), night=True,
    ),
    "mist": Palette(
        (168, 184, 190), (228, 232, 226), None, (150, 166, 166), (82, 96, 96),
        (182, 196, 196), (242, 230, 200), (96, 130, 112),
    ),
    "spring": Palette(
        (118, 176, 218), (222, 240, 232), (255, 250, 226), (122, 166, 132), (50, 90, 62),
        (108, 166, 160), (255, 236, 190), (82, 150, 86),
    ),
    "autumn": Palette(
        (92, 140, 190), (240, 220, 180), (255, 236, 190), (168, 128, 96), (88, 58, 44),
        (120, 130, 140), (255, 220, 150), (176, 120, 52),
    ),
}  # fmt: skip


def _shade(color: RGB, factor: float) -> RGB:
    """Darker below 1, lighter above 1 (towards white)."""
    if factor <= 1:
        return (int(color[0] * factor), int(color[1] * factor), int(color[2] * factor))
    t = min(factor - 1, 1.0)
    return (
        int(color[0] + (255 - color[0]) * t),
        int(color[1] + (255 - color[1]) * t),
        int(color[2] + (255 - color[2]) * t),
    )


def _mix(a: RGB, b: RGB, t: float) -> RGB:
    return (
        int(a[0] + (b[0] - a[0]) * t),
        int(a[1] + (b[1] - a[1]) * t),
        int(a[2] + (b[2] - a[2]) * t),
    )


def _vary(color: RGB, rng: random.Random, amount: int = 14) -> RGB:
    return (
        max(0, min(255, color[0] + rng.randint(-amount, amount))),
        max(0, min(255, color[1] + rng.randint(-amount, amount))),
        max(0, min(255, color[2] + rng.randint(-amount, amount))),
    )


def _soft(layer: Image.Image, radius: float) -> Image.Image:
    """A wide blur done at a quarter of the size: the same look for a fraction of the time."""
    w, h = layer.size
    small = layer.resize((w // 4, h // 4), Image.Resampling.BILINEAR)
    return small.filter(ImageFilter.GaussianBlur(radius / 4)).resize((w, h))


@functools.cache
def _grain(size: tuple[int, int]) -> Image.Image:
    return Image.effect_noise(size, 10).convert("RGB")


@functools.cache
def _vignette(size: tuple[int, int]) -> Image.Image:
    radial = Image.radial_gradient("L").resize(size)
    return radial.point(lambda v: 255 - int(v * 0.3)).convert("RGB")


def gradient(size: tuple[int, int], top: RGB, bottom: RGB) -> Image.Image:
    mask = Image.linear_gradient("L").resize(size)
    return Image.composite(Image.new("RGB", size, bottom), Image.new("RGB", size, top), mask)


def _sky(size: tuple[int, int], pal: Palette, rng: random.Random, horizon: int) -> Image.Image:
    w, h = size
    img = gradient((w, h), pal.sky_top, pal.sky_bottom)
    if pal.sun is not None:
        x, y = rng.randint(w // 6, w * 5 // 6), rng.randint(h // 10, max(h // 10 + 1, horizon // 2))
        r = rng.randint(h // 30, h // 16)
        glow = Image.new("RGB", size)
        ImageDraw.Draw(glow).ellipse((x - r * 4, y - r * 4, x + r * 4, y + r * 4), fill=pal.sun)
        img = ImageChops.screen(img, _soft(glow, r * 3))
        ImageDraw.Draw(img).ellipse((x - r, y - r, x + r, y + r), fill=_shade(pal.sun, 1.2))
    if pal.night:
        draw = ImageDraw.Draw(img)
        for _ in range(90):
            sx, sy = rng.randrange(w), rng.randrange(max(1, horizon * 2 // 3))
            draw.point((sx, sy), fill=_vary((220, 220, 235), rng, 30))
    else:
        # A few soft clouds: pale ellipses blurred into the sky.
        clouds = Image.new("L", size)
        draw = ImageDraw.Draw(clouds)
        for _ in range(rng.randint(2, 6)):
            cx, cy = rng.randrange(w), rng.randint(h // 20, max(h // 20 + 1, horizon * 2 // 3))
            for _ in range(5):
                dx, dy = rng.randint(-90, 90), rng.randint(-12, 12)
                rw, rh = rng.randint(60, 160), rng.randint(14, 34)
                draw.ellipse((cx + dx - rw, cy + dy - rh, cx + dx + rw, cy + dy + rh), fill=70)
        img = Image.composite(
            Image.new("RGB", size, _shade(pal.sky_bottom, 1.3)),
            img,
            _soft(clouds, 18),
        )
    return img


def _ridge(
    w: int, base: int, amplitude: int, rng: random.Random, step: int = 24
) -> list[tuple[int, int]]:
    """A hill line as a random walk, smoothed so it reads as distance, not noise."""
    points = []
    y = float(base - rng.randint(0, amplitude))
    for x in range(0, w + step, step):
        y += rng.uniform(-amplitude / 5, amplitude / 5)
        y = max(base - amplitude, min(base, y))
        points.append((x, int(y)))
    return points


def _hills(
    img: Image.Image, pal: Palette, rng: random.Random, horizon: int, layers: int = 3
) -> None:
    w, _ = img.size
    for i in range(layers):
        t = i / max(1, layers - 1)
        color = _mix(_mix(pal.far, pal.sky_bottom, 0.55), pal.far, t)
        layer = Image.new("L", img.size)
        ridge = _ridge(w, horizon - 4, int(img.size[1] * (0.22 - 0.05 * i)), rng)
        ImageDraw.Draw(layer).polygon([*ridge, (w, horizon), (0, horizon)], fill=255)
        layer = layer.filter(ImageFilter.GaussianBlur(3 - i))
        img.paste(Image.new("RGB", img.size, color), mask=layer)


def _water(img: Image.Image, pal: Palette, rng: random.Random, horizon: int) -> None:
    """Mirror what stands above the horizon into water below it, with ripples."""
    w, h = img.size
    depth = h - horizon
    above = img.crop((0, max(0, horizon - depth), w, horizon)).transpose(
        Image.Transpose.FLIP_TOP_BOTTOM
    )
    if above.size[1] < depth:
        above = above.resize((w, depth))
    reflection = Image.blend(above, Image.new("RGB", above.size, pal.water), 0.42)
    reflection = reflection.filter(ImageFilter.GaussianBlur(2))
    # Shift thin rows sideways: the wobble of a real reflection.
    wavy = reflection.copy()
    for y in range(0, depth, 3):
        shift = int(rng.uniform(-1, 1) * (2 + 10 * y / max(1, depth)))
        wavy.paste(reflection.crop((0, y, w, y + 3)), (shift, y))
    img.paste(wavy, (0, horizon))
    draw = ImageDraw.Draw(img)
    for _ in range(140):
        y = rng.randint(horizon + 2, h - 1)
        x = rng.randrange(w)
        length = rng.randint(10, 60) * (1 + (y - horizon) // 120)
        draw.line((x, y, x + length, y), fill=_shade(pal.water, rng.uniform(1.1, 1.35)))


def _windows(
    draw: ImageDraw.ImageDraw, box: tuple[int, int, int, int], pal: Palette, rng: random.Random
) -> None:
    x0, y0, x1, y1 = box
    # By day, glass shows the sky; at night about half the rooms are lit.
    lit, glass = (0.55, pal.light) if pal.night else (0.3, _mix(pal.sky_bottom, pal.far, 0.4))
    for y in range(y0 + 8, y1 - 6, 11):
        for x in range(x0 + 5, x1 - 5, 9):
            if rng.random() < lit:
                draw.rectangle((x, y, x + 4, y + 5), fill=_vary(glass, rng, 16))


def scene_skyline(img: Image.Image, pal: Palette, rng: random.Random) -> int:
    w, h = img.size
    horizon = int(h * rng.uniform(0.6, 0.68))
    draw = ImageDraw.Draw(img)
    haze = _mix(pal.far, pal.sky_bottom, 0.5)
    x = -20
    while x < w:
        bw = rng.randint(30, 70)
        draw.rectangle((x, horizon - rng.randint(30, 110), x + bw, horizon), fill=haze)
        x += bw + rng.randint(0, 10)
    # The landmark: a gate-shaped tower, two legs joined high up (an arch cut out of a block).
    gx, gw, gh = rng.randint(w // 5, w * 3 // 5), rng.randint(120, 170), rng.randint(300, 360)
    gh = min(gh, horizon - 40)
    gate = Image.new("RGBA", img.size)
    gd = ImageDraw.Draw(gate)
    gd.polygon(
        [(gx, horizon), (gx + 18, horizon - gh), (gx + gw - 18, horizon - gh), (gx + gw, horizon)],
        fill=(*pal.near, 255),
    )
    inner = gw // 2 - 24
    gd.ellipse(
        (gx + gw // 2 - inner, horizon - gh + 60, gx + gw // 2 + inner, horizon + gh - 60),
        fill=(0, 0, 0, 0),
    )
    towers = []
    x = rng.randint(-30, 10)
    while x < w:
        bw = rng.randint(40, 95)
        bh = rng.randint(90, int(horizon * 0.8))
        if not gx - bw < x < gx + gw:
            towers.append((x, horizon - bh, x + bw, horizon))
        x += bw + rng.randint(8, 40)
    for box in towers:
        color = _vary(_mix(pal.near, pal.far, rng.uniform(0, 0.5)), rng, 8)
        draw.rectangle(box, fill=color)
        if rng.random() < 0.3:
            mid = (box[0] + box[2]) // 2
            draw.polygon([(box[0], box[1]), (mid, box[1] - 30), (box[2], box[1])], fill=color)
        _windows(draw, box, pal, rng)
    img.paste(gate, mask=gate)
    return horizon


def _house(draw: ImageDraw.ImageDraw, x: int, ground: int, pal: Palette, rng: random.Random) -> int:
    """A white-walled, dark-roofed house with stepped gables; returns its width."""
    hw, hh = rng.randint(90, 170), rng.randint(70, 130)
    wall = _vary(_mix((238, 236, 228), pal.sky_bottom, 0.25), rng, 6)
    roof = _mix((52, 56, 62), pal.near, 0.3)
    top = ground - hh
    draw.rectangle((x, top, x + hw, ground), fill=wall)
    draw.polygon(
        [(x - 8, top), (x + 14, top - 26), (x + hw - 14, top - 26), (x + hw + 8, top)], roof
    )
    for side in (x - 6, x + hw - 10):  # stepped gable ends (马头墙)
        draw.rectangle((side, top - 40, side + 16, top), fill=wall)
        draw.rectangle((side - 4, top - 44, side + 20, top - 38), fill=roof)
    for wx in range(x + 18, x + hw - 24, 38):
        window = pal.light if pal.night and rng.random() < 0.6 else _shade(roof, 0.8)
        draw.rectangle((wx, top + 24, wx + 18, top + 48), fill=window)
    draw.rectangle((x, ground - 10, x + hw, ground), fill=_shade(wall, 0.75))
    return hw


def _trees(
    img: Image.Image, color: RGB, rng: random.Random, top: int, bottom: int, count: int
) -> None:
    """A soft band of tree crowns: many small overlapping discs, slightly blurred."""
    w, _ = img.size
    layer = Image.new("RGBA", img.size)
    draw = ImageDraw.Draw(layer)
    for _ in range(count):
        tx, ty, r = rng.randrange(-20, w + 20), rng.randint(top, bottom), rng.randint(24, 56)
        shade = _vary(_shade(color, rng.uniform(0.85, 1.1)), rng, 8)
        draw.ellipse((tx - r, ty - r, tx + r, ty + r * 2), fill=(*shade, 255))
    layer = layer.filter(ImageFilter.GaussianBlur(2))
    img.paste(layer, mask=layer)


def scene_watertown(img: Image.Image, pal: Palette, rng: random.Random) -> int:
    w, h = img.size
    horizon = int(h * rng.uniform(0.6, 0.66))
    _trees(img, _mix(pal.green, pal.sky_bottom, 0.45), rng, horizon - 200, horizon - 150, 40)
    draw = ImageDraw.Draw(img)
    x = rng.randint(-60, 0)
    while x < w:
        x += _house(draw, x, horizon, pal, rng) + rng.randint(4, 26)
    for _ in range(rng.randint(3, 7)):  # red lanterns under the eaves
        lx, ly = rng.randrange(w), horizon - rng.randint(60, 90)
        draw.line((lx, ly - 20, lx, ly), fill=(60, 40, 30))
        draw.ellipse((lx - 9, ly, lx + 9, ly + 16), fill=(206, 46, 38))
    # An arched stone bridge spanning part of the canal.
    bridge = Image.new("RGBA", img.size)
    bd = ImageDraw.Draw(bridge)
    bx, bw = rng.randint(w // 6, w // 2), rng.randint(300, 380)
    stone = (*_mix((150, 146, 136), pal.near, 0.35), 255)
    bd.polygon(
        [
            (bx, horizon + 6), (bx + bw // 3, horizon - 70), (bx + bw * 2 // 3, horizon - 70),
            (bx + bw, horizon + 6),
        ],
        fill=stone,
    )  # fmt: skip
    r = bw // 4
    bd.ellipse((bx + bw // 2 - r, horizon - 40, bx + bw // 2 + r, horizon - 40 + 2 * r), (0,) * 4)
    img.paste(bridge, mask=bridge)
    return horizon


def _boat(img: Image.Image, pal: Palette, rng: random.Random, horizon: int) -> None:
    w, h = img.size
    draw = ImageDraw.Draw(img)
    x, y = rng.randint(w // 8, w * 3 // 4), rng.randint(horizon + 40, h - 60)
    bw = rng.randint(110, 170)
    hull = _shade(pal.near, 0.7)
    draw.polygon([(x, y), (x + bw, y), (x + bw - 18, y + 18), (x + 16, y + 18)], fill=hull)
    draw.rectangle((x + bw // 3, y - 26, x + bw * 2 // 3, y), fill=_shade(hull, 1.25))
    draw.line((x + bw - 10, y - 40, x + bw + 30, y + 20), fill=hull, width=3)  # the oar
    draw.ellipse((x + bw - 20, y - 52, x + bw - 6, y - 38), fill=hull)
    draw.rectangle((x + bw - 20, y - 40, x + bw - 8, y), fill=hull)


def scene_pagoda(img: Image.Image, pal: Palette, rng: random.Random) -> int:
    w, h = img.size
    horizon = int(h * rng.uniform(0.72, 0.8))
    _hills(img, pal, rng, horizon, layers=2)
    draw = ImageDraw.Draw(img)
    cx = rng.randint(w // 3, w * 2 // 3)
    base = horizon - 40
    hill = _mix(pal.near, pal.green, 0.35)
    draw.ellipse((cx - 330, base - 70, cx + 330, base + 140), fill=hill)
    draw.rectangle((0, base + 35, w, horizon), fill=hill)
    color = pal.near
    tiers, width, y = 7, 112, base - 36
    for _ in range(tiers):
        tier = 46
        draw.rectangle((cx - width // 2, y - tier, cx + width // 2, y), fill=color)
        eave = width // 2 + 20
        draw.polygon(
            [(cx - eave - 8, y - tier - 4), (cx + eave + 8, y - tier - 4),
             (cx + eave - 10, y - tier + 10), (cx - eave + 10, y - tier + 10)],
            fill=_shade(color, 0.8),
        )  # fmt: skip
        if pal.night:
            draw.rectangle((cx - 5, y - tier + 16, cx + 5, y - 8), fill=pal.light)
        y -= tier
        width = int(width * 0.88)
    draw.line((cx, y, cx, y - 46), fill=color, width=5)
    for _ in range(40):  # trees on the hill
        tx = rng.randint(cx - 320, cx + 320)
        ty = base + rng.randint(-20, 60)
        r = rng.randint(16, 34)
        if abs(tx - cx) > 90 or ty > base:
            draw.ellipse((tx - r, ty - r, tx + r, ty + r), fill=_vary(_shade(pal.green, 0.7), rng))
    return horizon


def scene_garden(img: Image.Image, pal: Palette, rng: random.Random) -> int:
    w, h = img.size
    horizon = int(h * 0.8)
    _trees(img, pal.green, rng, h // 6, h // 3, 70)
    draw = ImageDraw.Draw(img)
    wall_top = int(h * 0.36)
    wall = _mix((240, 238, 230), pal.sky_bottom, 0.2)
    draw.rectangle((0, wall_top, w, horizon), fill=wall)
    draw.rectangle((0, wall_top - 14, w, wall_top + 4), fill=(60, 62, 66))
    # The moon gate shows the garden beyond: deeper green and a pale path.
    gx, r = rng.randint(w // 4, w * 3 // 5), int(h * 0.2)
    gy = horizon - r - 4
    draw.ellipse((gx - r - 12, gy - r - 12, gx + r + 12, gy + r + 12), fill=(128, 124, 116))
    draw.ellipse((gx - r, gy - r, gx + r, gy + r), fill=_shade(pal.green, 0.85))
    draw.ellipse((gx - r // 2, gy - r // 2, gx + r // 3, gy + r // 4), fill=_shade(pal.green, 1.2))
    draw.polygon(
        [(gx - 20, gy + r), (gx + 20, gy + r), (gx + 6, gy), (gx - 6, gy)], (220, 210, 190)
    )
    # A lattice window and a Taihu rock with its holes.
    lx = gx + r + rng.randint(80, 160)
    draw.rectangle((lx, wall_top + 60, lx + 90, wall_top + 150), fill=(110, 104, 96))
    for i in range(6):
        draw.line((lx, wall_top + 60 + i * 18, lx + 90, wall_top + 60 + i * 18), fill=wall, width=3)
        draw.line((lx + i * 18, wall_top + 60, lx + i * 18, wall_top + 150), fill=wall, width=3)
    rx = rng.randint(40, max(41, gx - r - 220))
    stone = _mix((150, 152, 146), pal.far, 0.2)
    for i in range(7):  # a Taihu rock: stacked lumps, taller than wide, with holes
        cy = horizon - 20 - i * 30
        half = rng.randint(36, 70) - i * 4
        cx = rx + 90 + rng.randint(-24, 24)
        draw.ellipse((cx - half, cy - 34, cx + half, cy + 24), fill=_vary(stone, rng, 6))
    for _ in range(5):
        hx, hy = rx + rng.randint(60, 120), horizon - rng.randint(30, 180)
        draw.ellipse((hx - 11, hy - 8, hx + 11, hy + 8), fill=_shade(stone, 0.6))
    # Willow branches from the top corner.
    for i in range(16):
        x0 = w - rng.randint(0, 260)
        draw.arc((x0 - 120, -60 + i, x0 + 40, 260 + rng.randint(0, 120)), 90, 200, pal.green, 2)
    return horizon


def scene_lake(img: Image.Image, pal: Palette, rng: random.Random) -> int:
    h = img.size[1]
    horizon = int(h * rng.uniform(0.5, 0.6))
    _hills(img, pal, rng, horizon)
    return horizon


def scene_street(img: Image.Image, pal: Palette, rng: random.Random) -> int:
    """An old street seen down its length: facades converge, lanterns recede."""
    w, h = img.size
    vx, vy = rng.randint(w * 2 // 5, w * 3 // 5), int(h * 0.45)
    draw = ImageDraw.Draw(img)
    wall = _mix((228, 224, 214), pal.sky_bottom, 0.25)
    wood = _mix((110, 70, 50), pal.near, 0.3)
    draw.polygon([(0, h), (w, h), (vx + 20, vy + 10), (vx - 20, vy + 10)], (150, 148, 142))
    for i in range(1, 14):  # stone slabs
        t = (i / 14) ** 2
        y = int(vy + 10 + (h - vy - 10) * t)
        half = int((w / 2 + 60) * t)
        draw.line((vx - half, y, vx + half, y), fill=(124, 122, 118), width=1 + i // 5)
    for side in (-1, 1):
        edge = 0 if side < 0 else w
        top = [(edge, 0), (vx + side * 30, vy - 40), (vx + side * 30, vy + 12), (edge, h)]
        draw.polygon(top, fill=wall)
        for i in range(10):  # timber fronts and eaves, shrinking with distance
            t = 1 - (i / 10)
            x = int(vx + side * 30 + (edge - vx - side * 30) * t)
            y0, y1 = int(vy - 40 - (vy + 40) * t * 0.9), int(vy + 12 + (h - vy - 12) * t * 0.8)
            draw.line((x, y0, x, y1), fill=wood, width=max(1, int(8 * t)))
            draw.line((x, y0 + int(60 * t), x, y0 + int(60 * t)), fill=wood)
        draw.polygon(
            [(edge, int(h * 0.18)), (vx + side * 34, vy - 34), (vx + side * 34, vy - 28),
             (edge, int(h * 0.26))],
            fill=(54, 56, 60),
        )  # fmt: skip
    glow = Image.new("RGB", img.size)
    gd = ImageDraw.Draw(glow)
    for i in range(1, 9):
        t = 1 - i / 9
        for side in (-1, 1):
            lx = int(vx + side * (40 + (w / 2 - 40) * t * 0.85))
            ly = int(vy - 10 + (h * 0.1) * t)
            r = max(3, int(26 * t))
            draw.ellipse((lx - r, ly, lx + r, ly + int(r * 1.5)), fill=(210, 48, 40))
            gd.ellipse((lx - 3 * r, ly - 2 * r, lx + 3 * r, ly + 3 * r), fill=(120, 40, 20))
    img.paste(ImageChops.screen(img, _soft(glow, 20)))
    return h


def scene_park(img: Image.Image, pal: Palette, rng: random.Random) -> int:
    w, h = img.size
    horizon = int(h * 0.58)
    draw = ImageDraw.Draw(img)
    lawn = gradient((w, h - horizon), _mix(pal.green, pal.sky_bottom, 0.3), _shade(pal.green, 0.8))
    img.paste(lawn, (0, horizon))
    path = _mix((226, 214, 190), pal.sky_bottom, 0.3)
    px = rng.randint(w // 3, w * 2 // 3)
    draw.polygon([(px - 10, horizon), (px + 10, horizon), (px + 260, h), (px - 200, h)], path)
    trees = sorted(
        ((rng.randrange(w), rng.randint(horizon - 10, h + 40)) for _ in range(14)),
        key=lambda t: t[1],
    )
    for tx, ty in trees:
        scale = 0.4 + (ty - horizon) / (h - horizon + 40)
        r = int(70 * scale)
        draw.rectangle((tx - 6 * scale, ty - r, tx + 6 * scale, ty), fill=(84, 62, 46))
        for _ in range(6):
            dx, dy, rr = rng.randint(-r, r) // 2, rng.randint(-r, 0), rng.randint(r // 2, r)
            color = _vary(_shade(pal.green, rng.uniform(0.7, 1.1)), rng, 10)
            draw.ellipse((tx + dx - rr, ty - r + dy - rr, tx + dx + rr, ty - r + dy + rr), color)
    for _ in range(3):  # benches
        bx, by = rng.randint(60, w - 160), rng.randint(horizon + 60, h - 40)
        draw.rectangle((bx, by, bx + 90, by + 8), fill=(120, 84, 56))
        draw.rectangle((bx + 6, by + 8, bx + 12, by + 30), fill=(60, 60, 60))
        draw.rectangle((bx + 78, by + 8, bx + 84, by + 30), fill=(60, 60, 60))
    return h


def scene_fields(img: Image.Image, pal: Palette, rng: random.Random) -> int:
    w, h = img.size
    horizon = int(h * rng.uniform(0.5, 0.56))
    _hills(img, pal, rng, horizon, layers=1)
    draw = ImageDraw.Draw(img)
    vx = rng.randint(w // 4, w * 3 // 4)
    colors = [pal.green, _mix(pal.green, (214, 190, 96), 0.6), _shade(pal.green, 0.8)]
    count = 16
    for i in range(count):
        x0, x1 = (i - count / 2) * 260 + w / 2, (i + 1 - count / 2) * 260 + w / 2
        color = _vary(colors[i % 3], rng, 10)
        draw.polygon([(vx + (x0 - vx) * 0.04, horizon), (vx + (x1 - vx) * 0.04, horizon),
                      (x1, h), (x0, h)], fill=color)  # fmt: skip
    for _ in range(8):  # farmhouses on the horizon
        fx = rng.randrange(w)
        draw.rectangle((fx, horizon - 16, fx + 26, horizon), fill=(236, 232, 222))
        draw.polygon([(fx - 4, horizon - 16), (fx + 13, horizon - 26), (fx + 30, horizon - 16)],
                     fill=(70, 70, 76))  # fmt: skip
    return h


def scene_ink(img: Image.Image, pal: Palette, rng: random.Random) -> int:
    """Ink-wash hills on paper: for commentary and study pieces."""
    w, h = img.size
    img.paste(gradient((w, h), (244, 238, 224), (230, 222, 204)))
    for i in range(4):
        shade = 200 - i * 45
        layer = Image.new("L", img.size)
        ridge = _ridge(w, int(h * (0.5 + i * 0.12)), int(h * 0.3), rng, step=30)
        ImageDraw.Draw(layer).polygon([*ridge, (w, h), (0, h)], fill=255)
        layer = layer.filter(ImageFilter.GaussianBlur(10 - i * 2))
        ink = _mix((shade, shade, shade - 6), pal.far, 0.12)
        img.paste(Image.new("RGB", img.size, ink), mask=layer)
    draw = ImageDraw.Draw(img)
    sx, sy = w - rng.randint(90, 140), rng.randint(40, 90)
    draw.rectangle((sx, sy, sx + 44, sy + 44), fill=(184, 40, 36))  # a seal, left blank
    draw.rectangle((sx + 8, sy + 8, sx + 36, sy + 36), outline=(244, 220, 210), width=2)
    return h


def scene_rail(img: Image.Image, pal: Palette, rng: random.Random) -> int:
    w, h = img.size
    horizon = int(h * 0.78)
    _hills(img, pal, rng, horizon, layers=2)
    draw = ImageDraw.Draw(img)
    deck = int(h * rng.uniform(0.5, 0.56))
    concrete = _mix((200, 200, 196), pal.far, 0.3)
    draw.rectangle((0, deck, w, deck + 20), fill=concrete)
    for px in range(rng.randint(20, 80), w, 180):
        draw.rectangle((px, deck + 20, px + 24, horizon), fill=_shade(concrete, 0.85))
    tx = rng.randint(-200, w // 3)
    train = (238, 240, 242)
    draw.rounded_rectangle((tx, deck - 46, tx + 860, deck - 2), radius=18, fill=train)
    draw.polygon([(tx + 860, deck - 46), (tx + 960, deck - 6), (tx + 860, deck - 2)], fill=train)
    draw.rectangle((tx + 10, deck - 36, tx + 850, deck - 24), fill=(52, 62, 80))
    draw.rectangle((tx, deck - 14, tx + 900, deck - 9), fill=(196, 40, 44))
    for _ in range(20):  # speed streaks
        sy = rng.randint(deck - 44, deck - 4)
        draw.line((tx - rng.randint(40, 240), sy, tx - 6, sy), fill=_shade(train, 0.92))
    return horizon


Scene = Callable[[Image.Image, Palette, random.Random], int]

SCENES: dict[str, Scene] = {
    "skyline": scene_skyline,
    "watertown": scene_watertown,
    "pagoda": scene_pagoda,
    "garden": scene_garden,
    "lake": scene_lake,
    "street": scene_street,
    "park": scene_park,
    "fields": scene_fields,
    "ink": scene_ink,
    "rail": scene_rail,
}
# Scenes whose horizon meets open water, mirrored below it.
WATER_SCENES = {"skyline", "watertown", "lake", "pagoda", "garden", "rail"}


def render(
    scene: str, palette: str, seed: int, size: tuple[int, int] = (WIDTH, HEIGHT)
) -> Image.Image:
    """Draw one picture; the same arguments always give the same pixels."""
    rng = random.Random(f"{scene}:{palette}:{seed}")
    pal = PALETTES[palette]
    scale_to = None
    if size != (WIDTH, HEIGHT):
        # Scenes are laid out in pixels for the standard size; draw there, then resize.
        scale_to, size = size, (WIDTH, HEIGHT)
    img = _sky(size, pal, rng, int(size[1] * 0.6))
    horizon = SCENES[scene](img, pal, rng)
    if scene in WATER_SCENES and horizon < size[1]:
        _water(img, pal, rng, horizon)
        if scene in ("watertown", "lake"):
            _boat(img, pal, rng, horizon)
    if pal.night:
        img = ImageChops.multiply(img, Image.new("RGB", size, (220, 220, 235)))
    # Film grain and a vignette: what makes flat shapes read as a photograph.
    img = ImageChops.add(img, _grain(size), scale=1.0, offset=-128)
    img = ImageChops.multiply(img, _vignette(size))
    img = img.filter(ImageFilter.SMOOTH)
    if scale_to is not None:
        img = img.resize(scale_to, Image.Resampling.LANCZOS)
    return img


def jpeg_bytes(img: Image.Image, quality: int = 82) -> bytes:
    buffer = io.BytesIO()
    img.save(buffer, "JPEG", quality=quality, optimize=True, progressive=True)
    return buffer.getvalue()


def video_supported() -> bool:
    """Whether PyAV (which bundles an H.264 encoder) is installed."""
    return importlib.util.find_spec("av") is not None


def clip_bytes(still: Image.Image, seconds: float = 2.5) -> bytes | None:
    """A short H.264 MP4 that pans across a picture, or None where PyAV is not installed.

    Each frame is a window sliding over the one still, which is how a slow camera pan looks
    and costs one resize per frame.
    """
    try:
        import av
    except ImportError:
        return None
    fps, size = 12, (480, 270)
    width, height = still.size
    frames = int(fps * seconds)
    window_w, window_h = int(width * 0.7), int(height * 0.7)
    # faststart (index at the front, so playback starts before the download ends) rewrites
    # the file in a second pass, which needs a real file rather than a buffer.
    with (
        tempfile.TemporaryDirectory() as tmp,
        av.open(f"{tmp}/clip.mp4", "w", options={"movflags": "+faststart"}) as container,
    ):
        stream = container.add_stream(
            "libx264", rate=fps, options={"crf": "28", "preset": "veryfast", "profile": "main"}
        )
        stream.width, stream.height, stream.pix_fmt = size[0], size[1], "yuv420p"
        for i in range(frames):
            t = i / max(1, frames - 1)
            x = int((width - window_w) * t)
            y = int((height - window_h) * (0.5 - 0.2 * t))
            frame = still.crop((x, y, x + window_w, y + window_h)).resize(size)
            for packet in stream.encode(av.VideoFrame.from_image(frame)):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
        container.close()
        return Path(f"{tmp}/clip.mp4").read_bytes()


# Drawing is deterministic, so a picture drawn once in a process is kept (as JPEG bytes,
# ~100 KB each) rather than drawn again when the demo is built twice, as tests do.
@functools.cache
def picture(scene: str, palette: str, seed: int) -> bytes:
    return jpeg_bytes(render(scene, palette, seed))


@functools.cache
def clip(scene: str, palette: str, seed: int) -> bytes | None:
    if not video_supported():
        return None
    return clip_bytes(render(scene, palette, seed))
