import pytest
import zxingcpp
from PIL import Image

from labels import qr
from labels.codes import code128_bars

PAYLOAD = "http://127.0.0.1:8080/q/RA123456785VN.AB12CD34"


@pytest.fixture(params=["zxing-cpp", "qrcode"])
def backend(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    if request.param == "qrcode":
        monkeypatch.setattr(qr, "zxingcpp", None)
    assert qr.backend_name() == request.param
    return str(request.param)


def to_image(matrix: qr.QRMatrix, scale: int = 6, quiet: int = 4) -> Image.Image:
    side = (matrix.size + 2 * quiet) * scale
    img = Image.new("L", (side, side), 255)
    for col, row, width in qr.dark_runs(matrix):
        x, y = (col + quiet) * scale, (row + quiet) * scale
        img.paste(0, (x, y, x + width * scale, y + scale))
    return img


def test_matrix_decodes_to_exactly_the_payload(backend):
    matrix = qr.qr_matrix(PAYLOAD, "M")
    found = zxingcpp.read_barcodes(to_image(matrix), formats=zxingcpp.BarcodeFormats(zxingcpp.BarcodeFormat.QRCode))
    assert [b.text for b in found] == [PAYLOAD]
    assert found[0].ec_level in ("M", "Q", "H")


def test_runs_cover_exactly_the_dark_modules(backend):
    matrix = qr.qr_matrix(PAYLOAD)
    covered = {(c + i, r) for c, r, w in qr.dark_runs(matrix) for i in range(w)}
    dark = {(c, r) for r, row in enumerate(matrix.rows()) for c, v in enumerate(row) if v}
    assert covered == dark
    assert len(matrix.rows()) == matrix.size


def test_unknown_ecc_rejected():
    with pytest.raises(ValueError):
        qr.qr_matrix(PAYLOAD, "X")


def test_code128_bars_decode():
    bars, modules = code128_bars("RA123456785VN")
    scale, quiet = 3, 10
    img = Image.new("L", ((modules + 2 * quiet) * scale, 60), 255)
    for start, width in bars:
        img.paste(0, ((start + quiet) * scale, 0, (start + quiet + width) * scale, 60))
    found = zxingcpp.read_barcodes(img, formats=zxingcpp.BarcodeFormats(zxingcpp.BarcodeFormat.Code128))
    assert [b.text for b in found] == ["RA123456785VN"]


def test_code128_rejects_non_ascii():
    with pytest.raises(ValueError):
        code128_bars("RĐ123")
