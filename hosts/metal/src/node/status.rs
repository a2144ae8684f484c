// The status lines the node prints on the serial console, as the wasmtime image prints them
// on stdout (hosts/wasi/status.ts and vxlan.ts printHostLine; abi/image.ts): first
// IMG_HOST_PREFIX and what the host knows as JSON (each NIC's device counters, each
// service's memory in pages), then IMG_STATUS_PREFIX and the kernel's status snapshot
// (k_status, Buf.STATUS) in base64. `persia status --from serial.log` reads the last pair.
// Also the NIC counters printed once when the node stops. Allocates nothing.
use super::host::Host;
use super::out::put_base64;
use crate::abi::bridge::KernelExports;
use crate::abi::*;
use crate::{print, println};
use wasmtime::{Result, Store};

/// The host line: {"nics":[{"id","backend","counters":{...}}],"services":[{"id","ram_pages"}]}.
pub fn print_host_line(store: &Store<Host>) {
    let h = store.data();
    print!("{IMG_HOST_PREFIX}{{\"nics\":[");
    let mut first = true;
    for (id, n) in h.nics.iter().enumerate() {
        let Some(n) = n else { continue };
        let s = n.stats;
        print!(
            "{}{{\"id\":{id},\"backend\":\"metal-virtio\",\"counters\":{{\"rx_frames\":{},\"tx_frames\":{},\"send_errors\":{},\"rx_dropped\":{},\"tx_busy\":{},\"rx_too_long\":{}}}}}",
            if first { "" } else { "," },
            s.rx, s.tx, h.send_errors[id], s.rx_dropped, s.tx_busy, h.rx_too_long[id]
        );
        first = false;
    }
    print!("],\"services\":[");
    // Only the ids the image has a place for: a node of ten services prints ten, not SVC_MAX.
    let mut first = true;
    for svc in (0..SVC_MAX).filter(|&i| h.services.places[i].is_some()) {
        print!("{}{{\"id\":{svc},\"ram_pages\":{}}}", if first { "" } else { "," }, h.services.pages(svc, h.active));
        first = false;
    }
    println!("]}}");
}

/// The status line: the kernel's snapshot, base64.
pub fn print_status(store: &mut Store<Host>, k: &KernelExports) -> Result<()> {
    let len = k.k_status.call(&mut *store, ())? as u32 as usize;
    let at = k.k_buf.call(&mut *store, Buf::STATUS as i32)? as u32 as usize;
    let memory = store.data().memory.expect("the kernel's memory is known after instantiation");
    let bytes = memory.data(&*store);
    print!("{IMG_STATUS_PREFIX}");
    // A length past its buffer is a kernel bug: the line ends short, as the image's does.
    put_base64(bytes.get(at..at.saturating_add(len)).unwrap_or(&[]));
    println!();
    Ok(())
}

/// What each NIC did, when the node stops (the image's printCounters).
pub fn print_counters(store: &Store<Host>) {
    let h = store.data();
    for (id, n) in h.nics.iter().enumerate() {
        if let Some(n) = n {
            let s = n.stats;
            println!(
                "persia-metal: NIC {id} (virtio-net {}): received {} frames, sent {}, {} send errors, {} dropped by the device, {} sends found the ring full",
                n.index, s.rx, s.tx, h.send_errors[id], s.rx_dropped, s.tx_busy
            );
        }
    }
}
