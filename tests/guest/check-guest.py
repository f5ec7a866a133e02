#!/usr/bin/env python3
"""Smoke test of the zvirtd s390x test guest under qemu-system-s390x (TCG).

Boots the guest built by build-guest.sh three times and checks the console
protocol and the QEMU events the daemon relies on:

  boot 1: ready line, echo, bootid, ip link, unknown command, disk hot-plug
          (null-co + virtio-blk-ccw devno fe.0.0005 -> vda / 0.0.0005, seen
          by `waitblk`), `blkread` of it, a `waitblk` timeout,
          CPU hot-plug + `cpus online`, count, dirty, then QMP
          system_powerdown -> SHUTDOWN guest=true and QEMU exits by itself
  boot 2: `reboot` -> RESET guest=true + a new ready line with a new
          boot_id; QMP system_reset -> the same; `panic` -> GUEST_PANICKED
  boot 3: `poweroff` -> SHUTDOWN guest=true, QEMU exits
  boot 4 (root only: a network namespace of its own): a virtio-net-ccw NIC
          on a tap, `nics`, `netup`, `ping` of the host's end; a hot-plugged
          second NIC seen by `waitnic` present and absent

Usage: check-guest.py [--guest DIR] [--qemu PATH] [-v]
Without --guest it runs build-guest.sh (same directory) and uses the
directory it prints.  Exits 0 when every check passed, 1 otherwise.
"""

import argparse
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
READY_RE = re.compile(r"^zvirt-guest: ready boot_id=([0-9a-f-]{36})$")

VERBOSE = False


class CheckFailed(Exception):
    pass


def log(msg):
    print(msg, flush=True)


def connect_unix(path, deadline):
    while True:
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            s.connect(path)
            return s
        except OSError:
            s.close()
            if time.monotonic() > deadline:
                raise CheckFailed("cannot connect to %s" % path)
            time.sleep(0.05)


class Console:
    """Line reader of the guest console (a QEMU socket chardev)."""

    def __init__(self, sock):
        self.sock = sock
        self.lines = []
        self.cond = threading.Condition()
        self.closed = False
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        buf = b""
        while True:
            try:
                data = self.sock.recv(4096)
            except OSError:
                data = b""
            if not data:
                with self.cond:
                    self.closed = True
                    self.cond.notify_all()
                return
            buf += data
            while b"\n" in buf:
                raw, buf = buf.split(b"\n", 1)
                line = raw.decode("utf-8", "replace").replace("\r", "")
                if VERBOSE:
                    log("    console| " + line)
                with self.cond:
                    self.lines.append(line)
                    self.cond.notify_all()

    def mark(self):
        with self.cond:
            return len(self.lines)

    def expect(self, pattern, timeout, start=0):
        """Wait for a line matching pattern at index >= start.
        Returns (match, index)."""
        rx = re.compile(pattern)
        deadline = time.monotonic() + timeout
        i = start
        with self.cond:
            while True:
                while i < len(self.lines):
                    m = rx.search(self.lines[i])
                    if m:
                        return m, i
                    i += 1
                left = deadline - time.monotonic()
                if left <= 0 or self.closed:
                    raise CheckFailed("console: no line matching %r within %gs"
                                      % (pattern, timeout))
                self.cond.wait(left)

    def send(self, text):
        self.sock.sendall(text.encode() + b"\n")

    def command(self, text, timeout=30):
        """Send a command, return the answer lines before the done line."""
        word = text.split()[0]
        start = self.mark()
        self.send(text)
        _, end = self.expect(r"^zvirt-guest: done %s$" % re.escape(word),
                             timeout, start)
        with self.cond:
            return [l for l in self.lines[start:end]
                    if not re.match(r"^count \d+$", l)]


