// SPDX-License-Identifier: LGPL-2.1-or-later
// What the page shows, computed from D-Bus values: pure functions, so that
// node's test runner checks them without a browser (test/format.test.js).

export const BUS_NAME = "org.zvirt1";
export const MANAGER_PATH = "/org/zvirt1";
export const IFACE = {
    manager: "org.zvirt1.Manager",
    domain: "org.zvirt1.Domain",
    disk: "org.zvirt1.Disk",
    nic: "org.zvirt1.NetworkInterface",
    hostdev: "org.zvirt1.HostDevice",
    job: "org.zvirt1.Job",
    host: "org.zvirt1.Host",
    ccw: "org.zvirt1.CcwDevice",
};
export const NOT_AUTHORIZED = "org.zvirt1.Error.NotAuthorized";

const UNITS = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"];

// 268435456 -> "256 MiB"; 1610612736 -> "1.5 GiB". Numbers come as
// JavaScript numbers: exact up to 2^53 bytes, far beyond any host.
export function formatBytes(bytes) {
    let v = Number(bytes);
    if (!Number.isFinite(v) || v < 0)
        return "?";
    let i = 0;
    while (v >= 1024 && i < UNITS.length - 1) {
        v /= 1024;
        i++;
    }
    const s = Number.isInteger(v) ? String(v) : v.toFixed(1).replace(/\.0$/, "");
    return `${s} ${UNITS[i]}`;
}

// "running", "booted" -> "Running (booted)"; the reason is what libvirt's
// domstate --reason shows beside the state.
export function formatState(state, reason) {
    const s = String(state || "unknown");
    const label = s.charAt(0).toUpperCase() + s.slice(1).replace(/-/g, " ");
    return reason ? `${label} (${reason})` : label;
}

// CPU usage in percent of the domain's vCPUs between two samples of the
// CPUTime property (nanoseconds) taken at wall-clock times in milliseconds.
// null when it cannot be told (first sample, a restart reset the counter).
export function cpuPercent(prev, cur, vcpus) {
    if (!prev || !cur || !(vcpus > 0))
        return null;
    const dt = (cur.wallMs - prev.wallMs) * 1e6;
    const dc = cur.cpuNs - prev.cpuNs;
    if (dt <= 0 || dc < 0)
        return null;
    return Math.min(100, Math.max(0, (dc / dt / vcpus) * 100));
}

// The life cycle buttons a state offers; the daemon has the last word (a
// call in the wrong state is OperationInvalid, shown as any error).
const ACTIONS = {
    "shut-off": ["start", "start-paused"],
    crashed: ["start", "destroy", "reset"],
    running: ["shutdown", "reboot", "reset", "suspend", "managed-save", "destroy"],
    paused: ["resume", "shutdown", "reset", "managed-save", "destroy"],
    "in-shutdown": ["destroy"],
};

export function actionsFor(state, busyJob) {
    const a = ACTIONS[state] || [];
    // Nothing but the job's own Cancel while a job runs: the daemon answers
    // Busy to the rest.
    return busyJob ? a.filter(x => x === "destroy") : a.slice();
}

// An error from a D-Bus call as the page shows it: polkit's refusal is told
// apart so the page can point to Cockpit's administrative access.
export function describeError(error) {
    const name = (error && error.name) || "";
    let message = (error && (error.message || error.problem)) || String(error);
    if (name === NOT_AUTHORIZED || error?.problem === "access-denied")
        return { refused: true, name, message };
    return { refused: false, name, message };
}

// XML attribute text: a user's file name or bridge may hold any character.
export function xmlEscape(s) {
    return String(s).replace(/[&<>"']/g, c => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&apos;" })[c]);
}

// The <disk> of an attach form: file or block device, disk or cdrom.
export function diskXml({ source, target, device = "disk", bus = "virtio", readonly = false }) {
    if (!target || !/^(vd|sd)[a-z]{1,3}$/.test(target))
        throw new Error("The target must be vdX or sdX, for example vdb.");
    if (device !== "disk" && device !== "cdrom")
        throw new Error("The device must be disk or cdrom.");
    const type = source && source.startsWith("/dev/") ? "block" : "file";
    const src = source ? `<source ${type === "block" ? "dev" : "file"}='${xmlEscape(source)}'/>` : "";
    const ro = readonly || device === "cdrom" ? "<readonly/>" : "";
    return `<disk type='${type}' device='${device}'><driver name='qemu' type='raw'/>${src}` +
        `<target dev='${xmlEscape(target)}' bus='${xmlEscape(bus)}'/>${ro}</disk>`;
}

// The <interface> of an attach form: a bridge, or macvtap on a host link.
export function nicXml({ type, source, mode = "bridge", mac }) {
    if (!source)
        throw new Error("Name the bridge or the host link.");
    const m = mac ? `<mac address='${xmlEscape(mac)}'/>` : "";
    if (type === "bridge")
        return `<interface type='bridge'>${m}<source bridge='${xmlEscape(source)}'/><model type='virtio'/></interface>`;
    if (type === "direct")
        return `<interface type='direct'>${m}<source dev='${xmlEscape(source)}' mode='${xmlEscape(mode)}'/>` +
            "<model type='virtio'/></interface>";
    throw new Error("The type must be bridge or direct.");
}

// The <hostdev> of a SCSI tape or changer: host adapter scsi_hostN and
// bus:target:unit ("0:0:0:1" from lsscsi is host:bus:target:unit).
export function hostdevXml({ adapter, address }) {
    if (!/^scsi_host[0-9]+$/.test(adapter || ""))
        throw new Error("The adapter must be scsi_hostN.");
    const m = /^([0-9]+):([0-9]+):([0-9]+)$/.exec(address || "");
    if (!m)
        throw new Error("The address must be bus:target:unit, for example 0:0:1.");
    return "<hostdev mode='subsystem' type='scsi'><source>" +
        `<adapter name='${adapter}'/><address bus='${m[1]}' target='${m[2]}' unit='${m[3]}'/>` +
        "</source></hostdev>";
}

// Where a device call applies: to the running guest when it runs, and to
// the stored definition when the user asks for it (virsh --live --config).
export function scopeOptions(state, persistent, inDefinition) {
    const active = state !== "shut-off";
    const o = {};
    if (active)
        o.live = true;
    if (!active || (persistent && inDefinition))
        o.config = true;
    return o;
}

// A job's progress in percent, or null when it cannot be told yet.
export function jobPercent(job) {
    const total = Number(job?.DataTotal || 0);
    if (!(total > 0))
        return null;
    return Math.min(100, Math.floor((Number(job.DataProcessed || 0) / total) * 100));
}

// Device objects live under their domain's path.
export function isChildOf(path, parent) {
    return path.startsWith(parent + "/");
}

// A whole number typed into a form, from min to max; an Error that says
// so otherwise (D-Bus's u and t take nothing else).
export function parseCount(text, min, max, what) {
    const t = String(text).trim();
    if (!/^[0-9]+$/.test(t) || Number(t) < min || Number(t) > max)
        throw new Error(`${what} must be a whole number from ${min} to ${max}.`);
    return Number(t);
}
