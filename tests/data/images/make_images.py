#!/usr/bin/env python3
"""Generates the labelled image set of the asset pipeline (tests/data/images).

Product photos of the five categories (watch dials, trading cards, shoe-box
labels, vinyl record labels, action-figure blister cards), each with its brand
and model printed among other text, drawn with ImageMagick (Debian's
`imagemagick`, fonts from `fonts-dejavu-core`), then degraded as photos are:
tilted, turned on their side (with and without an EXIF orientation tag),
blurred, washed out, noisy and over-compressed, shrunk. A third of each category
is held out (every third image, starting at a different place in each
category, so that both parts hold every defect): the extract stage is tuned
on the other two thirds only.

Also the bad images every upload path must refuse (or, for a PNG named .jpg,
read by its content), in bad/, with what is expected of each.

Deterministic: the same script writes the same labels and pictures.
Run from anywhere:  python3 tests/data/images/make_images.py
"""

import json
import os
import random
import struct
import subprocess
import tomllib
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", "..", ".."))
CONVERT = "/usr/bin/convert"  # Debian's ImageMagick 6
FONTS = "/usr/share/fonts/truetype/dejavu/"
BOLD = [FONTS + f for f in ("DejaVuSans-Bold.ttf", "DejaVuSerif-Bold.ttf", "DejaVuSansMono-Bold.ttf")]
REGULAR = [FONTS + f for f in ("DejaVuSans.ttf", "DejaVuSerif.ttf", "DejaVuSansMono.ttf")]
W, H = 720, 540
PER_CATEGORY = 12
VARIANTS = ["clean", "tilt", "blur", "low_contrast", "side", "exif", "noisy", "small", "blur", "tilt", "low_contrast", "clean"]


def esc(text):
    """Text for -annotate: ImageMagick reads % escapes and a leading @ as a file."""
    text = text.replace("\\", "\\\\").replace("%", "%%")
    return "\\" + text if text.startswith("@") else text


def fit(text, width, size):
    """A point size at which `text` fits `width` pixels with a margin (bold
    capitals of the widest font run about 0.8 em a glyph)."""
    return max(14, min(size, int(width / max(1, len(text)) / 0.8)))


def annotate(args, text, x, y, size, font, colour, gravity="center"):
    args += ["-gravity", gravity, "-font", font, "-pointsize", str(size), "-fill", colour,
             "-annotate", "+%d%+d" % (x, y), esc(text)]


def background(rng):
    a = "#%02x%02x%02x" % tuple(rng.randint(150, 235) for _ in range(3))
    b = "#%02x%02x%02x" % tuple(rng.randint(60, 140) for _ in range(3))
    return ["-size", "%dx%d" % (W, H), "gradient:%s-%s" % (a, b)]


def dark(rng):
    return "#%02x%02x%02x" % tuple(rng.randint(10, 50) for _ in range(3))


def light(rng):
    return "#%02x%02x%02x" % tuple(rng.randint(225, 250) for _ in range(3))


def watch(rng, brand, model, extra):
    args = background(rng)
    r = rng.randint(210, 240)
    args += ["-fill", dark(rng), "-draw", "circle 360,270 360,%d" % (270 - r - 18),
             "-fill", light(rng), "-draw", "circle 360,270 360,%d" % (270 - r)]
    for k in range(12):  # hour marks
        args += ["-fill", "#404040", "-draw", "translate 360,270 rotate %d rectangle -3,%d 3,%d" % (k * 30, -r + 8, -r + 26)]
    b = brand.upper() if rng.random() < 0.6 else brand
    annotate(args, b, 0, -95, fit(b, 2 * r - 130, 52), rng.choice(BOLD), dark(rng))
    annotate(args, model, 0, -35, fit(model, 2 * r - 110, 32), rng.choice(REGULAR), dark(rng))
    annotate(args, extra, 0, 120, 17, REGULAR[0], "#303030")
    return args