class QMP:
    def __init__(self, sock):
        self.sock = sock
        self.file = sock.makefile("rwb")
        self.events = []
        self.replies = []
        self.cond = threading.Condition()
        self.closed = False
        greeting = json.loads(self.file.readline())
        if "QMP" not in greeting:
            raise CheckFailed("bad QMP greeting %r" % greeting)
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()
        self.execute("qmp_capabilities")

    def _run(self):
        while True:
            try:
                line = self.file.readline()
            except (OSError, ValueError):
                line = b""
            if not line:
                with self.cond:
                    self.closed = True
                    self.cond.notify_all()
                return
            msg = json.loads(line)
            with self.cond:
                if "event" in msg:
                    if VERBOSE:
                        log("    qmp event| %s %s" % (msg["event"],
                                                    json.dumps(msg.get("data", {}))))
                    self.events.append(msg)
                else:
                    self.replies.append(msg)
                self.cond.notify_all()

    def execute(self, cmd, args=None, timeout=30):
        req = {"execute": cmd}
        if args is not None:
            req["arguments"] = args
        with self.cond:
            n = len(self.replies)
        self.file.write(json.dumps(req).encode() + b"\n")
        self.file.flush()
        deadline = time.monotonic() + timeout
        with self.cond:
            while len(self.replies) <= n:
                left = deadline - time.monotonic()
                if left <= 0 or self.closed:
                    raise CheckFailed("QMP %s: no reply" % cmd)
                self.cond.wait(left)
            reply = self.replies[n]
        if "error" in reply:
            raise CheckFailed("QMP %s failed: %s" % (cmd, reply["error"]))
        return reply.get("return")

    def mark(self):
        with self.cond:
            return len(self.events)

    def wait_event(self, name, timeout, start=0):
        deadline = time.monotonic() + timeout
        with self.cond:
            i = start
            while True:
                while i < len(self.events):
                    if self.events[i]["event"] == name:
                        return self.events[i]
                    i += 1
                left = deadline - time.monotonic()
                if left <= 0 or self.closed:
                    raise CheckFailed("QMP: no %s event within %gs" % (name, timeout))
                self.cond.wait(left)


class Guest:
    def __init__(self, qemu, guest_dir, workdir, name, smp="1",
                 append="console=ttysclp0 panic=0 quiet", mem="256", extra=(),
                 accel="tcg", cpu="qemu", prefix=()):
        self.dir = tempfile.mkdtemp(prefix=name + ".", dir=workdir)
        con_path = os.path.join(self.dir, "console.sock")
        qmp_path = os.path.join(self.dir, "qmp.sock")
        self.logpath = os.path.join(self.dir, "qemu.log")
        argv = list(prefix) + [
            qemu, "-machine", "s390-ccw-virtio", "-accel", accel, "-cpu", cpu,
            "-m", mem, "-smp", smp, "-nodefaults", "-no-user-config",
            "-display", "none",
            "-kernel", os.path.join(guest_dir, "vmlinuz"),
            "-initrd", os.path.join(guest_dir, "initrd.img"),
            "-append", append,
            "-chardev", "socket,id=con,path=%s,server=on,wait=off" % con_path,
            "-device", "sclpconsole,chardev=con",
            "-qmp", "unix:%s,server=on,wait=off" % qmp_path,
            "-action", "panic=pause",
        ] + list(extra)
        self.t0 = time.monotonic()
        self.logfile = open(self.logpath, "wb")
        self.proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL,
                                     stdout=self.logfile, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 10
        try:
            self.console = Console(connect_unix(con_path, deadline))
            self.qmp = QMP(connect_unix(qmp_path, deadline))
        except Exception:
            self.kill()
            raise

    def wait_ready(self, timeout=90, start=0):
        m, _ = self.console.expect(READY_RE.pattern, timeout, start)
        return m.group(1), time.monotonic() - self.t0

    def wait_exit(self, timeout):
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            raise CheckFailed("QEMU did not exit within %gs" % timeout)

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self.logfile.close()


class Runner:
    def __init__(self):
        self.failed = 0
        self.passed = 0

    def check(self, name, fn):
        t = time.monotonic()
        try:
            detail = fn()
        except CheckFailed as e:
            self.failed += 1
            log("FAIL %s: %s" % (name, e))
            return False
        self.passed += 1
        log("ok   %s (%.2fs)%s" % (name, time.monotonic() - t,
                                   ": " + detail if detail else ""))
        return True


