"""A worker killed mid-render leaves nothing behind for long: not the customer's PDF in the
temporary directory, not a poppler process running on without it."""

from __future__ import annotations

import io
import os
import subprocess
import tempfile
import time

from pypdf import PdfWriter

from documents import pdf
from documents.limits import FileLimits


def _one_page_pdf() -> bytes:
    writer, buffer = PdfWriter(), io.BytesIO()
    writer.add_blank_page(width=595, height=842)
    writer.write(buffer)
    return buffer.getvalue()


def _left_behind(root, name: str, age_s: float):
    folder = root / name
    folder.mkdir()
    (folder / "upload.pdf").write_bytes(b"%PDF- a customer's statement")
    stamp = time.time() - age_s
    os.utime(folder, (stamp, stamp))
    return folder


def test_the_next_render_deletes_folders_killed_workers_left(tmp_path, monkeypatch):
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    stale = _left_behind(tmp_path, "ocr-pdf-abandoned", pdf.STALE_FOLDER_AFTER_S + 60)
    running = _left_behind(tmp_path, "ocr-pdf-running", 5)  # another worker's render right now
    other = _left_behind(tmp_path, "someone-elses", pdf.STALE_FOLDER_AFTER_S * 3)
    elsewhere = tmp_path.parent / f"{tmp_path.name}-target"
    elsewhere.mkdir()
    (elsewhere / "keep.txt").write_text("not ours")
    link = tmp_path / "ocr-pdf-link"
    link.symlink_to(elsewhere, target_is_directory=True)
    old = time.time() - pdf.STALE_FOLDER_AFTER_S * 2
    os.utime(link, (old, old), follow_symlinks=False)

    pages = pdf.render_pdf(
        _one_page_pdf(), FileLimits(max_bytes=2**20, max_pages=2, max_pixels=10**7, dpi=72)
    )

    assert len(pages) == 1
    assert not stale.exists()
    assert running.exists() and other.exists()
    assert (elsewhere / "keep.txt").exists(), "a link is never followed"
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "ocr-pdf-link",
        "ocr-pdf-running",
        "someone-elses",
    ]


def test_a_poppler_tool_ends_on_its_own_when_nobody_waits_for_it():
    """The worker that would stop it at its timeout is gone: the CPU cap ends it a second later."""
    command = pdf.poppler_command(["sh", "-c", "while :; do :; done"], timeout=1, memory=2**30)
    started = time.monotonic()
    process = subprocess.Popen(command)  # no timeout of ours: as if the worker had been killed
    try:
        code = process.wait(timeout=30)
    finally:
        process.kill()
    assert code < 0, "ended by a signal (the CPU cap), not by finishing"
    assert time.monotonic() - started < 30
