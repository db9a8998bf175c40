#!/usr/bin/env python3
# tests/sftp/silent.py PORTFILE — a server that accepts TCP connections on
# 127.0.0.1 and never says a word: an SSH client must time out on it.
# Writes the port it listens on into PORTFILE (atomically), prints one
# line "accepted N" on stdout for every connection it accepts (so a test
# can prove the client got past TCP), holds every connection open, and
# runs until killed (SIGTERM).
import os
import signal
import socket
import sys

if len(sys.argv) != 2:
    sys.exit("usage: silent.py PORTFILE")
signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
ls.bind(("127.0.0.1", 0))
ls.listen(16)
tmp = sys.argv[1] + ".tmp"
with open(tmp, "w") as f:
    f.write("%d\n" % ls.getsockname()[1])
os.rename(tmp, sys.argv[1])
held = []
while True:
    conn, _ = ls.accept()
    held.append(conn)		# kept open, never written to
    print("accepted %d" % len(held), flush=True)
