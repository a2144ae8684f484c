// Error codes a syscall returns to a service (as -Errno.X) and the kernel returns
// to a host (as -Errno.X from k_boot). One table for the kernel, services and hosts;
// this file is valid AssemblyScript and TypeScript, so it holds only the enum.
// Person-readable texts live in abi/describe.ts (TypeScript only).
export enum Errno {
  OK = 0,
  EPERM = 1,         // the capability does not grant this right
  ENOENT = 2,        // no such service, address, name or handle index
  EBADF = 3,         // the handle is not a live capability of this service
  EINVAL = 4,        // an argument is malformed (length, rights, flags)
  EAGAIN = 5,        // nothing to receive now, or a control message without its cookie; try again
  EMSGSIZE = 6,      // the packet is larger than the path MTU; never fragmented
  ENOSPC = 7,        // a fixed table or queue is full
  EFAULT = 8,        // a pointer or range lies outside the service's memory
  EHOSTUNREACH = 9,  // no route to the destination
  EADDRNOTAVAIL = 10,// the source address is not one this service owns
  ERANGE = 11,       // an offset or length lies outside the granted extent
  EIO = 12,          // the host's device reported an error
  ENOSYS = 13,       // no such syscall number
  EBADMSG = 14,      // a record in a binary input (boot manifest) is malformed
  EEXIST = 15,       // a name or address is already taken
  ENODEV = 16,       // no such NIC or disk
  EACCES = 17,       // a control message's signer may not act on this domain, or its signature fails
  ESTALE = 18,       // a control message's epoch or sequence number is old (a replay)
  EDQUOT = 19,       // admission: the mins would not fit what the node has left; or over a user's quota
  ENOTSUP = 20,      // the host cannot do this (the wasmtime image cannot take a module at run time)
  ETIMEDOUT = 21,    // a USB transfer did not finish within its timeout
  EPIPE = 22,        // a USB endpoint stalled (clear the halt before the next transfer)
  ECANCELED = 23,    // a USB transfer was cancelled (usb_cancel, or its service stopped)
  EOVERFLOW = 24,    // a USB device sent more than the transfer asked for (babble)
}
