// SPDX-License-Identifier: LGPL-2.1-or-later
// The page's formatting and the XML its forms make (node --test).
import assert from "node:assert/strict";
import { test } from "node:test";

import {
    actionsFor, cpuPercent, describeError, diskXml, formatBytes, formatState, hostdevXml, jobPercent, nicXml,
    parseCount, scopeOptions, xmlEscape
} from "../src/lib/format.js";

test("formatBytes", () => {
    assert.equal(formatBytes(0), "0 B");
    assert.equal(formatBytes(268435456), "256 MiB");
    assert.equal(formatBytes(1610612736), "1.5 GiB");
    assert.equal(formatBytes(1023), "1023 B");
    assert.equal(formatBytes(-1), "?");
    assert.equal(formatBytes(undefined), "?");
});

test("formatState", () => {
    assert.equal(formatState("running", "booted"), "Running (booted)");
    assert.equal(formatState("shut-off", ""), "Shut off");
    assert.equal(formatState("in-shutdown", "user"), "In shutdown (user)");
});

test("cpuPercent", () => {
    const a = { wallMs: 1000, cpuNs: 0 };
    assert.equal(cpuPercent(a, { wallMs: 2000, cpuNs: 5e8 }, 1), 50);
    assert.equal(cpuPercent(a, { wallMs: 2000, cpuNs: 5e8 }, 2), 25);
    assert.equal(cpuPercent(null, a, 1), null, "first sample");
    assert.equal(cpuPercent({ wallMs: 1000, cpuNs: 9e9 }, { wallMs: 2000, cpuNs: 1e8 }, 1), null, "counter went back");
    assert.equal(cpuPercent(a, { wallMs: 1000, cpuNs: 1 }, 1), null, "no time passed");
    assert.equal(cpuPercent(a, { wallMs: 2000, cpuNs: 3e9 }, 1), 100, "capped");
    assert.equal(cpuPercent(a, { wallMs: 2000, cpuNs: 1 }, 0), null, "no vCPUs");
});

test("actionsFor", () => {
    assert.deepEqual(actionsFor("shut-off"), ["start", "start-paused"]);
    assert.ok(actionsFor("running").includes("suspend"));
    assert.ok(!actionsFor("running").includes("resume"));
    assert.ok(actionsFor("paused").includes("resume"));
    assert.deepEqual(actionsFor("running", true), ["destroy"], "a job leaves only Force off");
    assert.deepEqual(actionsFor("nonsense"), []);
});

test("describeError tells polkit's refusal apart", () => {
    const r = describeError({ name: "org.zvirt1.Error.NotAuthorized", message: "Not authorized to start 'x'" });
    assert.equal(r.refused, true);
    assert.equal(r.message, "Not authorized to start 'x'");
    const o = describeError({ name: "org.zvirt1.Error.OperationInvalid", message: "Domain 'x' is running" });
    assert.equal(o.refused, false);
    assert.equal(describeError({ problem: "access-denied" }).refused, true);
    assert.equal(describeError(new Error("plain")).message, "plain");
});

test("xmlEscape and the attach forms' XML", () => {
    assert.equal(xmlEscape(`a'b"<c>&`), "a&apos;b&quot;&lt;c&gt;&amp;");
    assert.equal(diskXml({ source: "/tmp/a'b.img", target: "vdb" }),
                 "<disk type='file' device='disk'><driver name='qemu' type='raw'/><source file='/tmp/a&apos;b.img'/><target dev='vdb' bus='virtio'/></disk>");
    assert.match(diskXml({ source: "/dev/dasdb1", target: "vdc" }), /type='block'.*<source dev='\/dev\/dasdb1'\/>/);
    assert.match(diskXml({ source: "", target: "sda", device: "cdrom", bus: "scsi" }), /device='cdrom'.*bus='scsi'\/><readonly\/>/);
    assert.throws(() => diskXml({ source: "/x", target: "../vda" }), /target/);
    assert.throws(() => diskXml({ source: "/x", target: "vdb", device: "floppy" }), /disk or cdrom/);
    assert.equal(nicXml({ type: "bridge", source: "br0" }),
                 "<interface type='bridge'><source bridge='br0'/><model type='virtio'/></interface>");
    assert.match(nicXml({ type: "direct", source: "eth0", mode: "vepa" }), /<source dev='eth0' mode='vepa'\/>/);
    assert.throws(() => nicXml({ type: "bridge", source: "" }), /bridge/);
    assert.throws(() => nicXml({ type: "user", source: "x" }), /type/);
    assert.equal(hostdevXml({ adapter: "scsi_host0", address: "0:1:2" }),
                 "<hostdev mode='subsystem' type='scsi'><source><adapter name='scsi_host0'/><address bus='0' target='1' unit='2'/></source></hostdev>");
    assert.throws(() => hostdevXml({ adapter: "host0", address: "0:0:0" }), /scsi_hostN/);
    assert.throws(() => hostdevXml({ adapter: "scsi_host0", address: "0:0" }), /bus:target:unit/);
});

test("scopeOptions: live when it runs, config when asked or shut off", () => {
    assert.deepEqual(scopeOptions("shut-off", true, false), { config: true });
    assert.deepEqual(scopeOptions("running", true, true), { live: true, config: true });
    assert.deepEqual(scopeOptions("running", true, false), { live: true });
    assert.deepEqual(scopeOptions("running", false, true), { live: true }, "a transient domain has no definition");
});

test("jobPercent", () => {
    assert.equal(jobPercent({ DataTotal: 0, DataProcessed: 0 }), null);
    assert.equal(jobPercent({ DataTotal: 200, DataProcessed: 50 }), 25);
    assert.equal(jobPercent({ DataTotal: 200, DataProcessed: 500 }), 100);
});

test("parseCount: whole numbers in range, else a message", () => {
    assert.equal(parseCount(" 512 ", 2, 262144, "The CPU weight"), 512);
    assert.equal(parseCount("2", 2, 262144, "The CPU weight"), 2);
    for (const bad of ["", "1", "262145", "1.5", "-3", "0x10", "12abc", "５"])
        assert.throws(() => parseCount(bad, 2, 262144, "The CPU weight"), /The CPU weight must be a whole number from 2 to 262144\./, bad);
});
