// SPDX-License-Identifier: LGPL-2.1-or-later
// The guest's console in the page: OpenConsole's Unix socket reaches the
// page as a Cockpit stream channel (the bridge turns the reply's file
// descriptor into an "internal" stream), shown in xterm.js as Cockpit's
// own terminal is.

import { Terminal } from "@xterm/xterm";
import { FitAddon } from "@xterm/addon-fit";

import { button, fill, h } from "../lib/dom.js";
import { IFACE } from "../lib/format.js";

/* global cockpit */

export function createConsole(model, notifier, dom) {
    const status = h("span", { class: "zvirt-console-status", "data-test": "console-status" }, "Not connected");
    const actions = h("span", { class: "zvirt-console-actions" });
    const screen = h("div", { class: "zvirt-console-screen", "data-test": "console" });
    const el = h("div", { class: "zvirt-console" }, h("div", { class: "zvirt-console-bar" }, status, actions), screen);

    const term = new Terminal({ cols: 100, rows: 24, convertEol: false, scrollback: 2000, fontSize: 14 });
    const fit = new FitAddon();
    term.loadAddon(fit);
    let opened = false;
    let channel = null;
    const encoder = new TextEncoder();

    term.onData(data => {
        if (channel)
            channel.send(encoder.encode(data));
    });

    function setStatus(text, buttons) {
        status.textContent = text;
        fill(actions, buttons || []);
    }

    async function connect(force) {
        if (!opened) {
            term.open(screen);
            opened = true;
        }
        disconnect();
        setStatus("Connecting…");
        let reply;
        try {
            reply = await model.client.call(dom.path, IFACE.domain, "OpenConsole",
                                            [force ? { force: cockpit.variant("b", true) } : {}], { type: "a{sv}" });
        } catch (e) {
            if (e.name === "org.zvirt1.Error.Busy")
                setStatus("Another client has the console.", [button("Take it over", () => connect(true), { testid: "console-force" })]);
            else
                setStatus("Not connected", [button("Connect", () => connect(false), { testid: "console-connect" })]);
            notifier.show("Opening the console", e);
            return;
        }
        const ch = cockpit.channel({ ...reply[0], binary: true });
        channel = ch;
        ch.addEventListener("message", (ev, data) => term.write(data));
        ch.addEventListener("close", (ev, options) => {
            if (channel !== ch)
                return;
            channel = null;
            const why = options && options.problem ? ` (${options.problem})` : "";
            setStatus(`Disconnected${why}`, [button("Connect", () => connect(false), { testid: "console-connect" })]);
        });
        setStatus("Connected", [button("Disconnect", () => disconnect(), { testid: "console-disconnect" })]);
        try {
            fit.fit();
        } catch (e) {
            // the screen is not laid out yet; the terminal keeps 100x24
        }
        term.focus();
    }

    function disconnect() {
        const ch = channel;
        channel = null;
        if (ch)
            ch.close();
        setStatus("Not connected", [button("Connect", () => connect(false), { testid: "console-connect" })]);
    }

    setStatus("Not connected", [button("Connect", () => connect(false), { testid: "console-connect" })]);
    return {
        element: el,
        connect,
        close: () => { disconnect(); if (opened) term.dispose() },
        text: () => {
            // What the screen shows, for a reader or a test.
            const b = term.buffer.active;
            const lines = [];
            for (let i = 0; i < b.length; i++)
                lines.push(b.getLine(i)?.translateToString(true) ?? "");
            return lines.join("\n");
        },
    };
}
