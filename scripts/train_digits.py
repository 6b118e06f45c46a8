"""Train the digit network of ``dxrpa.ocr.digits`` → ``src/dxrpa/ocr/models/digits.npz``.

Not run by the product or the tests: the weights it writes ship in the package. Needs JAX and
optax (``pip install jax optax opencv-python-headless pillow``) and runs on a CPU in minutes.

Training material, none of it from the benchmark's pages:
- real handwriting: the first 5,000 digits of the MNIST test set (``bench/data/mnist``), which come
  from NIST SD-3 (Census Bureau staff). The benchmark composes its handwritten fields only from
  the last 5,000 (SD-1, high-school students): other writers, another population. And the USPS
  training digits (``bench/data/usps/zip.train.gz``, envelopes); the benchmark uses the test file;
- printed digits from fonts the benchmark's font sources do not use (DejaVu, Noto CJK, IPAex
  ゴシック, Takao ゴシック).
Each glyph is scanned the way a form is (size, slant, stroke, blur, noise, JPEG, 1-bit fax) and
normalized by the same ``glyph_input`` the pipeline uses.

    python scripts/train_digits.py [--epochs 8] [--out src/dxrpa/ocr/models/digits.npz]
"""

from __future__ import annotations

import argparse
import gzip
import math
import random
import sys
from pathlib import Path

import cv2
import numpy as np
from PIL import Image, ImageDraw, ImageFont

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
from dxrpa.ocr.digits import INK, MODEL, glyph_input  # noqa: E402

MNIST = ROOT / "bench" / "data" / "mnist"
USPS = ROOT / "bench" / "data" / "usps"
TRAIN_WRITERS = slice(0, 5000)  # SD-3; the benchmark uses 5000: (SD-1)
FONTS = [
    *(
        f"/usr/share/fonts/truetype/dejavu/{n}.ttf"
        for n in (
            "DejaVuSans",
            "DejaVuSans-Bold",
            "DejaVuSans-Oblique",
            "DejaVuSansCondensed",
            "DejaVuSansMono",
            "DejaVuSerif",
            "DejaVuSerif-Bold",
            "DejaVuSerif-Italic",
            "DejaVuSans-ExtraLight",
        )
    ),
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc",
    "/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc",
    "/usr/share/fonts/opentype/noto/NotoSerifCJK-Bold.ttc",
    "/usr/share/fonts/opentype/ipaexfont-gothic/ipaexg.ttf",
    "/usr/share/fonts/truetype/takao-gothic/TakaoGothic.ttf",
    "/usr/share/fonts/truetype/takao-gothic/TakaoPGothic.ttf",
]


def mnist(part: str) -> tuple[np.ndarray, np.ndarray]:
    with gzip.open(MNIST / f"{part}-images-idx3-ubyte.gz") as fh:
        images = np.frombuffer(fh.read(), np.uint8, offset=16).reshape(-1, 28, 28)
    with gzip.open(MNIST / f"{part}-labels-idx1-ubyte.gz") as fh:
        labels = np.frombuffer(fh.read(), np.uint8, offset=8)
    return images, labels


def usps(part: str) -> tuple[np.ndarray, np.ndarray]:
    """USPS digits as 16 × 16 ink images (0–255) and their labels."""
    with gzip.open(USPS / f"zip.{part}.gz", "rt") as fh:
        rows = [line.split() for line in fh]
    values = np.array([[float(v) for v in r[1:257]] for r in rows], np.float32).reshape(-1, 16, 16)
    return ((values + 1) * 127.5).astype(np.uint8), np.array([int(float(r[0])) for r in rows], np.uint8)


def _warp(ink: np.ndarray, rng: random.Random, height: int) -> np.ndarray:
    """Scale the glyph (ink bright on black) to ``height`` px with slant, rotation and stroke changes."""
    ys, xs = np.nonzero(ink > 30)
    ink = ink[ys.min() : ys.max() + 1, xs.min() : xs.max() + 1].astype(np.float32)
    h, w = ink.shape
    s = height / h
    sx = s * rng.uniform(0.8, 1.2)
    ang = math.radians(rng.uniform(-10, 10))
    shear = rng.uniform(-0.25, 0.25)
    a = np.array([[math.cos(ang), -math.sin(ang)], [math.sin(ang), math.cos(ang)]]) @ np.array(
        [[sx, shear * s], [0, s]]
    )
    out_w, out_h = int(w * sx + h * s * 0.6) + 12, int(height * 1.3) + 12
    centre = np.array([w / 2, h / 2])
    t = np.array([out_w / 2, out_h / 2]) - a @ centre
    m = np.hstack([a, t[:, None]]).astype(np.float32)
    big = cv2.warpAffine(ink, m, (out_w, out_h), flags=cv2.INTER_CUBIC)
    k = rng.random()
    if k < 0.2:
        big = cv2.dilate(big, np.ones((2, 2), np.uint8))
    elif k < 0.3 and height > 30:
        big = cv2.erode(big, np.ones((2, 2), np.uint8))
    return np.clip(big, 0, 255)


