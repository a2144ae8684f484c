// The manifest's USB devices (issue #16): the top-level `usb:` list names each device the
// host is to find, by vendor:product (`device`), iSerialNumber (`serial`) and/or bus-port
// path (`path`); every one given must match. A device's id is its place in the list. A
// service's `usb:` grants name a device and its rights (read = IN transfers, write = OUT).
// Here: the leaf parsers of those fields and the cross-field rules — at least one matcher,
// unique names, no two devices that one plugged-in device could both match by path or by
// the same matchers, grants that name a device, each device granted to at most one service.
// Deliberately not here: matching a real device (the host's USB backend does that with
// HostPlan.usb) and which host may run it (loader/image/compose.ts refuses `usb:`).
// Called by schema.ts and check.ts.
import { FieldPath } from "./issues";
import { USB_PATH_PORTS_MAX, USB_SERIAL_MAX } from "./limits";
import { Report, entries, name, references, unique } from "./raw";
import * as V from "./values";

/** A `device: "46f4:0001"` matcher: the USB vendor and product ids (idVendor, idProduct). */
export interface UsbId { vendor: number; product: number; }

/** "46f4:0001": four hex digits, a colon, four hex digits (as lsusb prints them). */
export function usbId(v: unknown): UsbId {
  const help = `write the vendor and product ids as lsusb prints them, 4 hex digits each, e.g. "46f4:0001"`;
  if (typeof v !== "string") throw new V.ValueError(`${V.show(v)} is not a vendor:product pair; ${help} (in quotes)`);
  const m = /^([0-9a-fA-F]{4}):([0-9a-fA-F]{4})$/.exec(v);
  if (!m) throw new V.ValueError(`${V.show(v)} is not a vendor:product pair; ${help}`);
  return { vendor: parseInt(m[1], 16), product: parseInt(m[2], 16) };
}

/** The iSerialNumber string, compared exactly: 1 to USB_SERIAL_MAX printable ASCII
 *  characters (0x20..0x7e). The hosts read the string differently past ASCII (the Node
 *  host's libusb turns a non-ASCII character into '?', metal decodes UTF-16), so a serial
 *  outside it could match on one host and not the other. */
export function usbSerial(v: unknown): string {
  const help = `write the device's serial number as text in quotes, e.g. "1-0000:00:04.0-1"`;
  if (typeof v !== "string") throw new V.ValueError(`${V.show(v)} is not text; ${help} (a number loses its leading zeros)`);
  if (v.length === 0 || v.length > USB_SERIAL_MAX) {
    throw new V.ValueError(`${V.show(v)} is ${v.length} characters; a USB string descriptor holds 1 to ${USB_SERIAL_MAX}`);
  }
  const bad = /[^\x20-\x7e]/.exec(v);
  if (bad) {
    const c = bad[0].codePointAt(0)!;
    throw new V.ValueError(`${V.show(v)} has the character U+${c.toString(16).padStart(4, "0")} at ${bad.index}: a serial is printable ASCII only ` +
      `(0x20..0x7e; hosts read other characters differently); match this device by device or path instead, or ${help.slice(0, 1).toLowerCase()}${help.slice(1)}`);
  }
  return v;
}

/** "1-1", "2-3.4": the bus number, a dash, then the port on the root hub and on each hub
 *  below it, joined by dots (Linux's sysfs names; libusb_get_port_numbers). Each 1..255. */
export function usbPath(v: unknown): string {
  const help = `write the bus, a dash and the ports joined by dots, e.g. "1-1" (bus 1, port 1) or "1-1.2" (port 2 of the hub there)`;
  if (typeof v !== "string") throw new V.ValueError(`${V.show(v)} is not a bus-port path; ${help}`);
  const m = /^(\d{1,3})-(\d{1,3}(?:\.\d{1,3})*)$/.exec(v);
  const parts = m ? [m[1], ...m[2].split(".")] : [];
  const numbers = parts.map(Number);
  if (!m || numbers.some((n, i) => n < 1 || n > 255 || String(n) !== parts[i])) {
    throw new V.ValueError(`${V.show(v)} is not a bus-port path; ${help}, each number 1 to 255 without leading zeros`);
  }
  if (numbers.length - 1 > USB_PATH_PORTS_MAX) {
    throw new V.ValueError(`${V.show(v)} goes through ${numbers.length - 1} ports; USB allows at most ${USB_PATH_PORTS_MAX} (libusb_get_port_numbers)`);
  }
  return v;
}

/** The rules on raw `usb:` entries and services' `usb:` grants (see the file's head). */
export function usbRules(raw: unknown, report: Report): void {
  const devices = entries(raw, "usb");
  unique(devices.map((d, i) => ({ key: name(d, "name"), at: ["usb", i, "name"], label: `usb[${i}]` })),
    (first) => `is already the name of ${first}; USB device names must be unique`, report);
  devices.forEach((d, i) => {
    if (d.device === undefined && d.serial === undefined && d.path === undefined) {
      report(["usb", i], `says nothing to find the device by; give at least one of device (vendor:product, e.g. "46f4:0001"), ` +
        `serial (its iSerialNumber) or path (bus-port, e.g. "1-1")`);
    }
  });
  unique(devices.map((d, i) => ({ key: V.tryParse(usbPath, d.path), at: ["usb", i, "path"], label: `usb[${i}]` })),
    (first) => `is already the path of ${first}; one port holds one device`, report);
  unique(devices.map((d, i) => ({ key: matchers(d), at: ["usb", i], label: `usb[${i}]` })),
    (first) => `matches exactly what ${first} matches, so one device would fit both; tell them apart by serial or path`, report);
  const names = devices.map((d) => name(d, "name")).filter((s): s is string => s !== null);
  const grants: { key: string | null; at: FieldPath; label: string }[] = [];
  entries(raw, "services").forEach((s, i) => entries(s, "usb").forEach((g, j) => {
    const at: FieldPath = ["services", i, "usb", j, "device"];
    references("USB device", names, name(g, "device"), at, report);
    grants.push({ key: name(g, "device"), at, label: `services[${i}]` + (typeof s.domain === "string" ? ` (${s.domain})` : "") });
  }));
  unique(grants, (first) => `is already granted to ${first}; a USB device is granted whole to one service, once`, report);
}

/** The matchers of a raw entry, normalised, as one key; null when none is given or one
 *  given does not parse (the schema reports that). */
function matchers(d: Record<string, unknown>): string | null {
  const id = V.tryParse(usbId, d.device), serial = V.tryParse(usbSerial, d.serial), path = V.tryParse(usbPath, d.path);
  if ((id === null) !== (d.device === undefined) || (serial === null) !== (d.serial === undefined)) return null;
  if ((path === null) !== (d.path === undefined) || (id === null && serial === null && path === null)) return null;
  return JSON.stringify([id && [id.vendor, id.product], serial, path]);
}
