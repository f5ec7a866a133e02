// SPDX-License-Identifier: LGPL-2.1-or-later
// The model against a fake of cockpit.dbus()'s client with the same shape
// (proxies keyed by path, "added"/"changed"/"removed" events, proxy(),
// call()): it follows additions, changes and removals without being asked
// again, ties devices and jobs to their domain, and samples CPUTime of the
// running domains only.
import assert from "node:assert/strict";
import { test } from "node:test";

import { createModel } from "../src/lib/model.js";

class Events {
    constructor() { Object.defineProperty(this, "_l", { value: {} }) }
    addEventListener(ev, fn) { (this._l[ev] ||= []).push(fn) }
    emit(ev, ...args) { for (const fn of this._l[ev] || []) fn({ type: ev }, ...args) }
}

class FakeProxy extends Events {
    constructor(iface, path, props) {
        super();
        Object.defineProperties(this, { iface: { value: iface }, path: { value: path } });
        Object.assign(this, props, { valid: true });
    }
    wait() { return Promise.resolve() }
}

class FakeSet extends Events {
    wait() { return Promise.resolve() }
}

function fakeClient() {
    const sets = {};
    const calls = [];
    const cpu = {};
    const setOf = iface => (sets[iface] ||= new FakeSet());
    const client = {
        calls,
        cpu,
        watches: [],
        watch(match) { client.watches.push(match); return Promise.resolve() },
        proxies(iface, ns, options) {
            assert.deepEqual(options, { watch: false }, "the sets follow the one watch");
            return setOf(iface);
        },
        proxy(iface, path) { return new FakeProxy(iface, path, { Version: "0.1.0" }) },
        async call(path, iface, method, args) {
            calls.push([path, iface, method, args]);
            if (method === "Get" && args[1] === "CPUTime") {
                if (!(path in cpu))
                    throw Object.assign(new Error("gone"), { name: "org.freedesktop.DBus.Error.UnknownObject" });
                return [{ t: "t", v: cpu[path] }];
            }
            return [];
        },
        add(iface, path, props) {
            const p = new FakeProxy(iface, path, props);
            const set = setOf(iface);
            set[path] = p;
            set.emit("added", p);
            return p;
        },
        remove(iface, path) {
            const set = setOf(iface);
            const p = set[path];
            delete set[path];
            p.valid = false;
            set.emit("removed", p);
        },
        change(iface, path, props) {
            const p = setOf(iface)[path];
            Object.assign(p, props);
            setOf(iface).emit("changed", p);
        },
    };
    return client;
}

const D1 = "/org/zvirt1/domain/11111111111111111111111111111111";
const D2 = "/org/zvirt1/domain/22222222222222222222222222222222";
const tick = () => new Promise(r => setTimeout(r, 5));

test("domains, their devices and their job follow the signals", async () => {
    const c = fakeClient();
    let updates = 0;
    const m = createModel(c, { onchange: () => updates++ });
    await m.ready;
    await tick();
    assert.deepEqual(m.domains(), []);
    assert.deepEqual(c.watches, [{ path_namespace: "/org/zvirt1" }], "one watch of the whole tree");

    c.add("org.zvirt1.Domain", D2, { Name: "zeta", UUID: "2", State: "shut-off", Job: "/" });
    c.add("org.zvirt1.Domain", D1, { Name: "alpha", UUID: "1", State: "running", Job: "/" });
    c.add("org.zvirt1.Disk", `${D1}/disk/vdb`, { Target: "vdb" });
    c.add("org.zvirt1.Disk", `${D1}/disk/vda`, { Target: "vda" });
    c.add("org.zvirt1.Disk", `${D2}/disk/vda`, { Target: "vda" });
    c.add("org.zvirt1.NetworkInterface", `${D1}/interface/0`, { MAC: "52:54:00:00:00:01" });
    await tick();
    assert.ok(updates >= 2, "changes are told, batched");
    const before = updates;
    assert.deepEqual(m.domains().map(d => d.Name), ["alpha", "zeta"], "sorted by name");
    const alpha = m.domainByUuid("1");
    assert.deepEqual(m.disks(alpha).map(d => d.Target), ["vda", "vdb"], "only its own, by target");
    assert.equal(m.nics(alpha).length, 1);
    assert.equal(m.nics(m.domain(D2)).length, 0);
    // Each domain has its own disks, none of the other's.
    assert.equal(m.disks(m.domain(D2)).length, 1);

    c.change("org.zvirt1.Domain", D1, { State: "paused", StateReason: "user" });
    await tick();
    assert.equal(updates, before + 1);
    assert.equal(m.domainByUuid("1").State, "paused");

    assert.equal(m.jobOf(alpha), null);
    c.add("org.zvirt1.Job", "/org/zvirt1/job/1", { Type: "managed-save", State: "running", DataTotal: 10, DataProcessed: 5 });
    c.change("org.zvirt1.Domain", D1, { Job: "/org/zvirt1/job/1" });
    assert.equal(m.jobOf(alpha).Type, "managed-save");
    c.remove("org.zvirt1.Job", "/org/zvirt1/job/1");
    assert.equal(m.jobOf(alpha), null, "a job object that went is no job");

    c.remove("org.zvirt1.Domain", D2);
    await tick();
    assert.deepEqual(m.domains().map(d => d.Name), ["alpha"]);
});