def card(rng, brand, model, extra):
    args = background(rng)
    frame = "#%02x%02x%02x" % (rng.randint(170, 230), rng.randint(140, 200), rng.randint(30, 90))
    args += ["-fill", "#202020", "-draw", "roundrectangle 190,18 536,526 14,14",
             "-fill", frame, "-draw", "roundrectangle 200,28 526,516 12,12",
             "-fill", light(rng), "-draw", "rectangle 218,40 508,96",
             "-fill", "#%02x%02x%02x" % tuple(rng.randint(60, 200) for _ in range(3)), "-draw", "rectangle 218,140 508,330",
             "-fill", light(rng), "-draw", "rectangle 218,340 508,470"]
    for _ in range(3):  # "artwork"
        c = "#%02x%02x%02x" % tuple(rng.randint(30, 250) for _ in range(3))
        x, y = rng.randint(250, 470), rng.randint(170, 300)
        args += ["-fill", c, "-draw", "circle %d,%d %d,%d" % (x, y, x + rng.randint(15, 40), y)]
    annotate(args, model, 0, 68 - 270, fit(model, 270, 34), rng.choice(BOLD), "#151515", "center")
    annotate(args, brand, 0, 113 - 270, fit(brand, 270, 22), rng.choice(REGULAR), "#1a1a1a", "center")
    annotate(args, extra, 0, 380 - 270, 18, REGULAR[0], "#202020", "center")
    annotate(args, "Illus. K. Sato", 0, 440 - 270, 13, REGULAR[0], "#303030", "center")
    return args


