// SPDX-License-Identifier: LGPL-2.1-or-later
// The page in a real headless Chromium (Debian's), through Cockpit's shell
// served by cockpit-ws, against the real daemon, polkitd and guest that
// tests/integration/test-cockpit.c set up. Every change is made by
// clicking, and checked twice: on the page, which must follow by itself
// (the frame is never reloaded: a mark set in it at the start must still
// be there), and on the bus, with busctl, as the daemon sees it.
//
// Environment (test-cockpit.c sets it):
//   ZVIRT_COCKPIT_URL         cockpit-ws of root's session
//   ZVIRT_COCKPIT_URL_NOBODY  cockpit-ws of user nobody's session
//   ZVIRT_COCKPIT_DOMAIN      the running test guest's name
//   ZVIRT_COCKPIT_MIG_DOMAIN  a running guest that rewrites its memory
//   ZVIRT_COCKPIT_MIGRATE_TO  the bus of a second host that takes migrations
//   ZVIRT_COCKPIT_NEW_XML     a domain's XML file, defined here with busctl
//   ZVIRT_COCKPIT_IMAGE       a raw image file to attach as a disk
//   ZVIRT_COCKPIT_BRIDGE      a Linux bridge to attach a NIC to
//   ZVIRT_COCKPIT_SIM         1: the daemon sees the s390 sysfs simulator's
//                             devices (DASD 0.0.7500, FCP 0.0.1700, ...)
//   ZVIRT_COCKPIT_SHOTS       where the screenshots go
//   DBUS_SYSTEM_BUS_ADDRESS   the test's bus, for busctl

import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { readFileSync, mkdirSync } from "node:fs";
import path from "node:path";
import { after, before, test } from "node:test";
import { promisify } from "node:util";

import { chromium } from "playwright-core";

const env = name => {
    const v = process.env[name];
    assert.ok(v, `${name} is not set: run this from tests/integration/test-cockpit`);
    return v;
};
const URL_ROOT = env("ZVIRT_COCKPIT_URL");
const URL_NOBODY = env("ZVIRT_COCKPIT_URL_NOBODY");
const GUEST = env("ZVIRT_COCKPIT_DOMAIN");
const MIG_GUEST = env("ZVIRT_COCKPIT_MIG_DOMAIN");
const MIGRATE_TO = env("ZVIRT_COCKPIT_MIGRATE_TO");
const NEW_XML = readFileSync(env("ZVIRT_COCKPIT_NEW_XML"), "utf8");
const IMAGE = env("ZVIRT_COCKPIT_IMAGE");
const SHOTS = env("ZVIRT_COCKPIT_SHOTS");
const BRIDGE = env("ZVIRT_COCKPIT_BRIDGE");
const SIM = process.env.ZVIRT_COCKPIT_SIM === "1";
const FRAME = 'iframe[name="cockpit1:localhost/zvirt"]';
const BOOT_MS = 90000;
const STATE_MS = 30000;

const run = promisify(execFile);
async function busctl(...args) {
    const { stdout } = await run("busctl", ["--system", ...args]);
    return stdout.trim();
}
async function property(objectPath, name) {
    const out = await busctl("get-property", "org.zvirt1", objectPath, "org.zvirt1.Domain", name);
    return out.replace(/^[a-z]+ /, "").replace(/^"|"$/g, "");
}
async function lookup(name) {
    const out = await busctl("call", "org.zvirt1", "/org/zvirt1", "org.zvirt1.Manager", "LookupDomainByName", "sa{sv}", name, "0");
    return out.split('"')[1];
}

let browser;
let root;   // root's page
let frame;  // the zvirt frame in it

async function openPage(url) {
    const context = await browser.newContext({ viewport: { width: 1400, height: 1100 } });
    const page = await context.newPage();
    page.on("pageerror", e => console.log(`page error: ${e.message}`));
    await page.goto(`${url}/zvirt`);
    const f = page.frameLocator(FRAME);
    await f.locator("body[data-ready=true]").waitFor({ timeout: STATE_MS });
    return { page, f };
}

// A screenshot of the whole page: the shell's window made as tall as the
// zvirt frame's content, which scrolls inside it otherwise.
async function shot(page, name) {
    const size = page.viewportSize();
    const height = await zvirtFrame(page).evaluate(() => document.documentElement.scrollHeight);
    await page.setViewportSize({ width: size.width, height: Math.min(8000, height + 80) });
    await page.screenshot({ path: path.join(SHOTS, `${name}.png`) });
    await page.setViewportSize(size);
}