test("CPUTime is sampled for running domains only, and reset with QEMU", async () => {
    const c = fakeClient();
    const m = createModel(c);
    await m.ready;
    c.add("org.zvirt1.Domain", D1, { Name: "a", UUID: "1", State: "running", VCPUs: 1, Job: "/" });
    c.add("org.zvirt1.Domain", D2, { Name: "b", UUID: "2", State: "shut-off", VCPUs: 1, Job: "/" });
    let now = 1000;
    c.cpu[D1] = 1e9;
    await m.sampleCpu(() => now);
    now += 1000;
    c.cpu[D1] = 1.5e9;
    await m.sampleCpu(() => now);
    const gets = c.calls.filter(x => x[2] === "Get");
    assert.equal(gets.length, 2);
    assert.ok(gets.every(x => x[0] === D1), "a shut-off domain is not asked");
    assert.deepEqual(m.samples.get(D1).map(s => s.cpuNs), [1e9, 1.5e9]);

    now += 1000;
    c.cpu[D1] = 1e6; // a new QEMU process
    await m.sampleCpu(() => now);
    assert.deepEqual(m.samples.get(D1).map(s => s.cpuNs), [1e6]);

    for (let i = 0; i < 70; i++) {
        now += 1000;
        await m.sampleCpu(() => now);
    }
    assert.equal(m.samples.get(D1).length, 60, "a minute of samples at most");

    c.change("org.zvirt1.Domain", D1, { State: "shut-off" });
    await m.sampleCpu(() => now);
    assert.equal(m.samples.has(D1), false, "stopped: its samples go");

    c.change("org.zvirt1.Domain", D1, { State: "running" });
    delete c.cpu[D1]; // went away between the list and the Get
    await m.sampleCpu(() => now);
    assert.equal(m.samples.has(D1), false);
});

test("new samples alone are told as such; a change in the same turn wins", async () => {
    const c = fakeClient();
    const told = [];
    const m = createModel(c, { onchange: (model, what) => told.push(what) });
    await m.ready;
    c.add("org.zvirt1.Domain", D1, { Name: "a", UUID: "1", State: "running", VCPUs: 1, Job: "/" });
    c.cpu[D1] = 1;
    await tick();
    told.length = 0;
    await m.sampleCpu();
    await tick();
    assert.deepEqual(told, ["samples"]);
    told.length = 0;
    await m.sampleCpu();
    c.change("org.zvirt1.Domain", D1, { VCPUs: 2 });
    await tick();
    assert.deepEqual(told, ["objects"], "one call for the turn");
});

test("a sampling round still waiting is not doubled", async () => {
    const c = fakeClient();
    const m = createModel(c);
    await m.ready;
    c.add("org.zvirt1.Domain", D1, { Name: "a", UUID: "1", State: "running", VCPUs: 1, Job: "/" });
    c.cpu[D1] = 1;
    const a = m.sampleCpu();
    const b = m.sampleCpu();
    assert.equal(a, b);
    await a;
    assert.equal(c.calls.filter(x => x[2] === "Get").length, 1);
    await m.sampleCpu();
    assert.equal(c.calls.filter(x => x[2] === "Get").length, 2, "the next round asks again");
});

test("job changes alone are told as jobs; with anything else, as objects", async () => {
    const c = fakeClient();
    const told = [];
    const m = createModel(c, { onchange: (model, what) => told.push(what) });
    await m.ready;
    c.add("org.zvirt1.Domain", D1, { Name: "a", UUID: "1", State: "running", VCPUs: 1, Job: "/org/zvirt1/job/1" });
    c.add("org.zvirt1.Job", "/org/zvirt1/job/1", { Type: "migration-out", State: "running", DataProcessed: 0 });
    c.cpu[D1] = 1;
    await tick();
    told.length = 0;
    c.change("org.zvirt1.Job", "/org/zvirt1/job/1", { DataProcessed: 1 });
    c.change("org.zvirt1.Job", "/org/zvirt1/job/1", { DataProcessed: 2 });
    await tick();
    assert.deepEqual(told, ["jobs"], "one call for the turn");
    told.length = 0;
    c.change("org.zvirt1.Job", "/org/zvirt1/job/1", { DataProcessed: 3 });
    await m.sampleCpu();
    await tick();
    assert.deepEqual(told, ["objects"], "a job's change and samples in one turn: everything");
});