def _scan(ink: np.ndarray, rng: random.Random) -> np.ndarray:
    """Ink on paper as a scanner returns it: grey, blurred, noisy, maybe JPEG or 1-bit."""
    paper = rng.uniform(215, 255)
    gray = paper - ink / 255.0 * (paper - rng.uniform(0, 90))
    if rng.random() < 0.7:
        gray = cv2.GaussianBlur(gray, (0, 0), rng.uniform(0.3, 1.1))
    gray = gray + np.random.default_rng(rng.randrange(2**31)).normal(0, rng.uniform(0, 8), gray.shape)
    gray = np.clip(gray, 0, 255).astype(np.uint8)
    r = rng.random()
    if r < 0.15:
        gray = np.where(gray > rng.randint(130, 180), 255, 0).astype(np.uint8)
    elif r < 0.5:
        _, buf = cv2.imencode(".jpg", gray, [cv2.IMWRITE_JPEG_QUALITY, rng.randint(45, 90)])
        gray = cv2.imdecode(buf, cv2.IMREAD_GRAYSCALE)
    return gray


def _as_pipeline(gray: np.ndarray) -> np.ndarray | None:
    """The glyph mask the pipeline builds (ink components of 6 px or more, grown by a pixel)."""
    ink = (gray < INK).astype(np.uint8)
    count, labels, stats, _ = cv2.connectedComponentsWithStats(ink, connectivity=8)
    keep = [c for c in range(1, count) if stats[c, cv2.CC_STAT_AREA] >= 6]
    if not keep:
        return None
    mask = cv2.dilate(np.isin(labels, keep).astype(np.uint8), np.ones((3, 3), np.uint8)).astype(bool)
    return glyph_input(gray, mask)


