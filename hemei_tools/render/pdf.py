"""Print report pages to PDF with the system's Chromium, the browser the tests drive.

:class:`Chromium` starts one headless Chromium (``/usr/bin/chromium`` on Debian, or
``HEMEI_CHROMIUM``, or the first ``chromium``/``google-chrome`` on ``PATH``) and talks to it
over its DevTools pipe (``--remote-debugging-pipe``: file descriptors 3 and 4, JSON messages
ended by a NUL byte), with the standard library only: no Playwright, no websocket, no port.
:meth:`Chromium.print_pdf` opens a page from disk in a fresh tab, waits for its load event and
its fonts, and asks for ``Page.printToPDF`` with the page's own ``@page`` rules (A4, landscape
pages for wide tables, page numbers in the margin boxes: see the ``hemei`` template's print
stylesheet), backgrounds, a tagged PDF and an outline from the page's headings.

The browser runs in a new session (process group) with a temporary profile; :meth:`close`
(or leaving the ``with`` block, also on Ctrl-C) asks it to quit, kills the group if it does
not, and removes the profile, so no process is left behind. Host names do not resolve inside
it (``--host-resolver-rules``) and the pages' Content-Security-Policy admits no request: a
report prints offline.

:func:`merge_pdfs` joins PDFs into one (pypdf), each part a top-level bookmark holding its own
outline: the combined PDF of a batch run (:mod:`hemei_tools.batch.pdf`).
"""

from __future__ import annotations

import base64
import contextlib
import functools
import json
import os
import re
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import zlib
from pathlib import Path

from hemei_tools.contract import label_text
from hemei_tools.errors import ReportError
from hemei_tools.paths import write_atomic

__all__ = ["CHROMIUM_ENV", "Chromium", "PdfError", "find_chromium", "merge_pdfs", "print_pdfs"]

#: Environment variable naming the Chromium (or Chrome) executable to print with.
CHROMIUM_ENV = "HEMEI_CHROMIUM"
#: Where Chromium is looked for when ``HEMEI_CHROMIUM`` is not set: ``PATH`` names, then paths.
CANDIDATES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable",
              "/usr/bin/chromium", "/usr/lib/chromium/chromium")
#: Command-line switches: headless, no first-run work, no network of its own, no host name resolves.
SWITCHES = (
    "--headless", "--disable-gpu", "--no-first-run", "--no-default-browser-check",
    "--disable-extensions", "--disable-background-networking", "--disable-component-update",
    "--disable-sync", "--disable-default-apps", "--mute-audio", "--hide-scrollbars",
    "--disable-dev-shm-usage", "--disable-breakpad", "--disable-crash-reporter",
    "--host-resolver-rules=MAP * ~NOTFOUND", "--remote-debugging-pipe",
)
#: ``Page.printToPDF`` options: the page's CSS decides paper size, orientation and margins.
PRINT_OPTIONS = {"printBackground": True, "preferCSSPageSize": True, "generateTaggedPDF": True,
                 "generateDocumentOutline": True}
#: Seconds to wait for the browser to start, a page to load and a page to print.
START_TIMEOUT, LOAD_TIMEOUT, PRINT_TIMEOUT = 30.0, 120.0, 300.0


class PdfError(ReportError):
    """A PDF cannot be made: no Chromium, or it failed to start, load or print a page."""


def find_chromium() -> str:
    """Path of the Chromium to print with: ``HEMEI_CHROMIUM``, else the first of
    :data:`CANDIDATES` found.

    Raises
    ------
    PdfError
        None is installed (the message says how to install one or name it).
    """
    named = os.environ.get(CHROMIUM_ENV, "")
    if named:
        found = shutil.which(named)
        if found is None:
            raise PdfError(label_text("error.pdf.chromium_env").format(env=CHROMIUM_ENV, path=named))
        return found
    for candidate in CANDIDATES:
        found = shutil.which(candidate)
        if found is not None:
            return found
    raise PdfError(label_text("error.pdf.no_chromium").format(env=CHROMIUM_ENV))


_TRAMPOLINE = ("import os,sys;os.dup2(int(sys.argv[1]),3);os.dup2(int(sys.argv[2]),4);"
               "os.execv(sys.argv[3],sys.argv[3:])")


def _high_fd(fd: int) -> int:
    """``fd`` moved to a number of 10 or more (not 3 or 4, which the child's pipe takes)."""
    import fcntl

    high = fcntl.fcntl(fd, fcntl.F_DUPFD, 10)
    os.close(fd)
    return high


