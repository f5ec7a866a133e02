// SPDX-License-Identifier: LGPL-2.1-or-later
// One round of the Cockpit page's benchmark rows (bench-cockpit.c runs it,
// one cockpit-ws session per round): Debian's headless Chromium opens
// Cockpit's shell with the zvirt page on a daemon with many domains;
// the page's own clock (performance.now() in its frame) says when its
// transport was up, when its model had every object, and when the list
// was drawn. Then, in the page, calls through cockpit-bridge: Peer.Ping
// (the limit of any call), and DefineXML until the new domain's row is
// on the page (the reply, then InterfacesAdded through the bridge and the
// redraw), and DefineXML by busctl until the row is drawn; each domain
// undefined again afterwards.
//
// Environment: ZVIRT_BENCH_COCKPIT_URL, ZVIRT_BENCH_COCKPIT_EXPECT (rows
// to wait for), ZVIRT_BENCH_COCKPIT_PINGS, ZVIRT_BENCH_COCKPIT_DEFINES,
// ZVIRT_BENCH_COCKPIT_XML (a domain's XML with @NAME@ for its name),
// ZVIRT_SOURCE_ROOT. Prints "name value-in-ms" lines on stdout.

import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";

const env = name => {
    const v = process.env[name];
    if (!v)
        throw new Error(`${name} is not set (tests/bench/bench-cockpit.c sets it)`);
    return v;
};
// playwright-core is the page's pinned devDependency (cockpit/package-lock.json).
const require = createRequire(`${env("ZVIRT_SOURCE_ROOT")}/cockpit/package.json`);
const { chromium } = require("playwright-core");

const url = env("ZVIRT_BENCH_COCKPIT_URL");
const expect = Number(env("ZVIRT_BENCH_COCKPIT_EXPECT"));
const pings = Number(env("ZVIRT_BENCH_COCKPIT_PINGS"));
const defines = Number(env("ZVIRT_BENCH_COCKPIT_DEFINES"));
const xml = readFileSync(env("ZVIRT_BENCH_COCKPIT_XML"), "utf8");
const TIMEOUT_MS = 120000;

const browser = await chromium.launch({
    executablePath: process.env.ZVIRT_CHROMIUM || "/usr/bin/chromium",
    args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"],
});
try {
    const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    await page.goto(`${url}/zvirt`);
    const f = page.frameLocator('iframe[name="cockpit1:localhost/zvirt"]');
    await f.locator("body[data-ready=true]").waitFor({ timeout: TIMEOUT_MS });
    const frame = page.frames().find(x => x.name() === "cockpit1:localhost/zvirt");
    const rows = await frame.evaluate(() => document.querySelectorAll("[data-test=domain-row]").length);
    if (rows < expect)
        throw new Error(`the page listed ${rows} domains, not ${expect}`);
    const times = await frame.evaluate(() => window.zvirt.times);
    console.log(`open ${times.shown}`);
    console.log(`transport ${times.transport}`);
    console.log(`model ${times.model - times.transport}`);
    console.log(`draw ${times.shown - times.model}`);

    // In the page: a promise of the epoch time (ms) at which the row of
    // domain `name` is in the DOM, whoever defined it.
    await frame.evaluate(() => {
        window.__rowShown = name => new Promise(resolve => {
            const sel = `[data-test=domain-row][data-name="${name}"]`;
            const obs = new MutationObserver(() => {
                if (document.querySelector(sel)) {
                    obs.disconnect();
                    resolve(performance.timeOrigin + performance.now());
                }
            });
            obs.observe(document.body, { childList: true, subtree: true });
        });
    });

    const r = await frame.evaluate(async ({ xml, pings, defines }) => {
        const c = window.zvirt.model.client;
        const out = { ping: [], define: [], call: [] };
        for (let i = 0; i < pings; i++) {
            const t = performance.now();
            await c.call("/org/zvirt1", "org.freedesktop.DBus.Peer", "Ping", [], { type: "" });
            out.ping.push(performance.now() - t);
        }
        const paths = [];
        for (let i = 0; i < defines; i++) {
            const name = `cockpit-bench-${Date.now()}-${i}`;
            const shown = window.__rowShown(name);
            const now = () => performance.timeOrigin + performance.now();
            const t0 = now();
            const [path] = await c.call("/org/zvirt1", "org.zvirt1.Manager", "DefineXML",
                                        [xml.replace("@NAME@", name), {}], { type: "sa{sv}" });
            const t1 = now();
            const t2 = await shown;
            out.call.push(t1 - t0);
            out.define.push(t2 - t0);
            paths.push(path);
        }
        for (const p of paths)
            await c.call(p, "org.zvirt1.Domain", "Undefine", [{}], { type: "a{sv}" });
        return out;
    }, { xml, pings, defines });
    // A domain defined by someone else (busctl) → its row on the page, by
    // the epoch clocks of node and of the page; busctl's own start and
    // round trip (Peer.Ping) beside it.
    const busctl = args => execFileSync("busctl", ["--system", ...args], { stdio: ["ignore", "ignore", "inherit"] });
    const now = () => performance.timeOrigin + performance.now();
    const external = [];
    for (let i = 0; i < defines; i++) {
        const name = `cockpit-bench-ext-${Date.now()}-${i}`;
        await frame.evaluate(name => { window.__shown = window.__rowShown(name) }, name);
        const t0 = now();
        busctl(["call", "org.zvirt1", "/org/zvirt1", "org.zvirt1.Manager", "DefineXML", "sa{sv}", xml.replace("@NAME@", name), "0"]);
        const shown = await frame.evaluate(() => window.__shown);
        console.log(`define-external ${shown - t0}`);
        external.push(name);
        const t1 = now();
        busctl(["call", "org.zvirt1", "/org/zvirt1", "org.freedesktop.DBus.Peer", "Ping"]);
        console.log(`busctl-ping ${now() - t1}`);
    }
    await frame.evaluate(async names => {
        const c = window.zvirt.model.client;
        for (const n of names) {
            const [path] = await c.call("/org/zvirt1", "org.zvirt1.Manager", "LookupDomainByName", [n, {}], { type: "sa{sv}" });
            await c.call(path, "org.zvirt1.Domain", "Undefine", [{}], { type: "a{sv}" });
        }
    }, external);

    for (const v of r.ping)
        console.log(`ping ${v}`);
    for (const v of r.define)
        console.log(`define ${v}`);
    for (const v of r.call)
        console.log(`define-call ${v}`);
} finally {
    await browser.close();
}
