// SPDX-License-Identifier: LGPL-2.1-or-later
// What the daemon has, kept live from its ObjectManager: the bridge calls
// GetManagedObjects once and follows InterfacesAdded, InterfacesRemoved and
// PropertiesChanged; the page never reloads or polls for what a signal
// tells. CPUTime is the one value without a signal (it changes all the
// time), so it is sampled, and only for domains that run.
//
// `client` is what cockpit.dbus() returns (proxies, proxy, call); the unit
// test gives a fake with the same shape.

import { IFACE, MANAGER_PATH, isChildOf } from "./format.js";

const SAMPLES = 60; // the CPU graph's width: a minute at one sample a second

export function createModel(client, { onchange = () => {}, timers = globalThis } = {}) {
    const sets = {};
    const model = {
        client,
        manager: client.proxy(IFACE.manager, MANAGER_PATH),
        samples: new Map(), // domain path -> [{ wallMs, cpuNs }]
        ready: null,
    };

    // One call of onchange(model, what) per main-loop turn, however many
    // signals came. what is "samples" when only new CPU samples came,
    // "jobs" when only jobs changed (their progress, ten times a second
    // while one runs), else "objects": the views redraw just what changed.
    let scheduled = null;
    function changed(what = "objects") {
        if (scheduled) {
            if (what !== scheduled)
                scheduled = "objects";
            return;
        }
        scheduled = what;
        timers.setTimeout(() => {
            const w = scheduled;
            scheduled = null;
            onchange(model, w);
        }, 0);
    }

    // One watch of the whole tree (one GetManagedObjects through the
    // bridge) rather than one per interface; the sets below only read the
    // bridge's cache and follow it.
    const watch = client.watch({ path_namespace: MANAGER_PATH });
    for (const [key, iface] of Object.entries(IFACE)) {
        if (key === "manager" || key === "host")
            continue;
        const set = client.proxies(iface, MANAGER_PATH, { watch: false });
        const what = key === "job" ? "jobs" : "objects";
        for (const ev of ["added", "changed", "removed"])
            set.addEventListener(ev, () => changed(what));
        sets[key] = set;
    }
    model.manager.addEventListener("changed", () => changed());

    model.ready = Promise.all([watch, model.manager.wait(), ...Object.values(sets).map(s => s.wait())])
            .then(() => changed());

    function list(key, filter) {
        const out = [];
        const set = sets[key];
        for (const path of Object.keys(set)) {
            const p = set[path];
            if (p && p.valid !== false && (!filter || filter(p)))
                out.push(p);
        }
        return out;
    }

    model.domains = () => list("domain").sort((a, b) => String(a.Name).localeCompare(String(b.Name)));
    model.domain = path => sets.domain[path] || null;
    model.domainByUuid = uuid => model.domains().find(d => d.UUID === uuid) || null;
    model.disks = dom => list("disk", p => isChildOf(p.path, dom.path)).sort((a, b) => String(a.Target).localeCompare(String(b.Target)));
    model.nics = dom => list("nic", p => isChildOf(p.path, dom.path)).sort((a, b) => a.path.localeCompare(b.path));
    model.hostdevs = dom => list("hostdev", p => isChildOf(p.path, dom.path)).sort((a, b) => a.path.localeCompare(b.path));
    model.ccwDevices = () => list("ccw").sort((a, b) => String(a.BusId).localeCompare(String(b.BusId)));
    // The job a domain names in its Job property ("/" when none); a job
    // object lingers after it ended, so only a running one counts.
    model.jobOf = dom => {
        const path = dom && dom.Job;
        if (!path || path === "/")
            return null;
        return sets.job[path] || null;
    };

    // One CPUTime sample of every running domain (Properties.Get: the
    // property does not signal). The views call this on their timer.
    let sampling = null;
    model.sampleCpu = (now = Date.now) => {
        // A round still waiting for its answers is not doubled.
        if (!sampling)
            sampling = sampleRound(now).finally(() => { sampling = null });
        return sampling;
    };

    async function sampleRound(now) {
        const active = model.domains().filter(d => d.State !== "shut-off");
        await Promise.all(active.map(async d => {
            try {
                const [v] = await client.call(d.path, "org.freedesktop.DBus.Properties", "Get",
                                              [IFACE.domain, "CPUTime"]);
                const cpuNs = Number(v.v);
                const s = model.samples.get(d.path) || [];
                const last = s[s.length - 1];
                if (last && cpuNs < last.cpuNs)
                    s.length = 0; // a new QEMU process counts from 0
                s.push({ wallMs: now(), cpuNs });
                if (s.length > SAMPLES)
                    s.splice(0, s.length - SAMPLES);
                model.samples.set(d.path, s);
            } catch (e) {
                model.samples.delete(d.path); // gone or stopped meanwhile
            }
        }));
        for (const path of [...model.samples.keys()])
            if (!active.some(d => d.path === path))
                model.samples.delete(path);
        changed("samples");
    }

    model.close = () => client.close && client.close();
    return model;
}