def _font_digit(ch: str, path: str, size: int, rng: random.Random) -> np.ndarray:
    font = ImageFont.truetype(path, size)
    img = Image.new("L", (size * 2, size * 2), 0)
    ImageDraw.Draw(img).text(
        (size // 2, size // 4),
        ch,
        font=font,
        fill=255,
        stroke_width=rng.choice([0, 0, 0, 1]),
        stroke_fill=255,
    )
    return np.asarray(img)


def build(seed: int, mnist_copies: int, font_copies: int) -> tuple[np.ndarray, np.ndarray]:
    rng = random.Random(seed)
    images, labels = mnist("t10k")
    xs, ys = [], []
    for img, lab in zip(images[TRAIN_WRITERS], labels[TRAIN_WRITERS], strict=True):
        for _ in range(mnist_copies):
            g = _as_pipeline(_scan(_warp(img, rng, rng.randint(20, 60)), rng))
            if g is not None:
                xs.append(g)
                ys.append(int(lab))
    u_images, u_labels = usps("train")
    for img, lab in zip(u_images, u_labels, strict=True):
        big = cv2.resize(img, (28, 28), interpolation=cv2.INTER_CUBIC)
        for _ in range(max(1, mnist_copies // 2)):
            g = _as_pipeline(_scan(_warp(big, rng, rng.randint(20, 60)), rng))
            if g is not None:
                xs.append(g)
                ys.append(int(lab))
    for d in range(10):
        for path in FONTS:
            for _ in range(font_copies):
                size = rng.randint(26, 64)
                g = _as_pipeline(
                    _scan(_warp(_font_digit(str(d), path, size, rng), rng, int(size * 0.7)), rng)
                )
                if g is not None:
                    xs.append(g)
                    ys.append(d)
    return np.stack(xs).astype(np.float32), np.asarray(ys, np.int32)


def held_out(seed: int) -> tuple[np.ndarray, np.ndarray]:
    """The other writers (SD-1), scanned the same way: a check of the network, printed, not tuned on."""
    rng = random.Random(seed)
    images, labels = mnist("t10k")
    xs, ys = [], []
    for img, lab in zip(images[5000:], labels[5000:], strict=True):
        g = _as_pipeline(_scan(_warp(img, rng, rng.randint(20, 60)), rng))
        if g is not None:
            xs.append(g)
            ys.append(int(lab))
    return np.stack(xs).astype(np.float32), np.asarray(ys, np.int32)


def train(x: np.ndarray, y: np.ndarray, epochs: int, seed: int) -> dict[str, np.ndarray]:
    import jax
    import jax.numpy as jnp
    import optax

    key = jax.random.PRNGKey(seed)
    k1, k2, k3, k4 = jax.random.split(key, 4)

    def init(k: jax.Array, shape: tuple[int, ...], fan_in: int) -> jax.Array:
        return jax.random.normal(k, shape) * jnp.sqrt(2.0 / fan_in)

    params = {
        "c1": init(k1, (32, 1, 5, 5), 25),
        "c1b": jnp.zeros(32),
        "c2": init(k2, (64, 32, 5, 5), 800),
        "c2b": jnp.zeros(64),
        "d1": init(k3, (64 * 7 * 7, 128), 64 * 49),
        "d1b": jnp.zeros(128),
        "d2": init(k4, (128, 10), 128),
        "d2b": jnp.zeros(10),
    }

    def conv_pool(x: jax.Array, w: jax.Array, b: jax.Array) -> jax.Array:
        y = jax.lax.conv_general_dilated(x, w, (1, 1), "SAME", dimension_numbers=("NCHW", "OIHW", "NCHW"))
        y = jax.nn.relu(y + b[None, :, None, None])
        return jax.lax.reduce_window(y, -jnp.inf, jax.lax.max, (1, 1, 2, 2), (1, 1, 2, 2), "VALID")

    def forward(p: dict[str, jax.Array], x: jax.Array, drop: jax.Array | None) -> jax.Array:
        h = conv_pool(x[:, None], p["c1"], p["c1b"])
        h = conv_pool(h, p["c2"], p["c2b"])
        h = jax.nn.relu(h.reshape(h.shape[0], -1) @ p["d1"] + p["d1b"])
        if drop is not None:
            h = h * jax.random.bernoulli(drop, 0.7, h.shape) / 0.7
        return h @ p["d2"] + p["d2b"]

    opt = optax.adamw(optax.cosine_decay_schedule(2e-3, epochs * (len(x) // 128)), weight_decay=1e-4)
    state = opt.init(params)

    @jax.jit
    def step(p, s, xb, yb, k):  # type: ignore[no-untyped-def]
        def loss(p):  # type: ignore[no-untyped-def]
            logits = forward(p, xb, k)
            return optax.softmax_cross_entropy_with_integer_labels(logits, yb).mean()

        val, grads = jax.value_and_grad(loss)(p)
        updates, s = opt.update(grads, s, p)
        return optax.apply_updates(p, updates), s, val

    rng = np.random.default_rng(seed)
    dkey = jax.random.PRNGKey(seed + 1)
    for epoch in range(epochs):
        order = rng.permutation(len(x))
        losses = []
        for i in range(0, len(order) - 127, 128):
            idx = order[i : i + 128]
            dkey, sub = jax.random.split(dkey)
            params, state, val = step(params, state, jnp.asarray(x[idx]), jnp.asarray(y[idx]), sub)
            losses.append(float(val))
        print(f"epoch {epoch + 1}/{epochs}: loss {np.mean(losses):.4f}", flush=True)
    return {k: np.asarray(v, np.float32) for k, v in params.items()}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--epochs", type=int, default=8)
    ap.add_argument("--mnist-copies", type=int, default=8)
    ap.add_argument("--font-copies", type=int, default=120)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--out", type=Path, default=MODEL)
    a = ap.parse_args()
    x, y = build(a.seed, a.mnist_copies, a.font_copies)
    print(f"{len(x)} training glyphs", flush=True)
    weights = train(x, y, a.epochs, a.seed)
    a.out.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(a.out, **{k: v.astype(np.float16) for k, v in weights.items()})
    from dxrpa.ocr.digits import DigitNet

    hx, hy = held_out(a.seed + 100)
    probs = DigitNet(a.out).probabilities(hx)
    pred = probs.argmax(axis=1)
    sure = probs.max(axis=1) >= 0.9
    print(
        f"held-out writers (MNIST SD-1, {len(hy)} glyphs): {np.mean(pred == hy):.2%} correct; "
        f"{sure.mean():.1%} at p ≥ 0.90, {np.mean(pred[sure] == hy[sure]):.2%} correct among them"
    )
    print(f"wrote {a.out} ({a.out.stat().st_size // 1024} KiB)")


if __name__ == "__main__":
    main()
