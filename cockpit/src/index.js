// SPDX-License-Identifier: LGPL-2.1-or-later
// zvirt's Cockpit page: one D-Bus client for org.zvirt1 on the system bus
// (with Cockpit's administrative access when the session has it), a live
// model of its objects, and the view the location names: the host and its
// virtual servers (#/), a server (#/domain/<uuid>), the host's devices
// (#/host).

// PatternFly 4, the version Cockpit 287 itself uses: its base and the
// components the page uses, not all of them.
import "@patternfly/patternfly/patternfly-base.css";
import "@patternfly/patternfly/components/Page/page.css";
import "@patternfly/patternfly/components/Card/card.css";
import "@patternfly/patternfly/components/Table/table.css";
import "@patternfly/patternfly/components/Button/button.css";
import "@patternfly/patternfly/components/Alert/alert.css";
import "@patternfly/patternfly/components/DescriptionList/description-list.css";
import "@patternfly/patternfly/components/Form/form.css";
import "@patternfly/patternfly/components/FormControl/form-control.css";
import "@patternfly/patternfly/components/Label/label.css";
import "@patternfly/patternfly/components/Progress/progress.css";
import "@patternfly/patternfly/components/Tabs/tabs.css";
import "@patternfly/patternfly/components/Breadcrumb/breadcrumb.css";
import "@patternfly/patternfly/components/Title/title.css";
import "@xterm/xterm/css/xterm.css";
import "./index.css";

import { fill, h } from "./lib/dom.js";
import { BUS_NAME } from "./lib/format.js";
import { createModel } from "./lib/model.js";
import { createDomainPage } from "./views/domain.js";
import { createHostDevices } from "./views/hostdevices.js";
import { createNotifier, watchSuperuser } from "./views/notify.js";
import { createOverview } from "./views/overview.js";

/* global cockpit */

const CPU_SAMPLE_MS = 1000;

// When the page got its transport, its objects and its first view drawn
// (performance.now(), ms since this frame began to load): the benchmark's
// figures (tests/bench/cockpit-page.mjs).
const times = {};

function main() {
    times.transport = performance.now();
    const root = document.getElementById("app");
    const nav = h("div", { class: "pf-c-tabs zvirt-tabs" });
    const alerts = h("div", {});
    const content = h("div", {});
    fill(root, h("div", { class: "pf-c-page" },
                 h("main", { class: "pf-c-page__main", tabindex: "-1" },
                   h("section", { class: "pf-c-page__main-section pf-m-light zvirt-nav" }, nav),
                   h("section", { class: "pf-c-page__main-section" }, alerts, content))));
    const notifier = createNotifier(alerts);

    const client = cockpit.dbus(BUS_NAME, { bus: "system", superuser: "try" });
    let view = null;
    let viewKey = null;
    const model = createModel(client, { onchange: (m, what) => view && view.update(what) });
    const overview = createOverview(model);
    let hostDevices = null;

    client.addEventListener("close", (ev, options) => {
        notifier.show("Talking to zvirtd", { message: cockpit.message(options), problem: options.problem });
    });

    function tab(label, path, active) {
        return h("li", { class: `pf-c-tabs__item${active ? " pf-m-current" : ""}` },
                 h("button", { class: "pf-c-tabs__link", type: "button", "data-test": `tab-${path || "servers"}`, onclick: () => cockpit.location.go(path ? [path] : []) },
                   h("span", { class: "pf-c-tabs__item-text" }, label)));
    }

    function route() {
        const path = cockpit.location.path;
        const key = path.join("/");
        const domainView = path[0] === "domain";
        fill(nav, h("ul", { class: "pf-c-tabs__list" },
                    tab("Virtual servers", "", !domainView && path[0] !== "host"),
                    tab("Host devices", "host", path[0] === "host")));
        if (key === viewKey && view)
            return view.update();
        if (view && view.close)
            view.close();
        view = null;
        viewKey = key;
        notifier.clear(); // an error belongs to the view it happened in
        if (domainView) {
            const dom = model.domainByUuid(path[1]);
            if (!dom) {
                fill(content, h("p", { "data-test": "no-domain" }, `No virtual server has the UUID ${path[1]}.`));
                view = { update: () => { if (model.domainByUuid(path[1])) { viewKey = null; route() } } };
                return;
            }
            view = createDomainPage(model, notifier, dom);
        } else if (path[0] === "host") {
            hostDevices = hostDevices || createHostDevices(model, notifier);
            view = hostDevices;
        } else {
            view = overview;
        }
        fill(content, view.element);
        view.update();
    }

    cockpit.addEventListener("locationchanged", route);
    model.ready.then(() => { times.model = performance.now() });
    Promise.all([model.ready, watchSuperuser()]).then(() => {
        route();
        times.shown = performance.now();
        document.body.dataset.ready = "true";
    }, error => {
        notifier.show("Connecting to zvirtd", error);
        document.body.dataset.ready = "true";
    });
    window.setInterval(() => model.sampleCpu(), CPU_SAMPLE_MS);
    // For the browser test and for curious people at the JavaScript console.
    window.zvirt = { model, view: () => view, times };
}

cockpit.transport.wait(main);