class Chromium:
    """One headless Chromium on its DevTools pipe; use as a context manager.

    Parameters
    ----------
    executable
        Chromium to start; default :func:`find_chromium`.

    Raises
    ------
    PdfError
        No Chromium, or it did not start (the message ends with the last lines it printed).
    """

    def __init__(self, executable: str | os.PathLike | None = None) -> None:
        self.executable = str(executable) if executable is not None else find_chromium()
        self._profile = tempfile.mkdtemp(prefix="hemei-chromium-")
        self._log = tempfile.TemporaryFile()  # noqa: SIM115 - closed in close()
        self._buffer = b""
        self._next_id = 0
        self.proc: subprocess.Popen | None = None
        child_in, self._out = os.pipe()   # we write commands, Chromium reads fd 3
        self._in, child_out = os.pipe()   # Chromium writes fd 4, we read
        child_in, child_out = _high_fd(child_in), _high_fd(child_out)
        switches = list(SWITCHES) + [f"--user-data-dir={self._profile}"]
        if hasattr(os, "geteuid") and os.geteuid() == 0:
            switches.append("--no-sandbox")  # Chromium refuses to start its sandbox as root
        try:
            self.proc = subprocess.Popen(
                [sys.executable, "-I", "-S", "-c", _TRAMPOLINE, str(child_in), str(child_out),
                 self.executable, *switches, "about:blank"],
                pass_fds=(child_in, child_out), stdin=subprocess.DEVNULL, stdout=self._log,
                stderr=self._log, start_new_session=True)
        except OSError as exc:
            self.close()
            raise PdfError(label_text("error.pdf.start").format(browser=self.executable, detail=exc)) from exc
        finally:
            os.close(child_in)
            os.close(child_out)
        try:
            self.version = self._call("Browser.getVersion", timeout=START_TIMEOUT)["product"]
        except BaseException:
            self.close()
            raise

    # -- the pipe ---------------------------------------------------------------------------

    def _send(self, method: str, params: dict | None = None, session: str | None = None) -> int:
        self._next_id += 1
        message = {"id": self._next_id, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        data = json.dumps(message).encode("utf-8") + b"\0"
        try:
            while data:
                data = data[os.write(self._out, data):]
        except OSError as exc:
            raise self._failure(f"{method}: {exc}") from exc
        return self._next_id

    def _receive(self, wanted, timeout: float) -> dict:
        """The first message for which ``wanted(message)`` is true (others are dropped)."""
        deadline = time.monotonic() + timeout
        while True:
            while b"\0" in self._buffer:
                raw, self._buffer = self._buffer.split(b"\0", 1)
                message = json.loads(raw)
                if wanted(message):
                    return message
            left = deadline - time.monotonic()
            ready = select.select([self._in], [], [], max(left, 0))[0] if left > 0 else []
            if not ready:
                raise self._failure(label_text("error.pdf.timeout").format(seconds=round(timeout)))
            chunk = os.read(self._in, 1 << 20)
            if not chunk:
                raise self._failure(label_text("error.pdf.exited"))
            self._buffer += chunk

    def _call(self, method: str, params: dict | None = None, session: str | None = None,
              timeout: float = LOAD_TIMEOUT) -> dict:
        ident = self._send(method, params, session)
        reply = self._receive(lambda m: m.get("id") == ident, timeout)
        if "error" in reply:
            raise self._failure(f"{method}: {reply['error'].get('message', reply['error'])}")
        return reply.get("result", {})

    def _failure(self, what: str) -> PdfError:
        """A :class:`PdfError` about ``what`` with the last lines Chromium printed."""
        tail = ""
        with contextlib.suppress(OSError, ValueError):
            self._log.seek(0)
            lines = [line for line in self._log.read().decode("utf-8", "replace").splitlines() if line.strip()]
            tail = " | ".join(lines[-3:])[-600:]
        return PdfError(label_text("error.pdf.failed").format(browser=self.executable, detail=what)
                        + (f" ({tail})" if tail else ""))

    # -- printing ---------------------------------------------------------------------------

    def print_pdf(self, page: str | os.PathLike, pdf: str | os.PathLike) -> Path:
        """Print the HTML file ``page`` to ``pdf`` (written atomically, its text layer mended by
        :func:`mend_cjk_text`); return ``pdf``."""
        url = Path(page).resolve().as_uri()
        target = self._call("Target.createTarget", {"url": "about:blank"})["targetId"]
        try:
            session = self._call("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
            self._call("Page.enable", session=session)
            self._call("Page.navigate", {"url": url}, session=session)
            self._receive(lambda m: m.get("method") == "Page.loadEventFired" and m.get("sessionId") == session,
                          LOAD_TIMEOUT)
            self._call("Runtime.evaluate", {"expression": "document.fonts.ready.then(() => true)",
                                            "awaitPromise": True}, session=session)
            data = self._call("Page.printToPDF", PRINT_OPTIONS, session=session, timeout=PRINT_TIMEOUT)["data"]
        finally:
            with contextlib.suppress(PdfError):
                self._call("Target.closeTarget", {"targetId": target}, timeout=START_TIMEOUT)
        return write_atomic(pdf, mend_cjk_text(base64.b64decode(data)))

    def close(self) -> None:
        """Quit the browser (kill its process group if it does not quit within 10 s), close the
        pipe and remove the temporary profile. Safe to call twice."""
        proc, self.proc = self.proc, None
        if proc is not None:
            if proc.poll() is None:
                with contextlib.suppress(PdfError, OSError, ValueError):
                    self._send("Browser.close")
                try:
                    proc.wait(10)
                except subprocess.TimeoutExpired:
                    with contextlib.suppress(OSError):
                        os.killpg(proc.pid, signal.SIGKILL)
                    proc.wait(10)
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline:  # helpers of the browser that outlive it: gone too
                try:
                    os.killpg(proc.pid, signal.SIGKILL)
                except OSError:  # ProcessLookupError: the group is empty
                    break
                time.sleep(0.05)
        for fd in ("_in", "_out"):
            with contextlib.suppress(OSError, AttributeError, TypeError):
                os.close(getattr(self, fd))
            setattr(self, fd, None)
        with contextlib.suppress(OSError, AttributeError):
            self._log.close()
        shutil.rmtree(self._profile, ignore_errors=True)

    def __enter__(self) -> Chromium:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


# -- the text layer: CJK radicals back to the characters ------------------------------------------

#: The table of :func:`radical_map`: code points of radicals and strokes, each with the ideograph
#: Noto Sans CJK SC draws with the same glyph (generated from the font's cmap; checked against it
#: in the tests).
RADICALS_FILE = "cjk_radicals.csv"


@functools.cache
def radical_map() -> dict[int, int]:
    """Each CJK radical or stroke code point → the ideograph drawn with the same glyph in Noto
    Sans CJK SC, the reports' font: U+2EDA ⻚ → U+9875 页, U+2F42 ⽂ → U+6587 文, U+2F3E ⼾ →
    U+6237 户 (the simplified form the reader saw, where NFKC would give 戶). Read from
    :data:`RADICALS_FILE` (columns ``radical, ideograph`` in hex)."""
    import csv
    import io
    from importlib import resources

    text = (resources.files("hemei_tools.render") / RADICALS_FILE).read_text(encoding="utf-8")
    return {int(r["radical"], 16): int(r["ideograph"], 16) for r in csv.DictReader(io.StringIO(text))}


_HEX = rb"<([0-9A-Fa-f]+)>"
_BFCHAR_RE = re.compile(rb"beginbfchar(.*?)endbfchar", re.S)
_BFRANGE_RE = re.compile(rb"beginbfrange(.*?)endbfrange", re.S)
_PAIR_RE = re.compile(_HEX + rb"\s*" + _HEX)
_RANGE_RE = re.compile(_HEX + rb"\s*" + _HEX + rb"\s*(<[0-9A-Fa-f]+>|\[[^\]]*\])")
_BLOCKS_RE = re.compile(rb"\d+\s+begin(bfchar|bfrange).*?end(bfchar|bfrange)\s*", re.S)


def _utf16(hex_text: bytes) -> str:
    return bytes.fromhex(hex_text.decode("ascii")).decode("utf-16-be", errors="surrogatepass")


def _mend_cmap(cmap: bytes, radicals: dict[int, int]) -> bytes | None:
    """A ToUnicode CMap with every radical target replaced by its ideograph, or None when it
    maps to no radical (left as it is)."""
    mapping: dict[bytes, str] = {}
    width = 0
    for block in _BFCHAR_RE.findall(cmap):
        for src, dst in _PAIR_RE.findall(block):
            mapping[src.upper()] = _utf16(dst)
            width = len(src)
    for block in _BFRANGE_RE.findall(cmap):
        for lo, hi, dst in _RANGE_RE.findall(block):
            width = len(lo)
            first, last = int(lo, 16), int(hi, 16)
            if dst.startswith(b"["):
                targets = [_utf16(h) for h in re.findall(_HEX, dst)]
            else:
                base = _utf16(dst[1:-1])
                targets = [base[:-1] + chr(ord(base[-1]) + k) for k in range(last - first + 1)]
            for k, text in zip(range(first, last + 1), targets, strict=False):
                mapping[f"{k:0{len(lo)}X}".encode()] = text
    if not any(ord(ch) in radicals for text in mapping.values() for ch in text):
        return None
    entries = [b"<%s> <%s>" % (src, "".join(chr(radicals.get(ord(ch), ord(ch))) for ch in text)
                                   .encode("utf-16-be", errors="surrogatepass").hex().upper().encode())
               for src, text in sorted(mapping.items(), key=lambda kv: int(kv[0], 16))]
    blocks = b"".join(b"%d beginbfchar\n%s\nendbfchar\n" % (len(chunk), b"\n".join(chunk))
                      for chunk in (entries[i:i + 100] for i in range(0, len(entries), 100)))
    del width
    head = _BLOCKS_RE.search(cmap)
    if head is None:
        return None
    body = _BLOCKS_RE.sub(b"", cmap)
    return body[:head.start()] + blocks + body[head.start():]


_STARTXREF_RE = re.compile(rb"startxref\s+(\d+)\s+%%EOF\s*$")
_STREAM_RE = re.compile(rb"^(\d+ \d+ obj\s*<<(.*?)>>\s*stream\r?\n)", re.S)
_LENGTH_RE = re.compile(rb"/Length (\d+)")


def mend_cjk_text(data: bytes) -> bytes:
    """A Chromium PDF whose copied text reads as written: 页, 文, 风, 长… instead of ⻚, ⽂, ⻛, ⻓.

    Chromium writes each font's ToUnicode map from the font's own table, taking the lowest code
    point drawn with a glyph; in CJK fonts that is often a radical (U+2EDA ⻚ shares 页's
    glyph), so text copied or searched in the PDF reads "第1⻚" and "乡⻛⽂明". Each ToUnicode
    stream that maps to a radical (:func:`radical_map`) is rewritten, and the cross-reference
    table is rebuilt. A PDF this does not understand (no classic xref table, an object stream)
    is returned unchanged; so is one without radicals.
    """
    end = _STARTXREF_RE.search(data[-64:])
    if end is None:
        return data
    xref = int(end.group(1))
    table = re.match(rb"xref\s+0 (\d+)\s+", data[xref:])
    if table is None or b"/ObjStm" in data:
        return data
    count, pos = int(table.group(1)), xref + table.end()
    entries = [data[pos + 20 * i: pos + 20 * i + 20] for i in range(count)]
    if len(entries[-1]) != 20:
        return data
    objects = sorted((int(e[:10]), i) for i, e in enumerate(entries) if e[17:18] == b"n")
    trailer = data[pos + 20 * count: data.rfind(b"startxref")]
    radicals = radical_map()
    bounds = [off for off, _ in objects] + [xref]
    pieces, changed = [], False
    for (off, number), stop in zip(objects, bounds[1:], strict=True):
        piece = data[off:stop]
        m = _STREAM_RE.match(piece)
        if m and b"/FlateDecode" in m.group(2) and b"/Subtype /Image" not in m.group(2):
            length = _LENGTH_RE.search(m.group(2))
            if length is not None and int(length.group(1)) < 1 << 20:
                raw = piece[m.end():m.end() + int(length.group(1))]
                try:
                    text = zlib.decompress(raw)
                except zlib.error:
                    text = b""
                mended = _mend_cmap(text, radicals) if text.startswith(b"/CIDInit") else None
                if mended is not None:
                    packed = zlib.compress(mended)
                    head = m.group(1).replace(length.group(0), b"/Length %d" % len(packed))
                    piece = head + packed + piece[m.end() + int(length.group(1)):]
                    changed = True
        pieces.append((number, piece))
    if not changed:
        return data
    out = bytearray(data[:objects[0][0]])
    offsets = {}
    for number, piece in pieces:
        offsets[number] = len(out)
        out += piece
    start = len(out)
    out += b"xref\n0 %d\n" % count
    for i, e in enumerate(entries):
        out += b"%010d 00000 n \n" % offsets[i] if i in offsets else e
    out += trailer + b"startxref\n%d\n%%%%EOF\n" % start
    return bytes(out)


def print_pdfs(pages: list[tuple[Path, Path]], executable: str | os.PathLike | None = None,
               on_done=None) -> list[Path]:
    """Print each ``(html, pdf)`` pair in one browser; ``on_done(html, pdf, seconds)`` after each."""
    written = []
    if not pages:
        return written
    with Chromium(executable) as browser:
        for html, pdf in pages:
            t0 = time.perf_counter()
            written.append(browser.print_pdf(html, pdf))
            if on_done is not None:
                on_done(html, pdf, time.perf_counter() - t0)
    return written


def merge_pdfs(parts: list[tuple[Path, str]], out: str | os.PathLike) -> Path:
    """Join PDFs into ``out`` (written atomically) in the given order; each ``(pdf, title)``
    becomes a top-level bookmark holding that PDF's own bookmarks.

    Raises
    ------
    PdfError
        pypdf is not installed.
    """
    try:
        from pypdf import PdfWriter
    except ImportError as exc:  # pragma: no cover - a dependency of the package
        raise PdfError(label_text("error.pdf.no_pypdf")) from exc
    import io

    writer = PdfWriter()
    for pdf, title in parts:
        writer.append(str(pdf), outline_item=title)
    writer.page_mode = "/UseOutlines"
    buffer = io.BytesIO()
    writer.write(buffer)
    writer.close()
    return write_atomic(out, buffer.getvalue())
