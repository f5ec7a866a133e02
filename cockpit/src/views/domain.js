// SPDX-License-Identifier: LGPL-2.1-or-later
// A virtual server's page: its state and life cycle buttons, the job in
// progress, vCPUs and CPU weight, a CPU usage graph, its devices with
// attach and detach, its console and its XML. Everything shown comes from
// the model (signals); the calls' errors go to the notifier.

import { button, card, details, field, fill, h, input, select, table } from "../lib/dom.js";
import {
    IFACE, actionsFor, cpuPercent, diskXml, formatBytes, formatState, hostdevXml, jobPercent, nicXml,
    parseCount, scopeOptions
} from "../lib/format.js";
import { createConsole } from "./console.js";

/* global cockpit */

const SVG = "http://www.w3.org/2000/svg";

// A card across the whole width of the grid of cards.
function wide(el) {
    el.classList.add("zvirt-wide");
    return el;
}

// a{sv} of booleans and numbers the way cockpit.dbus sends variants.
function opts(o) {
    const r = {};
    for (const [k, v] of Object.entries(o))
        r[k] = typeof v === "boolean" ? cockpit.variant("b", v) : v;
    return r;
}

const LIFECYCLE = {
    start: ["Start", "Start", {}, "primary"],
    "start-paused": ["Start paused", "Start", { paused: true }, "secondary"],
    shutdown: ["Shut down", "Shutdown", {}, "secondary"],
    reboot: ["Reboot", "Reboot", {}, "secondary"],
    reset: ["Reset", "Reset", {}, "secondary"],
    suspend: ["Suspend", "Suspend", {}, "secondary"],
    resume: ["Resume", "Resume", {}, "primary"],
    "managed-save": ["Managed save", "ManagedSave", {}, "secondary"],
    destroy: ["Force off", "Destroy", {}, "danger"],
};

