#!/usr/bin/env python3
"""Pseudo-terminal <-> TCP relay for the virtual air (used by `bluezone air pty`).

Creates a pty, symlinks LINK to its slave and prints "ready LINK" once LINK exists. Each time a
host (bleno/noble with hciDriver 'uart') opens LINK, it connects to the air server, which gives
that host a fresh virtual controller; when the host closes LINK the TCP connection is closed.
If the server drops the connection, the relay closes the pty (the host reads EIO, as on a
yanked USB adapter), points LINK at a new pty and waits for the next open.
Exits, removing LINK, on SIGINT/SIGTERM or when stdin reaches EOF (its parent went away).
Standard library only (python3 is on every target machine).
"""
import argparse
import errno
import os
import select
import signal
import socket
import sys
import time
import tty

POLL_MS = 20


class Stop(Exception):
    pass


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--link", required=True)
    ap.add_argument("--watch-stdin", action="store_true", help="exit when stdin closes")
    a = ap.parse_args()
    link = os.path.abspath(a.link)

    def on_signal(signum, frame):
        raise Stop()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    watch = [sys.stdin.fileno()] if a.watch_stdin else []
    state = {"slave": None}

    def check_stdin(readable):
        for fd in watch:
            if fd in readable and not os.read(fd, 4096):
                raise Stop()

    def new_pty():
        master, slave = os.openpty()
        tty.setraw(slave)
        name = os.ttyname(slave)
        os.close(slave)  # keep no slave fd: POLLHUP on the master then means "no host attached"
        tmp = "%s.tmp-%d" % (link, os.getpid())
        if os.path.lexists(tmp):
            os.unlink(tmp)
        os.symlink(name, tmp)
        os.replace(tmp, link)  # atomic: LINK always points at a live pty
        state["slave"] = name
        return master

    first = True
    try:
        while True:
            master = new_pty()
            if first:
                print("ready %s" % link, flush=True)
                first = False
            dropped = False
            while not dropped:
                # Wait for a host to open the slave (POLLHUP clears).
                p = select.poll()
                p.register(master, select.POLLIN)
                for fd in watch:
                    p.register(fd, select.POLLIN)
                while True:
                    ev = dict(p.poll(POLL_MS))
                    check_stdin([fd for fd in watch if fd in ev])
                    if not (ev.get(master, 0) & select.POLLHUP):
                        break
                    time.sleep(POLL_MS / 1000.0)
                # Connect to the server; retry while the host stays attached.
                sock = None
                while sock is None:
                    try:
                        sock = socket.create_connection((a.host, a.port), timeout=2)
                        sock.settimeout(None)
                        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                    except OSError:
                        r, _, _ = select.select(watch, [], [], 0.2)
                        check_stdin(r)
                dropped = relay(master, sock, watch, check_stdin)
                sock.close()
            os.close(master)
    except Stop:
        pass
    finally:
        try:
            if state["slave"] and os.path.islink(link) and os.readlink(link) == state["slave"]:
                os.unlink(link)
        except OSError:
            pass


def relay(master, sock, watch, check_stdin):
    """Copies bytes both ways. Returns True if the server closed, False if the host closed."""
    while True:
        r, _, _ = select.select([master, sock] + watch, [], [])
        check_stdin(r)
        if master in r:
            try:
                data = os.read(master, 4096)
            except OSError as e:
                if e.errno == errno.EIO:  # host closed the slave
                    return False
                raise
            if not data:
                return False
            sock.sendall(data)
        if sock in r:
            try:
                data = sock.recv(4096)
            except OSError:
                data = b""
            if not data:
                return True
            write_all(master, data)


def write_all(fd, data):
    while data:
        n = os.write(fd, data)
        data = data[n:]


if __name__ == "__main__":
    main()
