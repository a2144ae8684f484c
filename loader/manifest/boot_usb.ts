// The USB records of the boot manifest (abi/manifest.ts USB and CAP_USB; issue #16) as
// TypeScript values, with their encoder and decoder; boot.ts puts USBs after the DISKs and
// CAP_USBs after the CAP_DISKs (each after what it names) and frames them. A USB record
// tells the kernel only that device id exists: how the host finds it (vendor:product,
// serial, path) is in the HostPlan, never in the boot manifest. Deliberately no meaning
// checks (a device granted once, ...): compile.ts emits only what usb.ts accepted, and the
// kernel checks again. Called by boot.ts.
import * as M from "../../abi/manifest";

/** A USB record: device id (its place in the manifest's usb: list). */
export interface BootUsb { id: number; }
/** A CAP_USB record: device usb granted to service svc with rights (abi/caps.ts RIGHT_*). */
export interface BootCapUsb { svc: number; usb: number; rights: number; }
export interface BootUsbs { usbs?: BootUsb[]; capUsbs?: BootCapUsb[]; }

type Body = (size: number, fill: (v: DataView, b: Uint8Array) => void) => Uint8Array;

export function usbRecordList(m: BootUsbs, body: Body): [M.Rec, Uint8Array][] {
  return (m.usbs ?? []).map((u): [M.Rec, Uint8Array] => [M.Rec.USB, body(M.USB_SIZE, (v) => v.setUint8(M.USB_ID, u.id))]);
}

export function capUsbRecordList(m: BootUsbs, body: Body): [M.Rec, Uint8Array][] {
  return (m.capUsbs ?? []).map((c): [M.Rec, Uint8Array] => [M.Rec.CAP_USB, body(M.CU_SIZE, (v) => {
    v.setUint16(M.CU_SVC, c.svc, true); v.setUint8(M.CU_USB, c.usb); v.setUint8(M.CU_RIGHTS, c.rights);
  })]);
}

export const USB_FIXED: Partial<Record<M.Rec, number>> = { [M.Rec.USB]: M.USB_SIZE, [M.Rec.CAP_USB]: M.CU_SIZE };
// Reserved bytes that must be zero: the "0" fields of abi/manifest.ts.
export const USB_ZERO: Partial<Record<M.Rec, number[]>> = {
  [M.Rec.USB]: [M.USB_ID + 1, M.USB_ID + 2, M.USB_ID + 3],
  [M.Rec.CAP_USB]: [],   // service u16, usb u8, rights u8: no reserved byte since manifest version 2
};

/** Adds record `b` of a USB type to `m`; false for any other type. Lengths and reserved
 *  bytes are checked by the caller (USB_FIXED, USB_ZERO). */
export function decodeUsbRecord(m: Required<BootUsbs>, type: M.Rec, b: Uint8Array): boolean {
  if (type === M.Rec.USB) m.usbs.push({ id: b[M.USB_ID] });
  else if (type === M.Rec.CAP_USB) m.capUsbs.push({ svc: b[M.CU_SVC] | (b[M.CU_SVC + 1] << 8), usb: b[M.CU_USB], rights: b[M.CU_RIGHTS] });
  else return false;
  return true;
}
