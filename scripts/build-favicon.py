"""Rebuilds src/clausier/web/static/favicon.ico from the shapes of favicon.svg (a sheet of terms
on the accent blue of app.css): browsers and tools that ask for /favicon.ico want an ICO, and
Pillow (installed with WeasyPrint) writes one, where rasterising the SVG would need cairo.
Run: .venv/bin/python scripts/build-favicon.py"""

from pathlib import Path

from PIL import Image, ImageDraw

STATIC = Path(__file__).resolve().parents[1] / "src" / "clausier" / "web" / "static"
ACCENT, WHITE = "#1f5fbf", "#ffffff"
SCALE = 8  # drawn at 256 px on the SVG's 32-unit grid, then reduced: smooth edges


def draw() -> Image.Image:
    image = Image.new("RGBA", (32 * SCALE, 32 * SCALE), (0, 0, 0, 0))
    pen = ImageDraw.Draw(image)
    pen.rounded_rectangle((0, 0, 32 * SCALE - 1, 32 * SCALE - 1), radius=6 * SCALE, fill=ACCENT)
    pen.rounded_rectangle((9 * SCALE, 5 * SCALE, 23 * SCALE, 27 * SCALE), radius=1.5 * SCALE,
                          fill=WHITE)
    for y, end in ((11, 20), (15, 20), (19, 17)):
        pen.rectangle((12 * SCALE, (y - 1) * SCALE, end * SCALE, (y + 1) * SCALE), fill=ACCENT)
    return image


if __name__ == "__main__":
    draw().save(STATIC / "favicon.ico", sizes=[(16, 16), (32, 32), (48, 48)])