export function createDomainPage(model, notifier, dom) {
    const { client } = model;
    const call = (path, iface, method, args, type) => client.call(path, iface, method, args, { type });

    const headerEl = h("div", { class: "zvirt-domain-header" });
    const actionsEl = h("div", { class: "zvirt-actions", "data-test": "actions" });
    const jobEl = h("div", { "data-test": "job" });
    const infoEl = h("div", {});
    const graph = document.createElementNS(SVG, "svg");
    graph.setAttribute("class", "zvirt-graph");
    graph.setAttribute("viewBox", "0 0 600 100");
    graph.setAttribute("preserveAspectRatio", "none");
    graph.dataset.test = "cpu-graph";
    const cpuNow = h("span", { "data-test": "cpu-now" }, "—");
    const disksEl = h("div", {});
    const nicsEl = h("div", {});
    const hostdevsEl = h("div", {});
    const xmlEl = h("pre", { class: "zvirt-xml", "data-test": "xml" });
    const forceBoot = h("input", { type: "checkbox", id: "force-boot", "data-test": "force-boot" });
    const consoleView = createConsole(model, notifier, dom);
    const mediaInputs = new Map(); // CD/DVD disk path -> its image field

    // ---- forms (made once: a model update must not wipe what is typed) ----
    const vcpuInput = input({ type: "number", min: 1, "data-test": "vcpus-input", "aria-label": "vCPUs" });
    const sharesInput = input({ type: "number", min: 2, max: 262144, "data-test": "shares-input", "aria-label": "CPU weight" });
    const inDefinition = h("input", { type: "checkbox", checked: true, "data-test": "in-definition" });

    const diskSource = input({ placeholder: "/var/lib/zvirt/images/data.img or /dev/disk/by-path/...", "data-test": "disk-source" });
    const diskTarget = input({ placeholder: "vdb", "data-test": "disk-target" });
    const diskDevice = select([["disk", "Disk"], ["cdrom", "CD/DVD"]], { "data-test": "disk-device" });
    const diskBus = select([["virtio", "virtio"], ["scsi", "SCSI"]], { "data-test": "disk-bus" });
    const nicType = select([["bridge", "Bridge"], ["direct", "macvtap (direct)"]], { "data-test": "nic-type" });
    const nicSource = input({ placeholder: "br0, or the host link for macvtap (enccw0.0.8050, bond0)", "data-test": "nic-source" });
    const nicMode = select([["bridge", "bridge"], ["vepa", "vepa"], ["private", "private"], ["passthrough", "passthrough"]], { "data-test": "nic-mode" });
    const hdAdapter = input({ placeholder: "scsi_host0", "data-test": "hostdev-adapter" });
    const hdAddress = input({ placeholder: "bus:target:unit, e.g. 0:0:1", "data-test": "hostdev-address" });

    const scope = () => opts(scopeOptions(dom.State, dom.Persistent, inDefinition.checked));

    function attach(what, makeXml) {
        let xml;
        try {
            xml = makeXml();
        } catch (e) {
            notifier.show(what, e);
            return;
        }
        return notifier.run(what, () => call(dom.path, IFACE.domain, "AttachDevice", [xml, scope()], "sa{sv}"));
    }

    const el = h("div", { class: "zvirt-domain" },
                 h("nav", { class: "pf-c-breadcrumb" }, h("ol", { class: "pf-c-breadcrumb__list" },
                                                         h("li", { class: "pf-c-breadcrumb__item" },
                                                           h("a", { href: "#", class: "pf-c-breadcrumb__link", "data-test": "back", onclick: ev => { ev.preventDefault(); cockpit.location.go([]) } }, "Virtual servers")))),
                 headerEl, actionsEl, jobEl,
                 h("div", { class: "zvirt-cards" },
                 card("Overview", infoEl,
                      h("form", { class: "pf-c-form pf-m-horizontal zvirt-inline-form", onsubmit: ev => ev.preventDefault() },
                        field("vCPUs", h("div", { class: "zvirt-row" }, vcpuInput,
                                         button("Set", () => notifier.run("Setting the vCPUs", async () =>
                                             call(dom.path, IFACE.domain, "SetVcpus", [parseCount(vcpuInput.value, 1, 4294967295, "The vCPU count"), scope()], "ua{sv}")), { testid: "vcpus-set" }))),
                        field("CPU weight", h("div", { class: "zvirt-row" }, sharesInput,
                                              button("Set", () => notifier.run("Setting the CPU weight", async () =>
                                                  call(dom.path, IFACE.domain, "SetSchedulerParameters",
                                                       [{ cpu_shares: cockpit.variant("t", parseCount(sharesInput.value, 2, 262144, "The CPU weight")) }, scope()], "a{sv}a{sv}")), { testid: "shares-set" }))),
                        field("", h("label", {}, inDefinition, " Also change the stored definition")))),
                 card("CPU usage", h("p", {}, "Now: ", cpuNow, " of its vCPUs"), graph),
                 card("Disks and CD/DVD", disksEl,
                      h("form", { class: "pf-c-form zvirt-attach", onsubmit: ev => ev.preventDefault() },
                        h("h3", {}, "Attach a disk"),
                        field("Source", diskSource), field("Target", diskTarget), field("Device", diskDevice), field("Bus", diskBus),
                        h("div", {}, button("Attach", () => attach("Attaching the disk", () =>
                            diskXml({ source: diskSource.value.trim(), target: diskTarget.value.trim(), device: diskDevice.value, bus: diskBus.value })), { testid: "disk-attach" })))),
                 card("Network interfaces", nicsEl,
                      h("form", { class: "pf-c-form zvirt-attach", onsubmit: ev => ev.preventDefault() },
                        h("h3", {}, "Attach an interface"),
                        field("Type", nicType), field("Source", nicSource), field("macvtap mode", nicMode),
                        h("div", {}, button("Attach", () => attach("Attaching the interface", () =>
                            nicXml({ type: nicType.value, source: nicSource.value.trim(), mode: nicMode.value })), { testid: "nic-attach" })))),
                 card("Host devices (SCSI tapes and changers)", hostdevsEl,
                      h("form", { class: "pf-c-form zvirt-attach", onsubmit: ev => ev.preventDefault() },
                        h("h3", {}, "Attach a SCSI device"),
                        field("Host adapter", hdAdapter), field("Address", hdAddress),
                        h("div", {}, button("Attach", () => attach("Attaching the host device", () =>
                            hostdevXml({ adapter: hdAdapter.value.trim(), address: hdAddress.value.trim() })), { testid: "hostdev-attach" })))),
                 wide(card("Console", consoleView.element)),
                 wide(card("XML", h("p", {}, "The running definition while it runs, else the stored one (read only). ",
                                    button("Reload", () => loadXml(), { variant: "link", testid: "xml-reload" })), xmlEl))));

    async function loadXml() {
        try {
            const [xml] = await call(dom.path, IFACE.domain, "GetXMLDesc", [{}], "a{sv}");
            xmlEl.textContent = xml;
        } catch (e) {
            xmlEl.textContent = "";
            notifier.show("Reading the XML", e);
        }
    }

    function lifecycleButtons(job) {
        const buttons = actionsFor(dom.State, !!job).map(a => {
            const [label, method, o, variant] = LIFECYCLE[a];
            return button(label, () => {
                const options = { ...o };
                if (method === "Start" && forceBoot.checked)
                    options["force-boot"] = true;
                return notifier.run(label, () => call(dom.path, IFACE.domain, method, [opts(options)], "a{sv}"));
            }, { variant, testid: `action-${a}` });
        });
        const extra = dom.State === "shut-off" && dom.HasManagedSave
            ? [h("label", { class: "zvirt-force-boot" }, forceBoot, " Force boot (discard the managed save image)")]
            : [];
        return [...buttons, ...extra];
    }

    // The job's progress, made once and updated in place: its properties
    // change ten times a second, and a Cancel made again as often would
    // lose the clicks that land between two redraws.
    let jobShown = null;
    const jobDesc = h("div", { class: "pf-c-progress__description" });
    const jobMeasure = h("span", { class: "pf-c-progress__measure" });
    const jobIndicator = h("div", { class: "pf-c-progress__indicator" });
    const jobBar = h("div", { class: "pf-c-progress__bar", role: "progressbar", "aria-valuemin": 0, "aria-valuemax": 100 }, jobIndicator);
    const jobData = h("span", {});
    const jobBox = h("div", { class: "pf-c-progress", "data-test": "job-progress" },
                     jobDesc, h("div", { class: "pf-c-progress__status" }, jobMeasure), jobBar,
                     h("div", {}, jobData, " ",
                       button("Cancel", () => notifier.run("Cancelling the job", () => call(jobShown.path, IFACE.job, "Cancel", [{}], "a{sv}")),
                              { variant: "link", testid: "job-cancel" })));

    function showJob(job) {
        jobShown = job && job.State === "running" ? job : null;
        if (!jobShown) {
            fill(jobEl);
            return;
        }
        const pct = jobPercent(job);
        jobDesc.textContent = `${job.Type} ${job.Phase ? `(${job.Phase})` : ""}`;
        jobMeasure.textContent = pct === null ? "…" : `${pct}%`;
        jobBar.setAttribute("aria-valuenow", pct ?? 0);
        jobIndicator.style.width = `${pct ?? 0}%`;
        jobData.textContent = `${formatBytes(job.DataProcessed)} of ${formatBytes(job.DataTotal)}` +
            (job.SpeedMiBps ? `, ${job.SpeedMiBps} MiB/s` : "") +
            (job.Type && job.Type.startsWith("migration") && job.DataTotal ? `, ${formatBytes(job.DataRemaining)} to go` : "");
        if (jobBox.parentNode !== jobEl)
            fill(jobEl, jobBox);
    }

    function drawGraph() {
        const s = model.samples.get(dom.path) || [];
        const points = [];
        for (let i = 1; i < s.length; i++) {
            const p = cpuPercent(s[i - 1], s[i], dom.VCPUs);
            if (p !== null)
                points.push(p);
        }
        const n = 59;
        const coords = points.slice(-n - 1).map((p, i, a) => `${((n - (a.length - 1) + i) / n) * 600},${100 - p}`);
        graph.replaceChildren();
        const line = document.createElementNS(SVG, "polyline");
        line.setAttribute("points", coords.join(" "));
        line.setAttribute("class", "zvirt-graph-line");
        graph.append(line);
        cpuNow.textContent = points.length ? `${points[points.length - 1].toFixed(1)} %` : "—";
    }

    let lastSequence = null;
    let formsSet = false;
    function update(what) {
        if (what === "samples") {
            drawGraph();
            return;
        }
        if (what === "jobs") {
            showJob(model.jobOf(dom));
            return;
        }
        if (!dom.valid) {
            fill(headerEl, h("h1", { class: "pf-c-title pf-m-2xl" }, `${dom.Name} no longer exists`));
            fill(actionsEl);
            return;
        }
        const job = model.jobOf(dom);
        fill(headerEl,
             h("h1", { class: "pf-c-title pf-m-2xl", "data-test": "domain-name" }, dom.Name),
             h("span", { class: `pf-c-label zvirt-state-${dom.State}`, "data-test": "state" },
               h("span", { class: "pf-c-label__content" }, formatState(dom.State, dom.StateReason))));
        fill(actionsEl, lifecycleButtons(job));
        showJob(job);
        fill(infoEl, details([
            ["UUID", dom.UUID],
            ["State", formatState(dom.State, dom.StateReason), "state-detail"],
            ["vCPUs", `${dom.VCPUs} of at most ${dom.MaxVCPUs}`, "vcpus"],
            ["CPU weight", dom.CPUShares, "shares"],
            ["Memory", `${formatBytes(dom.Memory)} of at most ${formatBytes(dom.MaxMemory)}`],
            ["Persistent", dom.Persistent ? "yes" : "no (transient)"],
            ["Autostart", dom.Autostart ? "yes" : "no"],
            ["Managed save image", dom.HasManagedSave ? "yes" : "no", "managed-save"],
            ["QEMU process", dom.QemuPid ? String(dom.QemuPid) : "—"],
            ["Machine", dom.Machine],
        ]));
        if (!formsSet) {
            vcpuInput.value = dom.VCPUs;
            sharesInput.value = dom.CPUShares;
            inDefinition.checked = !!dom.Persistent;
            formsSet = true;
        }

        fill(disksEl, table(["Target", "Device", "Bus", "Source", "Address", ""], model.disks(dom).map(d => {
            let media = [];
            if (d.Device === "cdrom") {
                // The image field outlives the row's redraws, keeping what is typed.
                if (!mediaInputs.has(d.path))
                    mediaInputs.set(d.path, input({ placeholder: "ISO image", "data-test": "media-source", "aria-label": `Image for ${d.Target}` }));
                const image = mediaInputs.get(d.path);
                media = [h("div", { class: "zvirt-row" }, image,
                           button(d.Source ? "Change" : "Insert", () => {
                               const src = image.value.trim();
                               if (!src)
                                   return notifier.show(`Changing the media of ${d.Target}`, new Error("Name the image to insert."));
                               return notifier.run(`Changing the media of ${d.Target}`, () =>
                                   call(d.path, IFACE.disk, "ChangeMedia", [src, opts(d.Source ? { update: true } : { insert: true })], "sa{sv}"));
                           }, { testid: "media-change" }),
                           d.Source ? button("Eject", () => notifier.run(`Ejecting ${d.Target}`, () =>
                               call(d.path, IFACE.disk, "ChangeMedia", ["", opts({ eject: true })], "sa{sv}")), { testid: "media-eject" }) : null)];
            }
            return h("tr", { "data-test": "disk-row", "data-target": d.Target },
                     h("td", {}, d.Target), h("td", {}, d.Device), h("td", {}, d.Bus),
                     h("td", { "data-test": "disk-source" }, d.Source || "(empty)"),
                     h("td", {}, d.CcwAddress || d.DriveAddress || "—"),
                     h("td", {}, ...media, button("Detach", () => notifier.run(`Detaching ${d.Target}`, () =>
                         call(d.path, IFACE.disk, "Detach", [scope()], "a{sv}")), { variant: "link", testid: "detach" })));
        }), { testid: "disks", empty: "No disks." }));

        fill(nicsEl, table(["MAC", "Type", "Source", "Host link", "Address", "Link", ""], model.nics(dom).map(n =>
            h("tr", { "data-test": "nic-row", "data-mac": n.MAC },
              h("td", {}, n.MAC), h("td", {}, n.Type + (n.VirtualPort ? ` (${n.VirtualPort})` : "")),
              h("td", {}, n.Source || "(default)" + (n.Mode ? ` ${n.Mode}` : "")), h("td", {}, n.TargetDevice || "—"),
              h("td", {}, n.CcwAddress || "—"), h("td", {}, n.LinkState),
              h("td", {}, button("Detach", () => notifier.run(`Detaching ${n.MAC}`, () =>
                  call(n.path, IFACE.nic, "Detach", [scope()], "a{sv}")), { variant: "link", testid: "detach" })))),
                          { testid: "nics", empty: "No network interfaces." }));

        fill(hostdevsEl, table(["Host adapter", "Host address", "Guest address", "Node", ""], model.hostdevs(dom).map(d =>
            h("tr", { "data-test": "hostdev-row" },
              h("td", {}, d.Adapter), h("td", {}, `${d.Bus}:${d.Target}:${d.Unit}`), h("td", {}, d.Address || "—"),
              h("td", {}, d.Node || "—"),
              h("td", {}, button("Detach", () => notifier.run("Detaching the host device", () =>
                  call(d.path, IFACE.hostdev, "Detach", [scope()], "a{sv}")), { variant: "link", testid: "detach" })))),
                              { testid: "hostdevs", empty: "No host devices." }));

        drawGraph();
        // The XML follows every state change and device change (StateSequence
        // grows with the former; the device sets' sizes tell the latter).
        const seq = `${dom.StateSequence}/${model.disks(dom).length}/${model.nics(dom).length}/${model.hostdevs(dom).length}/${dom.VCPUs}/${dom.CPUShares}`;
        if (seq !== lastSequence) {
            lastSequence = seq;
            loadXml();
        }
    }

    return { element: el, update, close: () => consoleView.close(), console: consoleView };
}
