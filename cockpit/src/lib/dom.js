// SPDX-License-Identifier: LGPL-2.1-or-later
// A small element builder: the page is plain DOM with PatternFly's classes,
// the way Cockpit's own pages look, without a framework to ship.

export function h(tag, attrs, ...children) {
    const el = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
        if (v === undefined || v === null || v === false)
            continue;
        if (k.startsWith("on") && typeof v === "function")
            el.addEventListener(k.slice(2), v);
        else if (k === "class")
            el.className = v;
        else if (k === "value")
            el.value = v;
        else
            el.setAttribute(k, v === true ? "" : String(v));
    }
    append(el, children);
    return el;
}

function append(el, children) {
    for (const c of children.flat(Infinity)) {
        if (c === undefined || c === null || c === false)
            continue;
        el.append(c instanceof Node ? c : document.createTextNode(String(c)));
    }
}

// Replaces what `el` holds.
export function fill(el, ...children) {
    el.replaceChildren();
    append(el, children);
    return el;
}

// A button whose click handler may return a promise (a D-Bus call): the
// button stays disabled until it settles, so a second click cannot send
// the call again while the first is under way.
export function button(label, onclick, { variant = "secondary", id, disabled, testid } = {}) {
    const el = h("button", { class: `pf-c-button pf-m-${variant}`, type: "button", id, disabled, "data-test": testid }, label);
    el.addEventListener("click", ev => {
        const r = onclick(ev);
        if (r && typeof r.then === "function") {
            el.disabled = true;
            el.classList.add("pf-m-in-progress");
            r.finally(() => {
                el.disabled = false;
                el.classList.remove("pf-m-in-progress");
            });
        }
    });
    return el;
}

export function card(title, ...body) {
    return h("article", { class: "pf-c-card" },
             h("div", { class: "pf-c-card__title" }, h("h2", { class: "pf-c-title pf-m-lg" }, title)),
             h("div", { class: "pf-c-card__body" }, ...body));
}

// A description list of [term, value] pairs.
export function details(pairs, testid) {
    return h("dl", { class: "pf-c-description-list pf-m-horizontal pf-m-compact", "data-test": testid },
             pairs.map(([term, value, id]) => h("div", { class: "pf-c-description-list__group" },
                                                h("dt", { class: "pf-c-description-list__term" }, h("span", { class: "pf-c-description-list__text" }, term)),
                                                h("dd", { class: "pf-c-description-list__description" },
                                                  h("div", { class: "pf-c-description-list__text", "data-test": id }, value)))));
}

export function table(headers, rows, { testid, empty = "None" } = {}) {
    if (rows.length === 0)
        return h("p", { class: "zvirt-empty", "data-test": testid }, empty);
    return h("table", { class: "pf-c-table pf-m-compact pf-m-grid-md", role: "grid", "data-test": testid },
             h("thead", {}, h("tr", {}, headers.map(x => h("th", { scope: "col" }, x)))),
             h("tbody", {}, rows));
}

export function alert(kind, title, ...body) {
    return h("div", { class: `pf-c-alert pf-m-inline pf-m-${kind}`, role: "alert" },
             h("p", { class: "pf-c-alert__title" }, title),
             body.length ? h("div", { class: "pf-c-alert__description" }, ...body) : null);
}

export function field(label, input) {
    return h("div", { class: "pf-c-form__group" },
             h("div", { class: "pf-c-form__group-label" }, h("label", { class: "pf-c-form__label" }, h("span", { class: "pf-c-form__label-text" }, label))),
             h("div", { class: "pf-c-form__group-control" }, input));
}

export function input(attrs) {
    return h("input", { class: "pf-c-form-control", type: "text", ...attrs });
}

export function select(options, attrs) {
    return h("select", { class: "pf-c-form-control", ...attrs }, options.map(([v, label]) => h("option", { value: v }, label)));
}
