"""The Yahoo source, offline: the real yfinance client against recorded responses on 127.0.0.1.

The session handed to yfinance rewrites ``https://HOST/PATH`` to
``http://127.0.0.1:PORT/HOST/PATH``; everything else (cookie and crumb handshake, the chart
request, parsing, timezone handling) is yfinance's own code.
"""

from __future__ import annotations

import http.server
import threading
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest

yf = pytest.importorskip("yfinance")
requests = pytest.importorskip("requests")

FIXTURES = Path(__file__).parent / "fixtures" / "yahoo"


class _Recorded(http.server.BaseHTTPRequestHandler):
    requests_seen: list[str] = []

    def do_GET(self) -> None:
        self.requests_seen.append(self.path)
        host, _, rest = self.path.lstrip("/").partition("/")
        if host == "fc.yahoo.com":
            self._send(200, b"", "text/html", cookie="A3=recorded; Domain=.yahoo.com; Path=/")
        elif rest.startswith("v1/test/getcrumb"):
            self._send(200, b"recordedcrumb", "text/plain")
        elif rest.startswith("v8/finance/chart/"):
            symbol = rest.split("?")[0].rsplit("/", 1)[-1]
            path = FIXTURES / f"chart_{symbol}.json"
            if path.exists():
                self._send(200, path.read_bytes(), "application/json")
            else:
                body = b'{"chart":{"result":null,"error":{"code":"Not Found","description":"No data found, symbol may be delisted"}}}'
                self._send(404, body, "application/json")
        else:
            self._send(404, b"{}", "application/json")

    def _send(self, code: int, body: bytes, ctype: str, cookie: str | None = None) -> None:
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        if cookie:
            self.send_header("Set-Cookie", cookie)
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def loopback_session(tmp_path: Path) -> Iterator[object]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Recorded)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    port = server.server_address[1]

    class LoopbackSession(requests.Session):  # type: ignore[misc,name-defined]
        def request(self, method: str, url: str, *args: object, **kwargs: object):
            parts = urlsplit(url)
            assert parts.hostname and parts.hostname.endswith("yahoo.com"), url
            local = f"http://127.0.0.1:{port}/{parts.netloc}{parts.path}"
            if parts.query:
                local += f"?{parts.query}"
            return super().request(method, local, *args, **kwargs)

    yf.set_tz_cache_location(str(tmp_path / "yf-cache"))
    _Recorded.requests_seen = []
    yield LoopbackSession()
    server.shutdown()


def test_pull_parses_recorded_chart(loopback_session: object) -> None:
    from ipposaki.sources.yahoo import pull_yahoo

    rows = pull_yahoo(["NVDA", "8035.T"], "2025-01-23", "2025-01-28", session=loopback_session)
    nvda = rows.loc[rows["symbol"] == "NVDA"].set_index("session")
    assert [d.strftime("%Y-%m-%d") for d in nvda.index] == [
        "2025-01-23",
        "2025-01-24",
        "2025-01-27",
        "2025-01-28",
    ]
    assert nvda.loc["2025-01-27", "close"] == pytest.approx(118.42)
    assert nvda.loc["2025-01-27", "adj_close"] == pytest.approx(118.24339294433594)
    assert (nvda["currency"] == "USD").all()
    tel = rows.loc[rows["symbol"] == "8035.T"].set_index("session")
    assert tel.loc["2025-01-28", "close"] == 24325 and (tel["currency"] == "JPY").all()
    assert any("/v8/finance/chart/NVDA" in p for p in _Recorded.requests_seen)


def test_pulled_rows_ingest_and_give_the_headline_return(loopback_session: object, store) -> None:
    from ipposaki.panel import build_panel
    from ipposaki.sources.yahoo import pull_yahoo

    rows = pull_yahoo(["NVDA"], "2025-01-23", "2025-01-28", session=loopback_session)
    store.ingest(rows, "yahoo")
    panel = build_panel(store, "XNYS", ["NVDA"], "2025-01-27", "2025-01-28")
    assert f"{panel.returns.loc['2025-01-27', 'NVDA']:.2%}" == "-16.97%"


def test_unknown_symbol_is_a_clear_error(loopback_session: object) -> None:
    from ipposaki.errors import SourceUnavailableError
    from ipposaki.sources.yahoo import pull_yahoo

    with pytest.raises(SourceUnavailableError, match="yahoo: could not download NOPE"):
        pull_yahoo(["NOPE"], "2025-01-23", "2025-01-28", session=loopback_session)


def test_bad_range_is_rejected_before_any_request() -> None:
    from ipposaki.errors import InputError
    from ipposaki.sources.yahoo import pull_yahoo

    with pytest.raises(InputError, match="end='2025-01-01' is not allowed"):
        pull_yahoo(["NVDA"], "2025-01-23", "2025-01-01")