// The zvirt frame as a Frame (for evaluate), beside its locator.
function zvirtFrame(page) {
    return page.frames().find(x => x.name() === "cockpit1:localhost/zvirt");
}

before(async () => {
    mkdirSync(SHOTS, { recursive: true });
    browser = await chromium.launch({
        executablePath: process.env.ZVIRT_CHROMIUM || "/usr/bin/chromium",
        // As root in CI: no sandbox. No network beyond localhost here.
        args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"],
    });
    root = await openPage(URL_ROOT);
    frame = root.f;
    await zvirtFrame(root.page).evaluate(() => { window.__notReloaded = true });
});

after(async () => {
    if (root)
        assert.equal(await zvirtFrame(root.page).evaluate(() => window.__notReloaded), true, "the page was never reloaded");
    await browser?.close();
});

// A test that, when it fails, says what the page's alerts said and leaves
// a screenshot of the moment (failed-<name>.png).
function check(name, options, fn) {
    if (!fn)
        [options, fn] = [{}, options];
    test(name, options, async t => {
        try {
            await fn(t);
        } catch (e) {
            const alerts = await frame?.locator("[data-test=alerts]").innerText({ timeout: 1000 }).catch(() => "");
            await shot(root.page, `failed-${name.replace(/[^a-z0-9]+/gi, "-")}`).catch(() => {});
            e.message += `\nThe page's alerts: ${alerts ? alerts.replace(/\s+/g, " ") : "none"}`;
            throw e;
        }
    });
}

const row = name => frame.locator(`[data-test=domain-row][data-name="${name}"]`);

check("the host and the list of virtual servers", async () => {
    await row(GUEST).locator("[data-test=domain-state]").filter({ hasText: "Running (booted)" }).waitFor({ timeout: STATE_MS });
    assert.equal(await frame.locator("[data-test=accelerator]").textContent(), "tcg");
    assert.match(await frame.locator("[data-test=host-cpus]").textContent(), /^[1-9][0-9]*$/);
    assert.match(await frame.locator("[data-test=version]").textContent(), /^[0-9]+\.[0-9]+\.[0-9]+$/);
    assert.match(await frame.locator("[data-test=domain-counts]").textContent(), /2 defined, 2 active/);
    // CPU usage comes from CPUTime samples a second apart.
    await frame.locator(`[data-test=domain-row][data-name="${GUEST}"] [data-test=domain-cpu]`).filter({ hasText: "%" }).waitFor({ timeout: STATE_MS });
    await shot(root.page, "overview");
});

check("a domain defined with busctl appears by itself", async () => {
    await busctl("call", "org.zvirt1", "/org/zvirt1", "org.zvirt1.Manager", "DefineXML", "sa{sv}", NEW_XML, "0");
    await row("cockpit-new").locator("[data-test=domain-state]").filter({ hasText: "Shut off" }).waitFor({ timeout: STATE_MS });
    await frame.locator("[data-test=domain-counts]").filter({ hasText: "3 defined, 2 active" }).waitFor({ timeout: STATE_MS });
});

async function state(expected) {
    await frame.locator("[data-test=state]").filter({ hasText: expected }).waitFor({ timeout: STATE_MS });
}
async function click(action) {
    await frame.locator(`[data-test=action-${action}]`).click();
}

check("life cycle: suspend, resume, shut down, start; the page follows", { timeout: 4 * BOOT_MS }, async () => {
    const objectPath = await lookup(GUEST);
    await row(GUEST).locator("[data-test=domain-link]").click();
    await state("Running (booted)");
    assert.equal(await frame.locator("[data-test=domain-name]").textContent(), GUEST);
    await frame.locator("[data-test=xml]").filter({ hasText: `<name>${GUEST}</name>` }).waitFor({ timeout: STATE_MS });

    await click("suspend");
    await state("Paused (user)");
    assert.equal(await property(objectPath, "State"), "paused");

    await click("resume");
    await state("Running (unpaused)");
    assert.equal(await property(objectPath, "State"), "running");

    await click("shutdown");
    await state("Shut off (shutdown)");
    assert.equal(await property(objectPath, "State"), "shut-off");

    // Start, and the console at once: it shows the boot up to the guest's
    // ready line.
    await click("start");
    await state("Running (booted)");
    assert.equal(await property(objectPath, "State"), "running");
    await frame.locator("[data-test=console-connect]").click();
    await frame.locator("[data-test=console-status]").filter({ hasText: "Connected" }).waitFor({ timeout: STATE_MS });
    await frame.locator("[data-test=console] .xterm-rows").filter({ hasText: "zvirt-guest: ready" }).waitFor({ timeout: BOOT_MS });
});

