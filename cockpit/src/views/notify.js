// SPDX-License-Identifier: LGPL-2.1-or-later
// Errors as Cockpit shows them: an inline danger alert with the D-Bus
// error's message; a polkit refusal says so and points to Cockpit's
// administrative access when the session does not have it.

import { alert, button, fill, h } from "../lib/dom.js";
import { describeError } from "../lib/format.js";

/* global cockpit */

let superuser = null;
function superuserProxy() {
    if (!superuser)
        superuser = cockpit.dbus(null, { bus: "internal" }).proxy("cockpit.Superuser", "/superuser");
    return superuser;
}

export function createNotifier(container) {
    const el = h("div", { class: "zvirt-alerts", "data-test": "alerts" });
    container.append(el);

    function show(what, error) {
        const e = describeError(error);
        let body;
        if (e.refused) {
            const limited = superuserProxy().Current === "none";
            body = [
                h("p", { "data-test": "error-message" }, e.message),
                h("p", {}, limited
                    ? "Cockpit runs with limited access. Turn on administrative access (the \"Limited access\" button at the top) and try again."
                    : "The host's polkit rules do not allow this to your user. An administrator may grant it (actions org.zvirt1.*)."),
            ];
        } else {
            body = [h("p", { "data-test": "error-message" }, e.message),
                // A D-Bus error's name, not a JavaScript one ("Error").
                e.name.includes(".") ? h("p", { class: "zvirt-error-name" }, e.name) : null];
        }
        const a = alert("danger", e.refused ? `Not authorized: ${what}` : `${what} failed`, ...body);
        a.dataset.test = e.refused ? "refused" : "error";
        a.append(h("div", { class: "pf-c-alert__action" },
                   h("button", { class: "pf-c-button pf-m-plain", type: "button", "aria-label": "Close", "data-test": "alert-close", onclick: () => a.remove() }, "✕")));
        el.prepend(a);
        while (el.children.length > 3)
            el.lastChild.remove();
    }

    // Runs a call; its error, if any, becomes an alert. Resolves to the
    // call's result or undefined.
    async function run(what, fn) {
        try {
            return await fn();
        } catch (error) {
            show(what, error);
            return undefined;
        }
    }

    return { show, run, clear: () => fill(el), element: el };
}

// Wait for the internal Superuser proxy so that the first refusal can tell
// limited access from a polkit "no".
export function watchSuperuser() {
    return superuserProxy().wait().catch(() => {});
}
