// SPDX-License-Identifier: LGPL-2.1-or-later
// The front page: the host (Manager's properties) and the list of virtual
// servers, both live from the model; a row opens the server's page.

import { card, details, fill, h, table } from "../lib/dom.js";
import { cpuPercent, formatBytes, formatState } from "../lib/format.js";

/* global cockpit */

export function createOverview(model) {
    const hostEl = h("div", { "data-test": "host" });
    const listEl = h("div", {});
    const servers = card("Virtual servers", listEl);
    servers.classList.add("zvirt-wide");
    const el = h("div", { class: "zvirt-cards" }, card("Host", hostEl), servers);

    function usage(dom) {
        const s = model.samples.get(dom.path) || [];
        const p = cpuPercent(s[s.length - 2], s[s.length - 1], dom.VCPUs);
        return p === null ? "—" : `${p.toFixed(1)} %`;
    }

    const rowCache = new Map(); // domain path -> { key: what it shows, el: its row, cpu: its CPU cell }

    function update(what) {
        if (what === "jobs")
            return; // the list shows no jobs
        if (what === "samples") {
            for (const d of model.domains())
                if (rowCache.has(d.path))
                    rowCache.get(d.path).cpu.textContent = d.State === "shut-off" ? "—" : usage(d);
            return;
        }
        const m = model.manager;
        fill(hostEl, details([
            ["Host name", m.Hostname, "hostname"],
            ["Accelerator", m.Accelerator, "accelerator"],
            ["Host CPUs", m.HostCPUs, "host-cpus"],
            ["Host memory", formatBytes(m.HostMemory), "host-memory"],
            ["Reserved memory", formatBytes(m.ReservedHostMemory), "reserved-memory"],
            ["Virtual servers", `${m.DomainCount ?? "?"} defined, ${m.ActiveDomainCount ?? "?"} active`, "domain-counts"],
            ["zvirtd version", m.Version, "version"],
        ]));

        // A row is made again only when what it shows changed: with a
        // thousand domains, one signal must not rebuild them all.
        const seen = new Set();
        const rows = model.domains().map(d => {
            seen.add(d.path);
            const key = `${d.Name}\n${d.UUID}\n${d.State}\n${d.StateReason}\n${d.VCPUs}\n${d.Memory}`;
            const cached = rowCache.get(d.path);
            if (cached && cached.key === key)
                return cached.el;
            const cpu = h("td", { "data-label": "CPU usage", "data-test": "domain-cpu" }, d.State === "shut-off" ? "—" : usage(d));
            const el = h("tr", { "data-test": "domain-row", "data-name": d.Name },
              h("td", { "data-label": "Name" },
                h("a", { href: "#", "data-test": "domain-link", onclick: ev => { ev.preventDefault(); cockpit.location.go(["domain", d.UUID]) } }, d.Name)),
              h("td", { "data-label": "State", "data-test": "domain-state" }, formatState(d.State, d.StateReason)),
              h("td", { "data-label": "vCPUs" }, d.VCPUs),
              h("td", { "data-label": "Memory" }, formatBytes(d.Memory)),
              cpu);
            rowCache.set(d.path, { key, el, cpu });
            return el;
        });
        for (const path of [...rowCache.keys()])
            if (!seen.has(path))
                rowCache.delete(path);
        fill(listEl, table(["Name", "State", "vCPUs", "Memory", "CPU usage"], rows,
                           { testid: "domains", empty: "No virtual servers are defined." }));
    }

    return { element: el, update };
}