def expect_eq(what, got, want):
    if got != want:
        raise CheckFailed("%s: got %r, want %r" % (what, got, want))


def boot1(r, qemu, guest_dir, workdir):
    g = Guest(qemu, guest_dir, workdir, "boot1", smp="1,maxcpus=2")
    try:
        state = {}

        def ready():
            state["boot_id"], secs = g.wait_ready()
            state["ready_secs"] = secs
            return "%.2fs after QEMU start" % secs
        if not r.check("boot 1: ready line", ready):
            return None

        def echo():
            expect_eq("echo answer", g.console.command("echo hi"), ["hi"])
            expect_eq("echo answer", g.console.command("echo  a  b "), [" a  b "])
        r.check("echo", echo)

        def bootid():
            expect_eq("bootid answer", g.console.command("bootid"),
                      ["boot_id=" + state["boot_id"]])
        r.check("bootid", bootid)

        def iplink():
            out = g.console.command("ip link")
            if not any(re.match(r"^1: lo: ", l) for l in out):
                raise CheckFailed("no lo in %r" % out)
        r.check("ip link", iplink)

        def unknown():
            expect_eq("answer", g.console.command("frobnicate x"),
                      ["zvirt-guest: unknown command frobnicate"])
        r.check("unknown command", unknown)

        def devices_before():
            out = g.console.command("devices")
            if any(l.startswith("vda ") for l in out):
                raise CheckFailed("vda present before hot-plug: %r" % out)
        r.check("devices before hot-plug", devices_before)

        def hotplug_disk():
            # waitblk sees the disk come: it waits before the plug.
            start = g.console.mark()
            g.console.send("waitblk 0.0.0005 present 30")
            g.console.expect(r"^blk 0\.0\.0005 waiting$", 30, start)
            g.qmp.execute("blockdev-add", {"driver": "null-co", "node-name": "n1",
                                           "size": 1048576})
            g.qmp.execute("device_add", {"driver": "virtio-blk-ccw", "drive": "n1",
                                         "id": "vdb", "devno": "fe.0.0005"})
            g.console.expect(r"^blk 0\.0\.0005 present$", 30, start)
            g.console.expect(r"^zvirt-guest: done waitblk$", 30, start)
            deadline = time.monotonic() + 30
            while True:
                out = g.console.command("devices")
                if "vda 2048 0.0.0005" in out and any(
                        re.match(r"^ccw 0\.0\.0005 \S+ virtio_ccw$", l) for l in out):
                    return " | ".join(out)
                if time.monotonic() > deadline:
                    raise CheckFailed("vda/0.0.0005 not listed: %r" % out)
                time.sleep(0.5)
        r.check("disk hot-plug shows vda 0.0.0005", hotplug_disk)

        def blkread():
            # null-co reads zeros: 16 bytes that are not printable.
            expect_eq("answer", g.console.command("blkread vda 16"), ["read " + "." * 16])
            expect_eq("answer", g.console.command("waitblk 0.0.0005 present 1"),
                      ["blk 0.0.0005 waiting", "blk 0.0.0005 present"])
            expect_eq("answer", g.console.command("waitblk 0.0.0006 present 1"),
                      ["blk 0.0.0006 waiting", "blk 0.0.0006 timeout"])
        r.check("blkread, waitblk", blkread)

        def hotplug_cpu():
            expect_eq("cpus", g.console.command("cpus"), ["online=0"])
            g.qmp.execute("device_add", {"driver": "qemu-s390x-cpu", "id": "cpu1",
                                         "core-id": 1})
            deadline = time.monotonic() + 30
            while True:
                out = g.console.command("cpus online")
                if out == ["online=0-1"]:
                    return out[0]
                if time.monotonic() > deadline:
                    raise CheckFailed("cpus online answered %r" % out)
                time.sleep(0.5)
        r.check("cpu hot-plug + cpus online", hotplug_cpu)

        def count():
            start = g.console.mark()
            expect_eq("count start", g.console.command("count start"), [])
            g.console.expect(r"^count 2$", 10, start)
            g.console.command("count stop")
            time.sleep(0.2)
            after = g.console.mark()
            time.sleep(2.5)
            with g.console.cond:
                late = [l for l in g.console.lines[after:] if l.startswith("count ")]
            if late:
                raise CheckFailed("count lines after stop: %r" % late)
        r.check("count start/stop", count)

        def dirty():
            expect_eq("dirty 16", g.console.command("dirty 16"), ["dirtying 16"])
            time.sleep(2)
            expect_eq("dirty stop", g.console.command("dirty stop"), [])
            expect_eq("dirty bad", g.console.command("dirty x"),
                      ["zvirt-guest: bad argument x"])
        r.check("dirty start/stop", dirty)

        def watchdog_absent():
            out = g.console.command("watchdog 15")
            if "zvirt-guest: no /dev/watchdog" not in out:
                raise CheckFailed("watchdog answered %r" % out)
            expect_eq("watchdog bad", g.console.command("watchdog x"),
                      ["zvirt-guest: bad argument x"])
        r.check("watchdog without QEMU's diag288: no /dev/watchdog", watchdog_absent)

        def powerdown():
            start = g.console.mark()
            ev0 = g.qmp.mark()
            t = time.monotonic()
            g.qmp.execute("system_powerdown")
            ev = g.qmp.wait_event("SHUTDOWN", 10, ev0)
            secs = time.monotonic() - t
            if ev.get("data", {}).get("guest") is not True:
                raise CheckFailed("SHUTDOWN not from the guest: %r" % ev)
            g.console.expect(r"^zvirt-guest: powering off$", 2, start)
            g.wait_exit(10)
            return "SHUTDOWN %s %.2fs after system_powerdown" % (
                json.dumps(ev["data"]), secs)
        r.check("system_powerdown -> SHUTDOWN guest=true, QEMU exits", powerdown)
        return state.get("ready_secs")
    finally:
        g.kill()