def sneaker(rng, brand, model, extra):
    args = background(rng)
    lid = "#%02x%02x%02x" % (rng.randint(120, 220), rng.randint(40, 120), rng.randint(20, 80))
    args += ["-fill", lid, "-draw", "rectangle 40,60 680,480",
             "-fill", light(rng), "-draw", "rectangle 110,140 610,400"]
    for k in range(40):  # a bar code
        w = rng.choice((2, 3, 5))
        args += ["-fill", "#101010", "-draw", "rectangle %d,330 %d,385" % (430 + k * 4, 430 + k * 4 + w // 2)]
    b = brand.upper()
    annotate(args, b, 0, -75, fit(b, 440, 56), rng.choice(BOLD), dark(rng))
    annotate(args, model, 0, -15, fit(model, 440, 34), rng.choice(REGULAR), dark(rng))
    annotate(args, extra, -100, 60, 18, REGULAR[2], "#202020")
    annotate(args, "SIZE US %d" % rng.randint(6, 13), -100, 90, 18, REGULAR[2], "#202020")
    return args


def vinyl(rng, brand, model, extra):
    args = background(rng)
    args += ["-fill", "#0c0c0c", "-draw", "circle 360,270 360,18"]
    for r in range(70, 250, 9):  # grooves
        args += ["-fill", "none", "-stroke", "#262626", "-strokewidth", "1", "-draw", "circle 360,270 360,%d" % (270 - r)]
    args += ["-stroke", "none"]
    label = "#%02x%02x%02x" % (rng.randint(170, 250), rng.randint(140, 240), rng.randint(90, 220))
    args += ["-fill", label, "-draw", "circle 360,270 360,130", "-fill", "#0c0c0c", "-draw", "circle 360,270 360,264"]
    annotate(args, brand.upper(), 0, -85, fit(brand.upper(), 200, 30), rng.choice(BOLD), dark(rng))
    annotate(args, model, 0, 50, fit(model, 230, 24), rng.choice(REGULAR), dark(rng))
    annotate(args, extra, 0, 95, 13, REGULAR[0], "#202020")
    annotate(args, "SIDE A", -80, 0, 13, REGULAR[0], "#202020")
    return args


def figure(rng, brand, model, extra):
    args = background(rng)
    card_colour = "#%02x%02x%02x" % (rng.randint(20, 90), rng.randint(40, 120), rng.randint(120, 220))
    args += ["-fill", card_colour, "-draw", "roundrectangle 150,20 570,520 16,16",
             "-fill", light(rng), "-draw", "rectangle 170,40 550,120",
             "-fill", "#f0e040", "-draw", "rectangle 170,128 550,180",
             "-fill", "#c8d8e8", "-draw", "roundrectangle 230,200 490,470 30,30"]
    # The figure behind the window.
    args += ["-fill", "#504030", "-draw", "circle 360,250 360,225", "-draw", "rectangle 330,276 390,380",
             "-draw", "rectangle 332,380 355,455", "-draw", "rectangle 365,380 388,455"]
    b = brand.upper() if rng.random() < 0.7 else brand
    annotate(args, b, 0, 80 - 270, fit(b, 340, 48), rng.choice(BOLD), dark(rng))
    annotate(args, model, 0, 154 - 270, fit(model, 360, 28), rng.choice(REGULAR), "#181818")
    annotate(args, extra, 150, 490 - 270, 14, REGULAR[0], "#f0f0f0")
    return args


DRAW = {"watch": watch, "trading_card": card, "sneaker": sneaker, "vinyl_record": vinyl, "action_figure": figure}
EXTRA = {
    "watch": ["AUTOMATIC", "SWISS MADE", "CHRONOMETER", "WATER RESISTANT 100M", "QUARTZ"],
    "trading_card": ["HP 120", "Basic", "1st Edition", "Rare", "No. 004/102"],
    "sneaker": ["STYLE DV0833-100", "MADE IN VIETNAM", "UK 9 EUR 44", "COLOR 001"],
    "vinyl_record": ["33 1/3 RPM  STEREO", "LONG PLAYING", "MADE IN USA", "HIGH FIDELITY"],
    "action_figure": ["AGES 4+", "COLLECTOR GRADE", "6 INCH SCALE", "SERIES 2"],
}


def degrade(rng, variant, src, dst):
    """The photo's defect; returns the JPEG quality to save with."""
    ops = {
        "clean": [],
        "tilt": ["-background", "#808080", "-rotate", "%.1f" % rng.choice((-9, -7, -5, 5, 7, 9)), "-gravity", "center",
                 "-crop", "%dx%d+0+0" % (W, H), "+repage"],
        "blur": ["-blur", "0x%.1f" % rng.choice((1.4, 1.7, 2.0))],
        "low_contrast": ["+level", "%d%%,%d%%" % (rng.randint(32, 38), rng.randint(62, 68))],
        "side": ["-rotate", rng.choice(("90", "-90"))],
        # Stored turned a quarter, with the EXIF tag that turns it back.
        "exif": ["-rotate", "-90"],
        "noisy": ["-attenuate", "0.9", "+noise", "Gaussian"],
        "small": ["-resize", "400x300"],
    }[variant]
    quality = 40 if variant == "noisy" else rng.randint(78, 88)
    subprocess.run([CONVERT, "-seed", str(rng.randint(1, 10**6)), src] + ops + ["-strip", "-quality", str(quality), dst],
                   check=True)
    if variant == "exif":
        add_exif_orientation(dst, 6)


def add_exif_orientation(path, orientation):
    """Inserts an EXIF block whose Orientation tag says how to turn the
    pixels for display (6: a quarter turn clockwise)."""
    tiff = b"II*\x00" + struct.pack("<I", 8) + struct.pack("<H", 1)
    tiff += struct.pack("<HHIHH", 0x0112, 3, 1, orientation, 0) + struct.pack("<I", 0)
    app1 = b"Exif\x00\x00" + tiff
    with open(path, "rb") as f:
        jpeg = f.read()
    assert jpeg[:2] == b"\xff\xd8"
    with open(path, "wb") as f:
        f.write(jpeg[:2] + b"\xff\xe1" + struct.pack(">H", len(app1) + 2) + app1 + jpeg[2:])


def png_chunk(kind, data):
    body = kind + data
    return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body) & 0xFFFFFFFF)


