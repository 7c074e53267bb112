"""A TCP forwarder on loopback: a client reaches a server through another port, as through
a published container port (such as "3000:80"), so the server's own port is not
the one the client used."""

import select
import socket
import socketserver
import threading
from types import TracebackType

# A connection idle this long is dropped: a test's requests take well under a second.
IDLE_SECONDS = 30.0


class _Pipe(socketserver.BaseRequestHandler):
    server: "_Server"

    def handle(self) -> None:
        client: socket.socket = self.request
        with socket.create_connection(("127.0.0.1", self.server.target_port)) as upstream:
            peer = {client: upstream, upstream: client}
            while True:
                readable, _, _ = select.select(list(peer), [], [], IDLE_SECONDS)
                if not readable:
                    return
                for source in readable:
                    data = source.recv(65536)
                    if not data:  # either side closed: the exchange is over
                        return
                    peer[source].sendall(data)


class _Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        super().__init__(("127.0.0.1", 0), _Pipe)


class TcpForwarder:
    """`with TcpForwarder(port) as forwarder:` forwarder.url reaches 127.0.0.1:port."""

    def __init__(self, target_port: int) -> None:
        self._server = _Server(target_port)
        self.port = int(self._server.server_address[1])
        self.url = f"http://127.0.0.1:{self.port}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self) -> "TcpForwarder":
        self._thread.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()
