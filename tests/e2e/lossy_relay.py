#!/usr/bin/env python3
# A lossy Ethernet link between two interfaces of one network namespace, for
# tests/e2e/put.test.ts: every frame received on one is sent out of the other, except that
# it is dropped, duplicated or held back (and so reordered) at the given rates, from a
# seeded generator. This machine's Linux has no netem (DESIGN.md, "Known facts"), so the
# impairment `tc qdisc ... netem loss 10% duplicate 5% reorder 25% delay 5ms` would give is
# made here in user space. Frames the relay sent itself (PACKET_OUTGOING) are not relayed
# back. SIGUSR1 makes the link clean from then on. Prints one line of counts when it gets
# SIGTERM.
#   usage: lossy_relay.py IFACE_A IFACE_B SEED LOSS DUP REORDER DELAY_MS
import random
import select
import signal
import socket
import sys
import time

ETH_P_ALL = 0x0003
PACKET_OUTGOING = 4

a_name, b_name = sys.argv[1], sys.argv[2]
seed = int(sys.argv[3])
loss, dup, reorder, delay = float(sys.argv[4]), float(sys.argv[5]), float(sys.argv[6]), float(sys.argv[7]) / 1000
rng = random.Random(seed)
counts = {"relayed": 0, "dropped": 0, "duplicated": 0, "reordered": 0}


def open_raw(name):
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
    s.bind((name, 0))
    return s


ends = {}
a, b = open_raw(a_name), open_raw(b_name)
ends[a.fileno()] = (a, b)
ends[b.fileno()] = (b, a)
held = []   # (due time, socket, frame): frames held back, sent after later ones


def stop(*_):
    print("lossy relay: " + ", ".join("%s %d" % kv for kv in counts.items()), flush=True)
    sys.exit(0)


def clean(*_):
    global loss, dup, reorder
    loss = dup = reorder = 0.0
    print("lossy relay: clean from now", flush=True)


signal.signal(signal.SIGTERM, stop)
signal.signal(signal.SIGUSR1, clean)
print("lossy relay: ready", flush=True)
while True:
    now = time.monotonic()
    timeout = max(0.0, min((d for d, _, _ in held), default=now + 0.05) - now)
    ready, _, _ = select.select([a, b], [], [], timeout)
    for r in ready:
        frame, addr = r.recvfrom(65535)
        if addr[2] == PACKET_OUTGOING:
            continue
        out = ends[r.fileno()][1]
        if rng.random() < loss:
            counts["dropped"] += 1
            continue
        if rng.random() < reorder:
            counts["reordered"] += 1
            held.append((time.monotonic() + delay, out, frame))
            continue
        out.send(frame)
        counts["relayed"] += 1
        if rng.random() < dup:
            counts["duplicated"] += 1
            out.send(frame)
    now = time.monotonic()
    for item in [h for h in held if h[0] <= now]:
        held.remove(item)
        item[1].send(item[2])
        counts["relayed"] += 1