check("the console echoes what is typed", async () => {
    await frame.locator("[data-test=console] .xterm").click();
    await root.page.keyboard.type("echo hello-from-cockpit\n");
    await frame.locator("[data-test=console] .xterm-rows").filter({ hasText: "zvirt-guest: done echo" }).waitFor({ timeout: STATE_MS });
    const text = await zvirtFrame(root.page).evaluate(() => window.zvirt.view().console.text());
    assert.match(text, /^hello-from-cockpit$/m, "the guest's answer, a line of its own");
    await shot(root.page, "domain");
});

check("vCPU weight and devices: set, attach, detach", async () => {
    const objectPath = await lookup(GUEST);
    await frame.locator("[data-test=shares-input]").fill("512");
    await frame.locator("[data-test=shares-set]").click();
    await frame.locator("[data-test=shares]").filter({ hasText: "512" }).waitFor({ timeout: STATE_MS });
    assert.equal(await property(objectPath, "CPUShares"), "512");

    // A form the page refuses itself changes nothing.
    await frame.locator("[data-test=disk-source]").fill(IMAGE);
    await frame.locator("[data-test=disk-target]").fill("../vdb");
    await frame.locator("[data-test=disk-attach]").click();
    await frame.locator("[data-test=error]").filter({ hasText: "The target must be vdX or sdX" }).waitFor({ timeout: STATE_MS });

    // The daemon's refusal, with its message: a file that is not there.
    await frame.locator("[data-test=disk-source]").fill(`${IMAGE}.missing`);
    await frame.locator("[data-test=disk-target]").fill("vdb");
    await frame.locator("[data-test=disk-attach]").click();
    // (Its own message, not the title the page's refusal above has too:
    // the next Attach must not overtake this one, which the daemon would
    // answer with Busy.)
    const missing = frame.locator("[data-test=error]").filter({ hasText: `${path.basename(IMAGE)}.missing` });
    await missing.waitFor({ timeout: STATE_MS });
    assert.match(await missing.textContent(), /Attaching the disk failed/);
    assert.equal(await frame.locator("[data-test=disk-row][data-target=vdb]").count(), 0);

    await frame.locator("[data-test=disk-source]").fill(IMAGE);
    await frame.locator("[data-test=disk-attach]").click();
    const vdb = frame.locator("[data-test=disk-row][data-target=vdb]");
    await vdb.waitFor({ timeout: STATE_MS });
    assert.match(await busctl("tree", "--list", "org.zvirt1"), /\/disk\/vdb$/m);
    await shot(root.page, "devices");

    await vdb.locator("[data-test=detach]").click();
    await vdb.waitFor({ state: "detached", timeout: STATE_MS });
    assert.doesNotMatch(await busctl("tree", "--list", "org.zvirt1"), /\/disk\/vdb$/m);
});

check("vCPUs beyond the maximum: the daemon's message, nothing changes", async () => {
    const objectPath = await lookup(GUEST);
    await frame.locator("[data-test=vcpus-input]").fill("4");
    await frame.locator("[data-test=vcpus-set]").click();
    const error = frame.locator("[data-test=error]").filter({ hasText: "Setting the vCPUs failed" }).first();
    await error.waitFor({ timeout: STATE_MS });
    assert.match(await error.locator("[data-test=error-message]").textContent(), /\S/);
    assert.match(await error.textContent(), /org\.zvirt1\.Error\./);
    assert.equal(await property(objectPath, "VCPUs"), "1");

    // A weight that is no number is refused on the page; nothing is sent.
    await frame.locator("[data-test=shares-input]").fill("1");
    await frame.locator("[data-test=shares-set]").click();
    await frame.locator("[data-test=error]").filter({ hasText: "The CPU weight must be a whole number from 2 to 262144." }).waitFor({ timeout: STATE_MS });
    assert.equal(await property(objectPath, "CPUShares"), "512");
});