def boot2(r, qemu, guest_dir, workdir):
    g = Guest(qemu, guest_dir, workdir, "boot2")
    try:
        state = {}

        def ready():
            state["boot_id"], secs = g.wait_ready()
            return "%.2fs" % secs
        if not r.check("boot 2: ready line", ready):
            return

        # A reboot must be about as fast as the first boot: the padded
        # vmlinuz (see build-guest.sh) avoids a 60-110 s TCG slow path.
        def reboot():
            start = g.console.mark()
            ev0 = g.qmp.mark()
            t = time.monotonic()
            expect_eq("reboot", g.console.command("reboot"),
                      ["zvirt-guest: rebooting"])
            ev = g.qmp.wait_event("RESET", 20, ev0)
            if ev.get("data", {}).get("guest") is not True:
                raise CheckFailed("RESET not from the guest: %r" % ev)
            m, _ = g.console.expect(READY_RE.pattern, 45, start)
            if m.group(1) == state["boot_id"]:
                raise CheckFailed("boot_id unchanged after reboot")
            state["boot_id"] = m.group(1)
            expect_eq("bootid", g.console.command("bootid"),
                      ["boot_id=" + state["boot_id"]])
            return "ready again %.2fs after the command" % (time.monotonic() - t)
        r.check("reboot -> RESET guest=true, new ready line and boot_id", reboot)

        def system_reset():
            start = g.console.mark()
            ev0 = g.qmp.mark()
            t = time.monotonic()
            g.qmp.execute("system_reset")
            ev = g.qmp.wait_event("RESET", 20, ev0)
            if ev.get("data", {}).get("guest") is not False:
                raise CheckFailed("RESET should say guest=false: %r" % ev)
            m, _ = g.console.expect(READY_RE.pattern, 45, start)
            if m.group(1) == state["boot_id"]:
                raise CheckFailed("boot_id unchanged after system_reset")
            state["boot_id"] = m.group(1)
            return "ready again %.2fs after system_reset" % (time.monotonic() - t)
        r.check("system_reset -> RESET guest=false, new ready line", system_reset)

        def panic():
            start = g.console.mark()
            ev0 = g.qmp.mark()
            g.console.send("panic")
            g.console.expect(r"^zvirt-guest: panicking$", 10, start)
            ev = g.qmp.wait_event("GUEST_PANICKED", 20, ev0)
            # With -action panic=pause the VM stops just after the event;
            # query-status says guest-panicked only after STOP.
            g.qmp.wait_event("STOP", 10, ev0)
            st = g.qmp.execute("query-status")
            expect_eq("status after STOP", st.get("status"), "guest-panicked")
            return "%s, status %s" % (json.dumps(ev.get("data")), st.get("status"))
        r.check("panic -> GUEST_PANICKED", panic)
        try:
            g.qmp.execute("quit")
        except CheckFailed:
            pass
    finally:
        g.kill()