def png(width, height, bit_depth, rows):
    """A greyscale PNG from raw scanlines (each with its filter byte)."""
    ihdr = struct.pack(">IIBBBBB", width, height, bit_depth, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", ihdr) + png_chunk(b"IDAT", rows) + png_chunk(b"IEND", b"")


def bad_images(sample_jpg):
    out = os.path.join(HERE, "bad")
    os.makedirs(out, exist_ok=True)
    labels = []

    def add(name, data, expect, at, code, reason):
        with open(os.path.join(out, name), "wb") as f:
            f.write(data)
        labels.append({"file": "bad/" + name, "expect": expect, "at": at, "code": code, "reason": reason})

    with open(sample_jpg, "rb") as f:
        jpeg = f.read()
    add("truncated.jpg", jpeg[: len(jpeg) * 55 // 100], "refused", "decode", "", "truncated")
    add("empty.jpg", b"", "refused", "upload", "VALIDATION_FAILED", "empty")
    add("one_pixel.png", png(1, 1, 8, zlib.compress(b"\x00\x80")), "refused", "upload", "VALIDATION_FAILED", "too small")
    # A decompression bomb: 20,000 x 20,000 pixels (400 megapixels, 50 MB of
    # bits) in about 50 KB.
    row = b"\x00" + b"\x00" * (20000 // 8)
    comp = zlib.compressobj(9)
    rows = b"".join(comp.compress(row) for _ in range(20000)) + comp.flush()
    add("bomb.png", png(20000, 20000, 1, rows), "refused", "upload", "PAYLOAD_TOO_LARGE", "megapixels")
    # A header that claims 100,000 x 100,000 pixels over a few bytes of data.
    add("huge_header.png", png(100000, 100000, 8, zlib.compress(b"\x00" * 64)), "refused", "upload", "PAYLOAD_TOO_LARGE",
        "megapixels")
    add("text_named.jpg", b"This is a shopping list, not a photo.\nmilk\neggs\n", "refused", "upload",
        "UNSUPPORTED_MEDIA_TYPE", "not an image")
    # A photo that is a PNG, named .jpg: read by its content, as a PNG.
    tmp = os.path.join(out, "png_named.jpg")
    subprocess.run([CONVERT, sample_jpg, "-resize", "360x270", "-strip", "-define", "png:exclude-chunks=date,time",
                    "png:" + tmp], check=True)
    labels.append({"file": "bad/png_named.jpg", "expect": "accepted", "at": "decode", "code": "", "reason": "png"})
    with open(os.path.join(out, "labels.jsonl"), "w") as f:
        for l in labels:
            f.write(json.dumps(l) + "\n")


def main():
    with open(os.path.join(ROOT, "config", "assets", "brands.toml"), "rb") as f:
        brands = tomllib.load(f)
    rng = random.Random(20261206)
    labels = []
    tmp = os.path.join(HERE, ".tmp.png")
    for c, category in enumerate(["watch", "trading_card", "sneaker", "vinyl_record", "action_figure"]):
        os.makedirs(os.path.join(HERE, category), exist_ok=True)
        names = sorted(brands[category])
        rng.shuffle(names)
        for i in range(PER_CATEGORY):
            brand = names[i % len(names)]
            model = rng.choice(brands[category][brand]["models"])
            variant = VARIANTS[i]
            slug = "".join(c if c.isalnum() else "-" for c in (brand + "-" + model).lower()).strip("-")
            while "--" in slug:
                slug = slug.replace("--", "-")
            name = "%s/%02d-%s-%s.jpg" % (category, i + 1, slug, variant.replace("_", "-"))
            subprocess.run([CONVERT] + DRAW[category](rng, brand, model, rng.choice(EXTRA[category])) + [tmp], check=True)
            degrade(rng, variant, tmp, os.path.join(HERE, name))
            labels.append({"file": name, "category": category, "brand": brand, "model": model, "variant": variant,
                           "split": "heldout" if (i + c) % 3 == 2 else "tune"})
    os.remove(tmp)
    with open(os.path.join(HERE, "labels.jsonl"), "w") as f:
        for l in labels:
            f.write(json.dumps(l) + "\n")
    bad_images(os.path.join(HERE, labels[0]["file"]))
    print("%d labelled images, %d held out" % (len(labels), sum(l["split"] == "heldout" for l in labels)))


if __name__ == "__main__":
    main()
