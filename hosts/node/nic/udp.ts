// One UDP socket bound for a NIC that carries its frames in datagrams (vxlan.ts,
// wireguard.ts): bound, or refused with the NIC, the endpoint and the NIC's own advice.
import * as dgram from "dgram";

/** A udp6 socket bound to [address]:port. A failure rejects with where, the endpoint, the
 *  error code and advice(e), what a person can do about it. */
export function bindUdp(where: string, address: string, port: number, ipv6Only: boolean,
  advice: (e: NodeJS.ErrnoException) => string): Promise<dgram.Socket> {
  return new Promise((resolve, reject) => {
    const socket = dgram.createSocket({ type: "udp6", ipv6Only });
    const failed = (e: NodeJS.ErrnoException): void => {
      socket.close();
      reject(new Error(`${where}: cannot bind [${address}]:${port} (${e.code}): ${advice(e)}`));
    };
    socket.once("error", failed);
    socket.bind(port, address, () => {
      socket.off("error", failed);
      resolve(socket);
    });
  });
}