check("a NIC on a bridge: attach, its host link, detach", async () => {
    await frame.locator("[data-test=nic-type]").selectOption("bridge");
    await frame.locator("[data-test=nic-source]").fill(BRIDGE);
    await frame.locator("[data-test=nic-attach]").click();
    const nic = frame.locator("[data-test=nic-row]").first();
    await nic.waitFor({ timeout: STATE_MS });
    const mac = await nic.getAttribute("data-mac");
    assert.match(mac, /^52:54:00(:[0-9a-f]{2}){3}$/);
    const links = JSON.parse(await busctl("--json=short", "call", "org.zvirt1", "/org/zvirt1/host", "org.zvirt1.Host", "ListNetworkLinks", "a{sv}", "0"));
    // (Its kind reads "tun" here: the daemon tells a tap by <SysfsRoot>'s
    // tun_flags, and SysfsRoot is the simulator's, without the taps.)
    const tap = links.data[0].find(l => l.master?.data === BRIDGE);
    assert.ok(tap, `a tap in ${BRIDGE}: ${JSON.stringify(links.data[0].map(l => [l.name?.data, l.kind?.data, l.master?.data]))}`);
    await nic.filter({ hasText: tap.name.data }).waitFor({ timeout: STATE_MS });

    // The host's links follow NetworkLinksChanged: the tap is there, in the bridge.
    await frame.locator("[data-test=tab-host]").click();
    await frame.locator(`[data-test=link-row][data-name="${tap.name.data}"]`).filter({ hasText: BRIDGE }).waitFor({ timeout: STATE_MS });
    await root.page.goBack();
    await nic.waitFor({ timeout: STATE_MS });
    await nic.locator("[data-test=detach]").click();
    await nic.waitFor({ state: "detached", timeout: STATE_MS });
});

check("CD/DVD: attach on SCSI, eject, insert", async () => {
    const objectPath = await lookup(GUEST);
    const diskSource = async () => (await busctl("get-property", "org.zvirt1", `${objectPath}/disk/sda`, "org.zvirt1.Disk", "Source")).replace(/^s "|"$/g, "");
    await frame.locator("[data-test=disk-source]").fill(IMAGE);
    await frame.locator("[data-test=disk-target]").fill("sda");
    await frame.locator("[data-test=disk-device]").selectOption("cdrom");
    await frame.locator("[data-test=disk-bus]").selectOption("scsi");
    await frame.locator("[data-test=disk-attach]").click();
    const sda = frame.locator("[data-test=disk-row][data-target=sda]");
    await sda.locator("[data-test=disk-source]").filter({ hasText: IMAGE }).waitFor({ timeout: STATE_MS });

    await sda.locator("[data-test=media-eject]").click();
    await sda.locator("[data-test=disk-source]").filter({ hasText: "(empty)" }).waitFor({ timeout: STATE_MS });
    assert.equal(await diskSource(), "");

    // Insert with an empty field: the page asks for the image, nothing changes.
    await sda.locator("[data-test=media-change]").click();
    await frame.locator("[data-test=error]").filter({ hasText: "Name the image to insert." }).waitFor({ timeout: STATE_MS });
    assert.equal(await diskSource(), "");

    await sda.locator("[data-test=media-source]").fill(IMAGE);
    await sda.locator("[data-test=media-change]").click();
    await sda.locator("[data-test=disk-source]").filter({ hasText: IMAGE }).waitFor({ timeout: STATE_MS });
    assert.equal(await diskSource(), IMAGE);

    await sda.locator("[data-test=detach]").click();
    await sda.waitFor({ state: "detached", timeout: STATE_MS });
});

check("managed save and restore, with the job", { timeout: 2 * BOOT_MS }, async () => {
    const objectPath = await lookup(GUEST);
    await click("managed-save");
    await state("Shut off (saved)");
    assert.equal(await property(objectPath, "HasManagedSave"), "true");
    assert.equal(await frame.locator("[data-test=managed-save]").textContent(), "yes");
    await click("start");
    await state("Running (restored)");
    assert.equal(await property(objectPath, "HasManagedSave"), "false");
});

