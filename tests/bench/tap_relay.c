// The router benchmark's yardstick (tests/bench/router.ts, issue #17): the least a user-space
// forwarder between two TAP devices can do. It opens both TAPs as the node's TAP backend
// does (hosts/node/nic/tap.ts: IFF_TAP | IFF_NO_PI | IFF_VNET_HDR, a 10-byte vnet header, the
// same offloads), and for each frame it reads from one it rewrites the two Ethernet addresses
// and writes the frame, vnet header and all, to the other: one read() and one write() a
// frame, a GSO super-frame passed on whole, nothing checked, no route looked up, no hop
// limit. A single-threaded TAP router that makes one read() and one write() a frame does at
// least this, so what this reaches on a machine is the yardstick for such a router there
// (spec/performance.md "A yardstick for the TAP router" says how far it bounds others).
// Built by `npm run build` (cli/build.ts) to build/bench/tap_relay when a C compiler is
// there; not part of any host.
//
// tap_relay <tap a> <tap b> <relay mac on a> <relay mac on b> <peer mac on a> <peer mac on b>
// Opens the TAPs (made if they do not exist, as the node's backend does), prints "ready",
// relays until SIGTERM or SIGINT, then prints to stderr the frames relayed each way (written
// whole), the writes that failed and the frames too long to read whole; exit 0. A TAP that
// fails (deleted, an error other than EAGAIN) ends it with exit 1 and a line saying which.
#include <errno.h>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#define VNET_HDR 10          /* sizeof(struct virtio_net_hdr), as TUNSETVNETHDRSZ is given */
#define ETH_ADDRS 12         /* destination and source MAC */
#define BURST 64             /* frames read from one TAP before looking at the other */
/* The longest frame a TAP hands over: a vnet header, Ethernet with a VLAN tag, the IPv6
 * header and a 65,535-byte payload (a GSO super-frame); one byte more to tell a frame that
 * was cut (tun truncates a read into a shorter buffer) from one that fit. */
#define FRAME_MAX (VNET_HDR + 18 + 40 + 0xffff)
#ifndef TUN_F_USO4
#define TUN_F_USO4 0x20      /* <linux/if_tun.h> since Linux 6.2 */
#define TUN_F_USO6 0x40
#endif

static void die(const char *what, const char *name) {
  fprintf(stderr, "tap_relay: %s %s: %s\n", what, name, strerror(errno));
  exit(1);
}

/* The TAP named name, non-blocking, with a vnet header and the offloads the node asks for
 * (checksum, TCP and UDP segmentation; without UDP on a Linux before 6.2). */
static int open_tap(const char *name) {
  int fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK);
  if (fd < 0) die("cannot open /dev/net/tun for", name);
  struct ifreq ifr;
  memset(&ifr, 0, sizeof ifr);
  ifr.ifr_flags = IFF_TAP | IFF_NO_PI | IFF_VNET_HDR;
  if (strlen(name) >= IFNAMSIZ) { errno = ENAMETOOLONG; die("bad interface name", name); }
  strcpy(ifr.ifr_name, name);
  if (ioctl(fd, TUNSETIFF, &ifr) < 0) die("TUNSETIFF", name);
  int size = VNET_HDR;
  if (ioctl(fd, TUNSETVNETHDRSZ, &size) < 0) die("TUNSETVNETHDRSZ", name);
  unsigned long tries[] = { TUN_F_CSUM | TUN_F_TSO6 | TUN_F_USO4 | TUN_F_USO6, TUN_F_CSUM | TUN_F_TSO6 };
  for (unsigned i = 0; i < 2; i++) if (ioctl(fd, TUNSETOFFLOAD, tries[i]) == 0) return fd;
  die("TUNSETOFFLOAD", name);
  return -1;
}

static void mac(const char *s, unsigned char *m) {
  unsigned v[6];
  char end;
  if (sscanf(s, "%x:%x:%x:%x:%x:%x%c", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &end) != 6 ||
      v[0] > 0xff || v[1] > 0xff || v[2] > 0xff || v[3] > 0xff || v[4] > 0xff || v[5] > 0xff) {
    fprintf(stderr, "tap_relay: \"%s\" is not a MAC address (six hex bytes with colons)\n", s);
    exit(2);
  }
  for (int i = 0; i < 6; i++) m[i] = (unsigned char)v[i];
}

static volatile sig_atomic_t stopping;
static void on_signal(int s) { (void)s; stopping = 1; }

int main(int argc, char **argv) {
  if (argc != 7) {
    fprintf(stderr, "usage: tap_relay <tap a> <tap b> <relay mac on a> <relay mac on b> <peer mac on a> <peer mac on b>\n");
    return 2;
  }
  /* addrs[s]: what a frame written to TAP s carries: the peer's MAC, then the relay's. */
  unsigned char addrs[2][ETH_ADDRS];
  mac(argv[5], addrs[0]); mac(argv[3], addrs[0] + 6);
  mac(argv[6], addrs[1]); mac(argv[4], addrs[1] + 6);
  int fd[2] = { open_tap(argv[1]), open_tap(argv[2]) };
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_signal;            /* no SA_RESTART: poll() returns EINTR */
  if (sigaction(SIGTERM, &sa, NULL) < 0 || sigaction(SIGINT, &sa, NULL) < 0) die("sigaction for", argv[0]);
  printf("ready\n");
  fflush(stdout);
  static unsigned char buf[FRAME_MAX + 1];
  unsigned long relayed[2] = { 0, 0 }, failed = 0, cut = 0;
  struct pollfd p[2] = { { fd[0], POLLIN, 0 }, { fd[1], POLLIN, 0 } };
  while (!stopping) {
    if (poll(p, 2, 200) < 0) {
      if (errno == EINTR) continue;
      die("poll on", argv[1]);
    }
    for (int s = 0; s < 2; s++) {
      if (p[s].revents & (POLLERR | POLLHUP | POLLNVAL)) { errno = EIO; die("the TAP failed:", argv[1 + s]); }
      if (!(p[s].revents & POLLIN)) continue;
      int d = 1 - s;
      for (int k = 0; k < BURST; k++) {
        ssize_t n = read(fd[s], buf, sizeof buf);
        if (n < 0) {
          if (errno == EAGAIN || errno == EINTR) break;  /* drained (or a signal: the loop looks) */
          die("read from", argv[1 + s]);
        }
        if (n < VNET_HDR + 14) continue;               /* no Ethernet header */
        if (n > FRAME_MAX) { cut++; continue; }        /* longer than any frame: not whole */
        memcpy(buf + VNET_HDR, addrs[d], ETH_ADDRS);
        if (write(fd[d], buf, (size_t)n) == n) relayed[s]++;
        else failed++;
      }
    }
  }
  fprintf(stderr, "tap_relay: relayed %lu frames a to b, %lu b to a; %lu writes failed, %lu frames too long\n",
    relayed[0], relayed[1], failed, cut);
  return 0;
}