def boot3(r, qemu, guest_dir, workdir):
    g = Guest(qemu, guest_dir, workdir, "boot3")
    try:
        if not r.check("boot 3: ready line",
                       lambda: "%.2fs" % g.wait_ready()[1]):
            return

        def poweroff():
            ev0 = g.qmp.mark()
            t = time.monotonic()
            expect_eq("poweroff", g.console.command("poweroff"),
                      ["zvirt-guest: powering off"])
            ev = g.qmp.wait_event("SHUTDOWN", 20, ev0)
            if ev.get("data", {}).get("guest") is not True:
                raise CheckFailed("SHUTDOWN not from the guest: %r" % ev)
            g.wait_exit(10)
            return "%.2fs" % (time.monotonic() - t)
        r.check("poweroff command -> SHUTDOWN guest=true, QEMU exits", poweroff)
    finally:
        g.kill()


NET_MAC = "52:54:00:7a:00:01"
NET_MAC2 = "52:54:00:7a:00:02"


def sh(*argv):
    p = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if p.returncode != 0:
        raise CheckFailed("%s: %s" % (" ".join(argv), p.stdout.strip()))
    return p.stdout


def boot4(r, qemu, guest_dir, workdir):
    if os.geteuid() != 0:
        log("skip boot 4 (network): needs root for its network namespace")
        return
    # Everything in a namespace of its own: the guest's peer is the tap's
    # host end, nothing else is reachable.
    ns = "zvirt-guest-check-%d" % os.getpid()
    sh("ip", "netns", "add", ns)
    g = None
    try:
        nsx = ("ip", "netns", "exec", ns)
        sh(*nsx, "ip", "link", "set", "lo", "up")
        for tap in ("zgtap0", "zgtap1"):
            sh(*nsx, "ip", "tuntap", "add", tap, "mode", "tap")
            sh(*nsx, "ip", "link", "set", tap, "up")
        sh(*nsx, "ip", "addr", "add", "10.77.0.1/24", "dev", "zgtap0")
        g = Guest(qemu, guest_dir, workdir, "boot4", prefix=nsx, extra=(
            "-netdev", "tap,id=n0,ifname=zgtap0,script=no,downscript=no",
            "-device", "virtio-net-ccw,netdev=n0,mac=%s,devno=fe.0.0001" % NET_MAC))
        if not r.check("boot 4: ready line", lambda: "%.2fs" % g.wait_ready()[1]):
            return
        state = {}

        def nics():
            out = g.console.command("nics")
            m = [re.match(r"^nic (\S+) %s 0\.0\.0001 (\S+)$" % NET_MAC, l) for l in out]
            m = [x for x in m if x]
            if len(m) != 1 or any(l.startswith("nic lo ") for l in out):
                raise CheckFailed("want one nic %s at 0.0.0001: %r" % (NET_MAC, out))
            state["ifname"] = m[0].group(1)
            return " | ".join(out)
        if not r.check("nics lists the NIC, its MAC and ccw bus id", nics):
            return

        def netup():
            expect_eq("netup", g.console.command("netup %s 10.77.0.2/24" % NET_MAC.upper()),
                      ["netup %s ok" % state["ifname"]])
            expect_eq("netup of nothing", g.console.command("netup 52:54:00:00:00:99 10.77.0.3/24"),
                      ["netup 52:54:00:00:00:99 no such nic"])
            expect_eq("netup bad", g.console.command("netup %s" % NET_MAC),
                      ["zvirt-guest: bad argument %s " % NET_MAC])
        r.check("netup", netup)

        def ping():
            out = g.console.command("ping 10.77.0.1 3", timeout=60)
            if len(out) != 1 or not re.match(r"^ping 10\.77\.0\.1 ok [0-9.]+$", out[0]):
                raise CheckFailed("ping: %r" % out)
            expect_eq("ping nobody", g.console.command("ping 10.77.0.9 1", timeout=60),
                      ["ping 10.77.0.9 fail"])
            return out[0]
        r.check("ping the host's end; ping of nobody fails", ping)

        def hotplug_nic():
            start = g.console.mark()
            g.console.send("waitnic %s present" % NET_MAC2)
            g.console.expect(r"^nic %s waiting$" % NET_MAC2, 30, start)
            g.qmp.execute("netdev_add", {"type": "tap", "id": "n1", "ifname": "zgtap1",
                                         "script": "no", "downscript": "no"})
            g.qmp.execute("device_add", {"driver": "virtio-net-ccw", "netdev": "n1",
                                         "id": "net1", "mac": NET_MAC2, "devno": "fe.0.0002"})
            g.console.expect(r"^nic %s present \S+$" % NET_MAC2, 30, start)
            g.console.expect(r"^zvirt-guest: done waitnic$", 30, start)
            start = g.console.mark()
            g.console.send("waitnic %s absent" % NET_MAC2)
            g.console.expect(r"^nic %s waiting$" % NET_MAC2, 30, start)
            g.qmp.execute("device_del", {"id": "net1"})
            g.console.expect(r"^nic %s absent$" % NET_MAC2, 30, start)
            g.console.expect(r"^zvirt-guest: done waitnic$", 30, start)
        r.check("waitnic sees a hot-plugged NIC come and go", hotplug_nic)
        try:
            g.qmp.execute("quit")
        except CheckFailed:
            pass
    finally:
        if g:
            g.kill()
        subprocess.run(["ip", "netns", "delete", ns])


