"""A loopback TCP listener that records the first line of every connection it gets (used by test_network)."""
import socket
import sys
import time

port, log_path, seconds = int(sys.argv[1]), sys.argv[2], float(sys.argv[3])
server = socket.socket()
server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
server.bind(("127.0.0.1", port))
server.listen()
server.settimeout(0.5)
with open(log_path, "a") as log:
    print("listening", file=log, flush=True)
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            conn, _ = server.accept()
        except socket.timeout:
            continue
        conn.settimeout(2)
        try:
            first = conn.recv(4096).split(b"\r\n", 1)[0].decode("latin-1")
        except OSError:
            first = ""
        print(f"connection: {first}", file=log, flush=True)
        conn.close()
