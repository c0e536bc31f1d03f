"""Vietnamese-capable TrueType fonts for reportlab, built and registered once per process.

Noto Sans ships as a variable font, which reportlab cannot instantiate. We cut it down to
the Latin + Vietnamese repertoire, pin static instances (wght 400 and 700) with fontTools,
and cache the resulting TTF bytes on disk keyed by the source file's hash, because
instancing costs seconds while reading a cached file costs milliseconds.
"""

from __future__ import annotations

import hashlib
import io
import os
import tempfile
import threading
from pathlib import Path

from reportlab.lib.fonts import addMapping
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont as RLTTFont

REGULAR = "PostalSans"
BOLD = "PostalSans-Bold"
WEIGHTS = {REGULAR: 400, BOLD: 700}
RECIPE = "v2"  # bump when the subset/instancing recipe changes, to invalidate caches

# Latin, Latin Extended A/B (ơ ư), combining marks, Latin Extended Additional (ặ ệ ỗ ữ ỹ),
# general punctuation (… – “ ”), currency (₫), letterlike symbols (№).
UNICODE_RANGES = (
    (0x20, 0x250),
    (0x300, 0x370),
    (0x1E00, 0x1F00),
    (0x2000, 0x2070),
    (0x20A0, 0x20D0),
    (0x2100, 0x2150),
)

_lock = threading.Lock()
_registered = False


def ensure_fonts() -> tuple[str, str]:
    """Register the regular and bold fonts with reportlab (once); return their names."""
    global _registered
    if not _registered:
        with _lock:
            if not _registered:
                _register_all()
                _registered = True
    return REGULAR, BOLD


def _register_all() -> None:
    source = _variable_font_path()
    for name, weight in WEIGHTS.items():
        data = _static_instance(source, name, weight)
        pdfmetrics.registerFont(RLTTFont(name, io.BytesIO(data)))
    for bold in (0, 1):
        for italic in (0, 1):
            addMapping(REGULAR, bold, italic, BOLD if bold else REGULAR)


def _variable_font_path() -> Path:
    import fontpkg

    return Path(fontpkg.path("noto-sans", weight=400, style="normal", nearest=True))


def _cache_dir() -> Path:
    configured = os.environ.get("POSTAL_LABELS_FONT_CACHE")
    if configured:
        return Path(configured)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "postal-labels"


def _static_instance(source: Path, name: str, weight: int) -> bytes:
    raw = source.read_bytes()
    key = hashlib.sha256(raw + f"{RECIPE}:{name}:{weight}".encode()).hexdigest()[:24]
    cached = _cache_dir() / f"{name}-{weight}-{key}.ttf"
    try:
        return cached.read_bytes()
    except OSError:
        pass
    data = _build_instance(raw, name, weight)
    _write_cache(cached, data)
    return data


def _write_cache(path: Path, data: bytes) -> None:
    """Atomically store a built instance; an unwritable cache only costs speed."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, path)
    except OSError:
        return


def _build_instance(raw: bytes, name: str, weight: int) -> bytes:
    from fontTools import subset
    from fontTools.ttLib import TTFont
    from fontTools.varLib.instancer import instantiateVariableFont

    font = TTFont(io.BytesIO(raw))
    options = subset.Options()
    options.layout_features = []
    options.hinting = False
    options.name_IDs = ["*"]
    options.drop_tables += ["GSUB", "GPOS", "GDEF"]
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=[cp for lo, hi in UNICODE_RANGES for cp in range(lo, hi)])
    subsetter.subset(font)
    static = instantiateVariableFont(font, {"wght": weight, "wdth": 100})
    # reportlab keys type faces by PostScript name; two instances named "NotoSans-Regular"
    # would silently share metrics, so each instance gets its own name.
    static["name"].setName(name, 6, 3, 1, 0x409)
    static["name"].setName(name.replace("-", " "), 4, 3, 1, 0x409)
    out = io.BytesIO()
    static.save(out)
    return out.getvalue()
