import threading

from reportlab.pdfbase.pdfmetrics import getFont, stringWidth

from labels import fonts


def test_registered_once_and_thread_safe():
    results = []
    threads = [threading.Thread(target=lambda: results.append(fonts.ensure_fonts())) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert set(results) == {(fonts.REGULAR, fonts.BOLD)}
    assert getFont(fonts.REGULAR) is getFont(fonts.REGULAR)


def test_bold_is_a_real_bold_instance():
    regular, bold = fonts.ensure_fonts()
    text = "BƯU GỬI HÀNH CHÍNH CÔNG"
    assert stringWidth(text, bold, 10) > stringWidth(text, regular, 10) * 1.03


def test_covers_vietnamese():
    regular, bold = fonts.ensure_fonts()
    for name in (regular, bold):
        face = getFont(name).face
        for ch in "ặệỗữỹĐđươƯƠ₫…ẤỄ":
            assert ord(ch) in face.charToGlyph, (name, ch)


def test_instances_are_cached_on_disk(tmp_path, monkeypatch):
    monkeypatch.setenv("POSTAL_LABELS_FONT_CACHE", str(tmp_path))
    source = fonts._variable_font_path()
    first = fonts._static_instance(source, fonts.REGULAR, 400)
    assert list(tmp_path.glob("*.ttf"))
    assert fonts._static_instance(source, fonts.REGULAR, 400) == first
