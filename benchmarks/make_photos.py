"""Made-up photos with the metadata real ones carry: EXIF (camera, serial number, author, time),
a GPS position, XMP, IPTC and a comment. Used by the image benchmark, the tests and the sample
archive; every picture is drawn here, none is taken from anywhere.

    python benchmarks/make_photos.py OUT_DIR [--count N] [--seed S]

writes N JPEGs of 2 to 6 megapixels into OUT_DIR (the image benchmark's corpus).
"""

from __future__ import annotations

import argparse
import io
import random
import struct
from pathlib import Path

from PIL import Image, ImageDraw, ImageFilter

#: Written into the GPS block of every photo made with `gps=True`; no published file may hold it.
GPS_CANARY = "VESTKA-GPS-CANARY-53.9034N-27.5611E"
#: Written as the photographer's name (EXIF Artist, IPTC By-line, XMP creator).
AUTHOR_CANARY = "VESTKA-AUTHOR-CANARY Ales Photographer"
SERIAL_CANARY = "VESTKA-SERIAL-CANARY-0042"


def draw_scene(width: int, height: int, seed: int, grain: float = 0.15) -> Image.Image:
    """A street scene of sky, buildings and people: smooth areas, edges and sensor grain (which
    makes a JPEG as large as a camera's)."""
    rng = random.Random(seed)
    sky_top = (rng.randint(60, 140), rng.randint(110, 170), rng.randint(170, 235))
    sky_bottom = tuple(min(255, c + 60) for c in sky_top)
    gradient = Image.linear_gradient("L").resize((width, height))
    im = Image.composite(Image.new("RGB", (width, height), sky_bottom),
                         Image.new("RGB", (width, height), sky_top), gradient)
    draw = ImageDraw.Draw(im)
    horizon = int(height * rng.uniform(0.55, 0.7))
    draw.rectangle((0, horizon, width, height), fill=(rng.randint(70, 110),) * 3)
    x = 0
    while x < width:
        w = rng.randint(width // 14, width // 6)
        top = rng.randint(int(height * 0.15), horizon - height // 10)
        shade = rng.randint(90, 200)
        draw.rectangle((x, top, x + w, horizon), fill=(shade, shade - rng.randint(0, 30), shade - rng.randint(0, 50)))
        for wy in range(top + 12, horizon - 20, max(18, height // 30)):
            for wx in range(x + 8, x + w - 12, max(16, width // 60)):
                lit = rng.random() < 0.3
                draw.rectangle((wx, wy, wx + width // 120, wy + height // 60),
                               fill=(240, 220, 150) if lit else (50, 60, 70))
        x += w + rng.randint(2, width // 40)
    for _ in range(rng.randint(6, 14)):
        px = rng.randint(0, width)
        scale = rng.uniform(0.6, 1.2) * height / 6
        colour = (rng.randint(20, 220), rng.randint(20, 220), rng.randint(20, 220))
        draw.ellipse((px - scale * 0.12, horizon + scale * 0.1, px + scale * 0.12, horizon + scale * 0.34),
                     fill=(230, 190, 160))
        draw.rounded_rectangle((px - scale * 0.22, horizon + scale * 0.35, px + scale * 0.22, horizon + scale * 1.2),
                               radius=int(scale * 0.08), fill=colour)
    im = im.filter(ImageFilter.GaussianBlur(1.2))
    noise = Image.effect_noise((width, height), 40).convert("RGB")
    return Image.blend(im, noise, grain)


def exif_block(*, gps: bool, orientation: int = 1, seed: int = 0) -> Image.Exif:
    exif = Image.Exif()
    exif[0x010F] = "Vestka Test Camera Co."  # Make
    exif[0x0110] = "VTC-1"  # Model
    exif[0x013B] = AUTHOR_CANARY  # Artist
    exif[0x0132] = "2020:08:10 12:00:00"  # DateTime
    exif[0x0112] = orientation
    exif_ifd = {0x9003: "2020:08:10 12:00:00", 0xA431: SERIAL_CANARY}  # DateTimeOriginal, BodySerialNumber
    exif[0x8769] = exif_ifd
    if gps:
        exif[0x8825] = {
            0x0000: b"\x02\x03\x00\x00",
            0x0001: "N", 0x0002: (53.0, 54.0, 12.24 + seed % 7),
            0x0003: "E", 0x0004: (27.0, 33.0, 39.96),
            0x001B: b"ASCII\x00\x00\x00" + GPS_CANARY.encode(),  # GPSProcessingMethod
        }
    return exif


def xmp_packet(*, gps: bool) -> bytes:
    position = ('<exif:GPSLatitude>53,54.204N</exif:GPSLatitude><exif:GPSLongitude>27,33.666E</exif:GPSLongitude>'
                if gps else "")
    return ('<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?><x:xmpmeta xmlns:x="adobe:ns:meta/">'
            '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description '
            'xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:exif="http://ns.adobe.com/exif/1.0/">'
            f'<dc:creator>{AUTHOR_CANARY}</dc:creator>{position}</rdf:Description></rdf:RDF></x:xmpmeta>'
            '<?xpacket end="w"?>').encode()


def iptc_segment() -> bytes:
    """An APP13 segment holding an IPTC By-line, as photo agencies' software writes it."""
    name = AUTHOR_CANARY.encode()
    record = b"\x1c\x02\x50" + struct.pack(">H", len(name)) + name
    resource = b"8BIM" + struct.pack(">H", 0x0404) + b"\x00\x00" + struct.pack(">I", len(record)) + record
    if len(record) % 2:
        resource += b"\x00"
    body = b"Photoshop 3.0\x00" + resource
    return b"\xff\xed" + struct.pack(">H", len(body) + 2) + body


def make_jpeg(width: int, height: int, *, seed: int = 0, gps: bool = True, orientation: int = 1,
              quality: int = 85, grain: float = 0.15) -> bytes:
    """A JPEG photo with EXIF (and GPS), XMP, IPTC and a comment. With an `orientation` other than 1
    the pixels are stored turned, as a camera held sideways stores them."""
    im = draw_scene(width, height, seed, grain)
    if orientation == 6:  # camera turned clockwise: the stored pixels are turned back
        im = im.transpose(Image.Transpose.ROTATE_90)
    elif orientation == 8:
        im = im.transpose(Image.Transpose.ROTATE_270)
    elif orientation == 3:
        im = im.transpose(Image.Transpose.ROTATE_180)
    buffer = io.BytesIO()
    im.save(buffer, "JPEG", quality=quality, exif=exif_block(gps=gps, orientation=orientation, seed=seed),
            xmp=xmp_packet(gps=gps), comment=f"shot by {AUTHOR_CANARY}")
    data = buffer.getvalue()
    return data[:2] + iptc_segment() + data[2:]


def make_png(width: int, height: int, *, seed: int = 0, gps: bool = False) -> bytes:
    """A chart-like PNG with text chunks (author) and, optionally, an EXIF block with GPS."""
    from PIL import PngImagePlugin

    rng = random.Random(seed)
    im = Image.new("RGB", (width, height), (250, 250, 248))
    draw = ImageDraw.Draw(im)
    bars = 8
    for i in range(bars):
        h = rng.randint(height // 8, height - 40)
        x0 = 30 + i * (width - 60) // bars
        draw.rectangle((x0 + 6, height - 20 - h, x0 + (width - 60) // bars - 6, height - 20),
                       fill=(11, 83, 148) if i % 2 else (192, 80, 0))
    draw.line((20, height - 20, width - 20, height - 20), fill=(30, 30, 30), width=2)
    info = PngImagePlugin.PngInfo()
    info.add_text("Author", AUTHOR_CANARY)
    info.add_itxt("XML:com.adobe.xmp", xmp_packet(gps=gps).decode())
    buffer = io.BytesIO()
    im.save(buffer, "PNG", pnginfo=info, exif=exif_block(gps=gps, seed=seed))
    return buffer.getvalue()


#: Base scenes a worker has drawn, by (size, variant): drawing costs several times an encoding.
_SCENES: dict[tuple[tuple[int, int], int], Image.Image] = {}


def _one_photo(folder: Path, seed: int, n: int) -> Path:
    """Photo `n` of a corpus: one of a few drawn scenes per size, shifted and mirrored by `n`
    (so no two photos have the same pixels), with its own metadata."""
    from PIL import ImageChops, ImageOps

    rng = random.Random(seed * 100_000 + n)
    sizes = [(1728, 1152), (2048, 1365), (2400, 1600), (2592, 1728), (3000, 2000)]
    path = folder / f"photo-{n:04d}.jpg"
    if not path.exists():
        size = rng.choice(sizes)
        key = (size, n % 2)
        if key not in _SCENES:
            _SCENES[key] = draw_scene(*size, seed=seed * 1000 + sizes.index(size) * 2 + n % 2)
        im = ImageChops.offset(_SCENES[key], rng.randint(0, size[0]), rng.randint(0, size[1] // 8))
        if rng.random() < 0.5:
            im = ImageOps.mirror(im)
        orientation = 6 if n % 10 == 0 else 1
        if orientation == 6:
            im = im.transpose(Image.Transpose.ROTATE_90)
        buffer = io.BytesIO()
        im.save(buffer, "JPEG", quality=88, exif=exif_block(gps=True, orientation=orientation, seed=n),
                xmp=xmp_packet(gps=True), comment=f"shot by {AUTHOR_CANARY}")
        data = buffer.getvalue()
        tmp = path.with_suffix(".tmp")
        tmp.write_bytes(data[:2] + iptc_segment() + data[2:])
        tmp.replace(path)
    return path


def corpus(folder: Path, count: int, seed: int = 1) -> list[Path]:
    """`count` JPEGs of 2 to 6 megapixels (one in ten held sideways), all with GPS; made on
    every core, and kept: photos already in `folder` are not made again."""
    from concurrent.futures import ProcessPoolExecutor
    from functools import partial

    folder.mkdir(parents=True, exist_ok=True)
    with ProcessPoolExecutor() as pool:
        return list(pool.map(partial(_one_photo, folder, seed), range(count), chunksize=25))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    paths = corpus(args.out, args.count, args.seed)
    print(f"{len(paths)} photos in {args.out}")


if __name__ == "__main__":
    main()
