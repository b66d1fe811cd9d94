/* udp_echo: the UDP ceiling for one thread. A minimal single-threaded epoll echo over UDP that
 * bench/run measures every other UDP server against, as epoll_echo is for TCP; it lives in
 * bench/, not in the product, and has no options beyond the port.
 *
 *   udp_echo PORT          binds 127.0.0.1:PORT over UDP (0 picks a free port) and prints
 *                          "listening on 127.0.0.1:PORT (udp)" on stderr once it receives
 *
 * What makes it careful, and therefore a fair ceiling:
 *   - one socket, edge-triggered; each readable edge drains it with recvmmsg in batches of 64
 *     datagrams into 64 buffers of 64 KiB allocated once (no allocation per datagram), and each
 *     batch goes back to its sources with one sendmmsg before the next is received;
 *   - a batch that comes back short means the queue was empty, so there is no extra recvmmsg
 *     that would return EAGAIN: the next datagram raises a new edge;
 *   - every datagram is echoed byte-exact, empty ones too; one the buffer cut (MSG_TRUNC: cannot
 *     happen with 64 KiB buffers, the largest UDP payload being 65,507 bytes) is dropped, never
 *     echoed cut;
 *   - a reply the socket does not take (EAGAIN: send buffer full) is dropped, as UDP may: nothing
 *     is queued, so memory stays bounded whatever the load;
 *   - SIGTERM or SIGINT closes the socket and exits 0. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <unistd.h>

enum { batch = 64, datagram_size = 64 * 1024, max_events = 4 };

static char buffers[batch][datagram_size];
static struct iovec iovs[batch];
static struct sockaddr_in sources[batch];
static struct mmsghdr received[batch];
static struct mmsghdr replies[batch];
static int epoll_fd;

static void die(const char *what) {
  fprintf(stderr, "udp_echo: %s: %s\n", what, strerror(errno));
  exit(1);
}

static void watch(int fd) {
  struct epoll_event ev;
  memset(&ev, 0, sizeof ev);
  ev.events = EPOLLIN | EPOLLET;
  ev.data.fd = fd;
  if (epoll_ctl(epoll_fd, EPOLL_CTL_ADD, fd, &ev) != 0) die("epoll_ctl");
}

/* recvmmsg overwrites msg_namelen and msg_len: the headers are set again before every batch. */
static void prepare_batch(void) {
  for (int i = 0; i < batch; ++i) {
    iovs[i].iov_base = buffers[i];
    iovs[i].iov_len = datagram_size;
    memset(&received[i], 0, sizeof received[i]);
    received[i].msg_hdr.msg_name = &sources[i];
    received[i].msg_hdr.msg_namelen = sizeof sources[i];
    received[i].msg_hdr.msg_iov = &iovs[i];
    received[i].msg_hdr.msg_iovlen = 1;
  }
}

/* Sends the first N replies; a reply the kernel refuses (EAGAIN or any other error: a UDP
 * send fails only for that datagram) is dropped and the rest go on. */
static void send_replies(int fd, int n) {
  int done = 0;
  while (done < n) {
    int sent = sendmmsg(fd, replies + done, (unsigned)(n - done), 0);
    if (sent < 0) {
      if (errno == EINTR) continue;
      ++done; /* the first of the rest could not be sent: drop it */
      continue;
    }
    done += sent;
  }
}

static void on_readable(int fd) {
  for (;;) {
    prepare_batch();
    int n = recvmmsg(fd, received, batch, MSG_DONTWAIT, NULL);
    if (n < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK) return;
      continue; /* EINTR, or a pending socket error: reported once, so receive on */
    }
    int replying = 0;
    for (int i = 0; i < n; ++i) {
      if (received[i].msg_hdr.msg_flags & MSG_TRUNC) continue;
      iovs[i].iov_len = received[i].msg_len;
      replies[replying].msg_hdr = received[i].msg_hdr;
      replies[replying].msg_hdr.msg_flags = 0;
      replies[replying].msg_len = 0;
      ++replying;
    }
    send_replies(fd, replying);
    /* A short batch found the queue empty: the next datagram raises a new edge. */
    if (n < batch) return;
  }
}

static int open_socket(const char *port_text) {
  char *end = NULL;
  long port = strtol(port_text, &end, 10);
  if (*port_text == '\0' || *end != '\0' || port < 0 || port > 65535) {
    fprintf(stderr, "udp_echo: invalid port '%s'\n", port_text);
    exit(2);
  }
  int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) die("socket");
  struct sockaddr_in addr;
  memset(&addr, 0, sizeof addr);
  addr.sin_family = AF_INET;
  addr.sin_port = htons((uint16_t)port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (bind(fd, (struct sockaddr *)&addr, sizeof addr) != 0) die("bind");
  socklen_t len = sizeof addr;
  if (getsockname(fd, (struct sockaddr *)&addr, &len) != 0) die("getsockname");
  fprintf(stderr, "listening on 127.0.0.1:%u (udp)\n", (unsigned)ntohs(addr.sin_port));
  fflush(stderr);
  return fd;
}

/* SIGTERM and SIGINT arrive as readable events on a signalfd, so the loop ends without a race. */
static int open_signals(void) {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  if (sigprocmask(SIG_BLOCK, &set, NULL) != 0) die("sigprocmask");
  int fd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
  if (fd < 0) die("signalfd");
  return fd;
}

int main(int argc, char *argv[]) {
  if (argc != 2) {
    fprintf(stderr, "usage: udp_echo PORT\n");
    return 2;
  }
  int signals = open_signals();
  epoll_fd = epoll_create1(EPOLL_CLOEXEC);
  if (epoll_fd < 0) die("epoll_create1");
  int sock = open_socket(argv[1]);
  watch(sock);
  watch(signals);

  struct epoll_event events[max_events];
  for (;;) {
    int n = epoll_wait(epoll_fd, events, max_events, -1);
    if (n < 0) {
      if (errno == EINTR) continue;
      die("epoll_wait");
    }
    for (int i = 0; i < n; ++i) {
      if (events[i].data.fd == signals) goto stop;
      on_readable(sock);
    }
  }
stop:
  close(sock);
  close(signals);
  close(epoll_fd);
  return 0;
}
