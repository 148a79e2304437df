"""``site-builder serve``: preview a built site on localhost (a development aid, not a production server)."""

from __future__ import annotations

import functools
import http.server
import sys
import urllib.parse
from pathlib import Path
from typing import BinaryIO


class _Handler(http.server.SimpleHTTPRequestHandler):
    extensions_map = {**http.server.SimpleHTTPRequestHandler.extensions_map, ".js": "text/javascript", ".json": "application/json",
                      ".csv": "text/csv; charset=utf-8", ".pf_meta": "application/octet-stream"}

    not_found: Path | None = None

    def send_head(self) -> BinaryIO | None:
        """Refuse, with 400, a path no file can have (NUL or other control characters, bytes that
        are not UTF-8) instead of letting ``open`` raise and the server print a traceback."""
        if not _plausible_path(self.path):
            self.send_error(400, "Bad request path")
            return None
        try:
            return super().send_head()  # type: ignore[misc]
        except (ValueError, UnicodeError, OSError):
            self.send_error(400, "Bad request path")
            return None

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        page = self.not_found or Path(self.directory) / "404.html"
        if code == 404 and page.exists():
            body = page.read_bytes()
            self.send_response(404)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)
            return
        super().send_error(code, message, explain)


def _plausible_path(raw: str) -> bool:
    path = urllib.parse.unquote(raw.split("?", 1)[0].split("#", 1)[0], errors="surrogatepass")
    try:
        path.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return not any(ord(c) < 32 or ord(c) == 127 for c in path)


class _QuietHandler(_Handler):
    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - the stdlib's signature
        pass


class _Server(http.server.ThreadingHTTPServer):
    def handle_error(self, request: object, client_address: tuple[str, int]) -> None:
        """One line instead of a traceback; a client that hangs up early is not an error."""
        error = sys.exc_info()[1]
        if isinstance(error, ConnectionError):
            return
        print(f"site-builder serve: error answering {client_address[0]}: {type(error).__name__}: {error}", file=sys.stderr)


def make_server(directory: Path, port: int, host: str = "127.0.0.1", quiet: bool = False,
                not_found: Path | None = None) -> http.server.ThreadingHTTPServer:
    """A static server; ``not_found`` is the page sent with 404s (like nginx's error_page)."""
    base = _QuietHandler if quiet else _Handler
    handler_class = type("Handler", (base,), {"not_found": not_found})
    handler = functools.partial(handler_class, directory=str(directory))
    return _Server((host, port), handler)


def serve(directory: Path, port: int) -> int:
    if not (directory / "index.html").exists():
        print(f"site-builder: {directory} holds no built site (run site-builder build first)", file=sys.stderr)
        return 2
    server = make_server(directory, port)
    print(f"serving {directory} at http://127.0.0.1:{server.server_port}/ (Ctrl+C stops)", file=sys.stderr)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0
