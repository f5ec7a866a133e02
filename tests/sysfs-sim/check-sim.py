#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""The simulator answers as README.md says: each store's effect in the
tree, /dev and the uevents, and each refusal's errno at the write."""
import errno
import os
import socket
import subprocess
import sys
import tempfile
import time

sim, scenario = sys.argv[1], sys.argv[2]
if os.geteuid() != 0 or not os.path.exists("/dev/fuse"):
    print("skipping: needs root and /dev/fuse")
    sys.exit(77)

tmp = tempfile.mkdtemp(prefix="zvirt-sim-")
S, D = os.path.join(tmp, "sys"), os.path.join(tmp, "dev")
os.mkdir(S)
os.mkdir(D)
# A network namespace of its own: the uevents stay in it.
proc = subprocess.Popen(["unshare", "-n", "--", sim, scenario, S, D], stdout=subprocess.PIPE)
failures = []


def check(cond, what):
    if not cond:
        failures.append(what)
        print("FAIL:", what)


def read(path):
    with open(os.path.join(S, path)) as f:
        return f.read().rstrip("\n")


def write(path, value, want_errno=0):
    fd = os.open(os.path.join(S, path), os.O_WRONLY | os.O_TRUNC)
    try:
        os.write(fd, value.encode())
        got = 0
    except OSError as e:
        got = e.errno
    finally:
        os.close(fd)
    check(got == want_errno, "write %r to %s: errno %s, expected %s" % (
        value, path, errno.errorcode.get(got, got), errno.errorcode.get(want_errno, want_errno)))


def wait_for(path, timeout=3.0):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if os.path.lexists(path):
            return True
        time.sleep(0.02)
    return False


try:
    check(proc.stdout.readline().strip() == b"ready", "the simulator says ready")
    ccw = "bus/ccw/devices/"
    check(sorted(os.listdir(os.path.join(S, ccw)))[:4] == ["0.0.1700", "0.0.1cc8", "0.0.7500", "0.0.7501"],
          "the ccw devices of the scenario")
    check(read(ccw + "0.0.7500/cutype") == "3990/e9" and read(ccw + "0.0.7500/devtype") == "3390/0c",
          "a DASD's control unit and device type")
    check(os.readlink(os.path.join(S, ccw + "0.0.7500/driver")).endswith("/dasd-eckd"), "its driver")
    check(read(ccw + "0.0.7500/online") == "0" and read(ccw + "0.0.7500/status") == "offline", "offline")

    # chccwdev -e 0.0.7500
    write(ccw + "0.0.7500/online", "1\n")
    check(read(ccw + "0.0.7500/online") == "1" and read(ccw + "0.0.7500/status") == "online", "online")
    check(read("class/block/dasda/dev") == "94:0", "dasda is 94:0")
    check(int(read("class/block/dasda/size")) == 1803060 * 8, "its size in 512-byte sectors")
    check(os.readlink(os.path.join(D, "disk/by-path/ccw-0.0.7500")) == "../../dasda", "the by-path link")
    write(ccw + "0.0.7500/online", "2", errno.EINVAL)
    write(ccw + "0.0.7501/online", "1")
    check(read(ccw + "0.0.7501/status") == "unformatted" and read("class/block/dasdb/size") == "0",
          "an unformatted DASD")
    write(ccw + "0.0.7501/online", "0")
    check(not os.path.lexists(os.path.join(S, "class/block/dasdb")), "offline takes the block device")

    # zfcp: online, unit_add, the SCSI device after the scan
    write(ccw + "0.0.1700/online", "1")
    port = "bus/ccw/drivers/zfcp/0.0.1700/0x500507630513c1ae/"
    write(port + "unit_add", "0x402340bc00000000\n")
    write(port + "unit_add", "0x402340bc00000000\n", errno.EEXIST)
    write(port + "unit_add", "lun", errno.EINVAL)
    dev = os.path.join(S, "class/scsi_device/2:0:17:1086079011/device")
    check(wait_for(dev), "unit_add makes the SCSI device 2:0:17:1086079011")
    check(read("class/scsi_device/2:0:17:1086079011/device/fcp_lun") == "0x402340bc00000000", "its fcp_lun")
    check(read("class/scsi_device/2:0:17:1086079011/device/hba_id") == "0.0.1700", "its hba_id")
    check(os.path.lexists(os.path.join(D, "mapper/36005076305ffc1ae00000000000023bc")), "its multipath node")
    write(port + "unit_remove", "0x402340bc00000000")
    check(not os.path.lexists(dev), "unit_remove takes it")
    write(port + "unit_remove", "0x402340bc00000000", errno.EINVAL)

    # the tape and the changer of 0.0.1cc8
    write(ccw + "0.0.1cc8/online", "1")
    tport = ccw + "0.0.1cc8/0x5005076044840242/"
    write(tport + "unit_add", "0x0000000000000000")
    write(tport + "unit_add", "0x0001000000000000")
    check(wait_for(os.path.join(S, "class/scsi_device/1:0:2:1")), "the changer 1:0:2:1")
    check(read("class/scsi_device/1:0:2:0/device/type") == "1", "the tape is type 1")
    check(os.path.exists(os.path.join(D, "st0")) and os.path.exists(os.path.join(D, "sch0")), "st0, sch0")

    # OSA: group, layer2, online, the interface
    grp = "bus/ccwgroup/drivers/qeth/group"
    write(grp, "0.0.8050,0.0.8051", errno.EINVAL)
    write(grp, "0.0.8050,0.0.8051,0.0.8052\n")
    write(grp, "0.0.8050,0.0.8051,0.0.8052", errno.EINVAL)
    q = "bus/ccwgroup/devices/0.0.8050/"
    write(q + "bridge_role", "primary", errno.EOPNOTSUPP)
    write(q + "layer2", "1")
    write(q + "buffer_count", "256", errno.EINVAL)
    write(q + "buffer_count", "128")
    write(q + "bridge_role", "primary")
    write(q + "online", "1")
    check(read(q + "if_name") == "enccw0.0.8050" and read(q + "bridge_state") == "active", "the qeth interface")
    check(os.path.lexists(os.path.join(S, "class/net/enccw0.0.8050")), "class/net has it")
    check(os.path.basename(os.readlink(os.path.join(S, "class/net/enccw0.0.8050/device/driver"))) == "qeth",
          "the interface's device is the qeth group")
    check(read("bus/ccw/devices/0.0.8050/../chpids").split()[0] == "90", "the OSA subchannel's chpid")
    write(q + "layer2", "0", errno.EPERM)
    write(q + "ungroup", "1", errno.EINVAL)
    write(q + "online", "0")
    write(q + "ungroup", "1")
    check(not os.path.lexists(os.path.join(S, q.rstrip("/"))), "ungroup takes it")
finally:
    subprocess.run(["fusermount3", "-u", S])
    proc.wait(timeout=10)
    subprocess.run(["rm", "-rf", tmp])

print("%d failure(s)" % len(failures))
sys.exit(1 if failures else 0)