check("a job in progress: its progress bar, and Cancel", { timeout: 2 * BOOT_MS }, async () => {
    const objectPath = await lookup(MIG_GUEST);
    await frame.locator("[data-test=back]").click();
    await row(MIG_GUEST).locator("[data-test=domain-link]").click();
    await state("Running (booted)");
    // A live migration at 4 MiB/s of a guest that rewrites 32 MiB: minutes.
    const out = await busctl("call", "org.zvirt1", objectPath, "org.zvirt1.Domain", "Migrate", "sa{sv}", MIGRATE_TO,
                             "2", "live", "b", "true", "bandwidth-MiBps", "t", "4");
    const job = out.split('"')[1];
    const progress = frame.locator("[data-test=job-progress]");
    await progress.filter({ hasText: "migration-out" }).waitFor({ timeout: STATE_MS });
    // It moves: the figure of data sent grows as the Job's properties change.
    const sent = async () => (await progress.textContent()).match(/([0-9.]+ [KMG]?i?B) of/)?.[1];
    const first = await sent();
    await progress.filter({ hasNotText: `${first} of` }).waitFor({ timeout: STATE_MS });
    // Only Force off while a job runs.
    assert.deepEqual(await frame.locator("[data-test=actions] button").evaluateAll(b => b.map(x => x.dataset.test)), ["action-destroy"]);
    await shot(root.page, "job");

    await frame.locator("[data-test=job-cancel]").click();
    await progress.waitFor({ state: "detached", timeout: STATE_MS });
    const jobState = await busctl("get-property", "org.zvirt1", job, "org.zvirt1.Job", "State");
    assert.equal(jobState, 's "cancelled"');
    await state("Running");
    assert.equal(await property(objectPath, "State"), "running");
    await frame.locator("[data-test=action-suspend]").waitFor({ timeout: STATE_MS });
});

check("the host's devices", async () => {
    await frame.locator("[data-test=tab-host]").click();
    await frame.locator('[data-test=link-row][data-name="lo"]').waitFor({ timeout: STATE_MS });
    await frame.locator(`[data-test=link-row][data-name="${BRIDGE}"]`).waitFor({ timeout: STATE_MS });
    if (SIM) {
        // chccwdev -e from the page: the CcwDevice object follows, and the
        // DASD list with it.
        const dasd = frame.locator('[data-test=ccw-row][data-busid="0.0.7500"]');
        await dasd.filter({ hasText: "offline" }).waitFor({ timeout: STATE_MS });
        await frame.locator('[data-test=dasds] tr').filter({ hasText: "0.0.7500" }).filter({ hasText: "offline" }).waitFor({ timeout: STATE_MS });
        await dasd.getByRole("button", { name: "Set online" }).click();
        await dasd.filter({ hasText: "online" }).filter({ hasText: "Set offline" }).waitFor({ timeout: STATE_MS });
        await frame.locator('[data-test=dasds] tr').filter({ hasText: "0.0.7500" }).filter({ hasText: "dasda" }).waitFor({ timeout: STATE_MS });
        const ccw = await busctl("get-property", "org.zvirt1", "/org/zvirt1/host/ccw/_30_2e0_2e7500", "org.zvirt1.CcwDevice", "Online");
        assert.equal(ccw, "b true");
        await frame.locator('[data-test=zfcp] tr').filter({ hasText: "0.0.1700" }).waitFor({ timeout: STATE_MS });
    }
    await shot(root.page, "host-devices");
    await frame.locator("[data-test=tab-servers]").click();
    await row(GUEST).waitFor({ timeout: STATE_MS });
});

check("a caller polkit refuses sees the refusal, and nothing changes", async () => {
    const nobody = await openPage(URL_NOBODY);
    try {
        const f = nobody.f;
        await f.locator('[data-test=domain-row][data-name="cockpit-new"] [data-test=domain-link]').click();
        await f.locator("[data-test=state]").filter({ hasText: "Shut off" }).waitFor({ timeout: STATE_MS });
        await f.locator("[data-test=action-start]").click();
        const refused = f.locator("[data-test=refused]");
        await refused.waitFor({ timeout: STATE_MS });
        assert.match(await refused.textContent(), /Not authorized: Start/);
        assert.match(await refused.textContent(), /administrative access|polkit/);
        await shot(nobody.page, "refused");
        assert.equal(await property(await lookup("cockpit-new"), "State"), "shut-off");
    } finally {
        await nobody.page.context().close();
    }
});