def main():
    global VERBOSE
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--guest", help="directory with vmlinuz and initrd.img "
                    "(default: run build-guest.sh)")
    ap.add_argument("--qemu", default=shutil.which("qemu-system-s390x")
                    or "/usr/bin/qemu-system-s390x")
    ap.add_argument("-v", "--verbose", action="store_true",
                    help="echo the console and QMP events")
    ap.add_argument("--keep", action="store_true",
                    help="keep the work directory (sockets, QEMU logs)")
    args = ap.parse_args()
    VERBOSE = args.verbose

    guest_dir = args.guest
    if not guest_dir:
        out = subprocess.run([os.path.join(HERE, "build-guest.sh")],
                             stdout=subprocess.PIPE, check=True, text=True)
        guest_dir = out.stdout.strip().splitlines()[-1]
    for f in ("vmlinuz", "initrd.img"):
        if not os.path.isfile(os.path.join(guest_dir, f)):
            log("FAIL no %s in %s" % (f, guest_dir))
            return 1
    log("guest: %s" % guest_dir)

    workdir = tempfile.mkdtemp(prefix="zvirt-guest-check.")
    r = Runner()
    try:
        for boot in (boot1, boot2, boot3, boot4):
            try:
                boot(r, args.qemu, guest_dir, workdir)
            except CheckFailed as e:
                r.failed += 1
                log("FAIL %s: %s" % (boot.__name__, e))
    finally:
        if args.keep or r.failed:
            log("work directory kept: %s" % workdir)
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    log("%d passed, %d failed" % (r.passed, r.failed))
    return 1 if r.failed else 0


if __name__ == "__main__":
    sys.exit(main())
