// SPDX-License-Identifier: LGPL-2.1-or-later
// The host's devices: ccw devices live from their CcwDevice objects (set
// online or offline), DASDs and FCP devices read again whenever a ccw
// device changes, network links read again on NetworkLinksChanged.

import { button, card, fill, h, table } from "../lib/dom.js";
import { IFACE } from "../lib/format.js";

const HOST_PATH = "/org/zvirt1/host";

function value(v) {
    return v && typeof v === "object" && "v" in v ? v.v : v;
}

export function createHostDevices(model, notifier) {
    const { client } = model;
    const ccwEl = h("div", {});
    const dasdEl = h("div", {});
    const zfcpEl = h("div", {});
    const linksEl = h("div", {});
    const el = h("div", { class: "zvirt-cards" },
                 card("ccw devices", ccwEl),
                 card("DASDs", dasdEl),
                 card("FCP devices (zfcp)", zfcpEl),
                 card("Network links", linksEl));

    let dasds = [], zfcps = [], links = [];

    async function list(method) {
        const [r] = await client.call(HOST_PATH, IFACE.host, method, [{}], { type: "a{sv}" });
        return r;
    }

    async function reloadStorage() {
        try {
            [dasds, zfcps] = await Promise.all([list("ListDasds"), list("ListZfcpDevices")]);
        } catch (e) {
            dasds = zfcps = [];
        }
        render();
    }

    async function reloadLinks() {
        try {
            links = await list("ListNetworkLinks");
        } catch (e) {
            links = [];
        }
        render();
    }

    client.subscribe({ interface: IFACE.host, path: HOST_PATH, member: "NetworkLinksChanged" }, reloadLinks);

    let lastCcw = "";
    function update(what) {
        if (what === "samples" || what === "jobs")
            return;
        // The DASD and FCP lists follow the ccw devices' properties.
        const now = JSON.stringify(model.ccwDevices().map(c => [c.BusId, c.Online, c.BlockDevice, c.Driver]));
        if (now !== lastCcw) {
            lastCcw = now;
            reloadStorage();
        }
        render();
    }

    function render() {
        const ccw = model.ccwDevices().map(c =>
            h("tr", { "data-test": "ccw-row", "data-busid": c.BusId },
              h("td", {}, c.BusId), h("td", {}, c.CuType), h("td", {}, c.DevType),
              h("td", {}, c.Driver || "—"), h("td", {}, c.Online ? "online" : "offline"),
              h("td", {}, button(c.Online ? "Set offline" : "Set online",
                                 () => notifier.run(`Setting ${c.BusId} ${c.Online ? "offline" : "online"}`,
                                                    () => client.call(HOST_PATH, IFACE.host, "SetCcwOnline",
                                                                      [c.BusId, !c.Online, {}], { type: "sba{sv}" }))))));
        fill(ccwEl, table(["Bus ID", "CU type", "Device type", "Driver", "State", ""], ccw,
                          { testid: "ccw", empty: "No ccw devices (this host is not an IBM Z, or has none)." }));

        fill(dasdEl, table(["Bus ID", "Status", "Name", "Type", "Size"], dasds.map(d =>
            h("tr", {}, h("td", {}, value(d["bus-id"])), h("td", {}, value(d.status)), h("td", {}, value(d.name) || "—"),
              h("td", {}, value(d.type)), h("td", {}, `${value(d["size-mb"])} MB`))), { testid: "dasds", empty: "No DASDs." }));

        fill(zfcpEl, table(["Bus ID", "State", "SCSI host", "NPIV", "Remote ports"], zfcps.map(z =>
            h("tr", {}, h("td", {}, value(z.busid)), h("td", {}, value(z.online) ? "online" : "offline"),
              h("td", {}, value(z["scsi-host"]) || "—"), h("td", {}, value(z.npiv) ? "yes" : "no"),
              h("td", {}, (value(z.ports) || []).join(", ") || "—"))), { testid: "zfcp", empty: "No FCP devices." }));

        fill(linksEl, table(["Name", "Kind", "MAC", "MTU", "State", "Master"], links.map(l =>
            h("tr", { "data-test": "link-row", "data-name": value(l.name) },
              h("td", {}, value(l.name)), h("td", {}, value(l.kind)), h("td", {}, value(l.mac) || "—"),
              h("td", {}, value(l.mtu)), h("td", {}, `${value(l.up) ? "up" : "down"} (${value(l.operstate)})`),
              h("td", {}, value(l.master) || "—"))), { testid: "links", empty: "No network links." }));
    }

    reloadLinks();
    return { element: el, update };
}
