/* epoll_echo: the ceiling for one thread. A minimal single-threaded, edge-triggered epoll echo
 * server that bench/run measures every other server against; it lives in bench/, not in the
 * product, and has no options beyond the port.
 *
 *   epoll_echo PORT        listens on 127.0.0.1:PORT (0 picks a free port) and prints
 *                          "listening on 127.0.0.1:PORT" on stderr once it accepts connections
 *
 * What makes it careful, and therefore a fair ceiling:
 *   - one shared read buffer; a connection owns memory only while a write of its is pending;
 *   - read until EAGAIN, but a read that returns fewer bytes than asked means the socket is
 *     drained for edge-triggered purposes, so there is no extra read that would return EAGAIN
 *     (unless the event says the client has shut down: then read on to the end of stream);
 *   - each read is written back at once; only bytes the socket did not take are kept, and only
 *     then is EPOLLOUT registered (never while nothing is pending);
 *   - while a connection has unsent bytes it is not read (backpressure: TCP pushes back on the
 *     client instead of the server buffering);
 *   - TCP_NODELAY on every accepted socket; SIGTERM or SIGINT closes everything and exits 0. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <unistd.h>

enum { read_size = 64 * 1024, max_events = 256 };

/* Per-connection state, indexed by descriptor: empty unless a write is pending. */
struct conn {
  char *pending; /* bytes the socket did not take yet, malloc'd; NULL when none */
  size_t length; /* bytes in pending */
  size_t offset; /* bytes of pending already sent */
};

static struct conn *conns;
static size_t conn_capacity;
static char read_buffer[read_size];
static int epoll_fd;

static void die(const char *what) {
  fprintf(stderr, "epoll_echo: %s: %s\n", what, strerror(errno));
  exit(1);
}

static void watch(int op, int fd, uint32_t events) {
  struct epoll_event ev;
  memset(&ev, 0, sizeof ev);
  ev.events = events | EPOLLET;
  ev.data.fd = fd;
  if (epoll_ctl(epoll_fd, op, fd, &ev) != 0) die("epoll_ctl");
}

static void close_conn(int fd) {
  free(conns[fd].pending);
  memset(&conns[fd], 0, sizeof conns[fd]);
  close(fd); /* also removes it from the epoll set */
}

/* Keeps what send() did not take and waits for writability instead of readability. */
static int keep_pending(int fd, const char *data, size_t n) {
  struct conn *c = &conns[fd];
  c->pending = malloc(n);
  if (c->pending == NULL) return -1;
  memcpy(c->pending, data, n);
  c->length = n;
  c->offset = 0;
  watch(EPOLL_CTL_MOD, fd, EPOLLOUT);
  return 0;
}

/* peer_done: the event carried EPOLLRDHUP. A FIN queued behind data does not raise an edge of its
 * own, so when the client has shut down we read on past a short read to see the end of stream. */
static void on_readable(int fd, int peer_done) {
  for (;;) {
    ssize_t n = read(fd, read_buffer, sizeof read_buffer);
    if (n == 0) {
      close_conn(fd); /* the client is done: nothing is pending, since we were reading */
      return;
    }
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno != EAGAIN && errno != EWOULDBLOCK) close_conn(fd);
      return;
    }
    ssize_t sent = send(fd, read_buffer, (size_t)n, MSG_NOSIGNAL);
    if (sent < 0) {
      if (errno != EAGAIN && errno != EWOULDBLOCK) {
        close_conn(fd);
        return;
      }
      sent = 0;
    }
    if (sent < n) {
      if (keep_pending(fd, read_buffer + sent, (size_t)(n - sent)) != 0) close_conn(fd);
      return; /* stop reading until the pending bytes are gone */
    }
    /* A short read drained the receive queue: new data, or a FIN, will raise a new edge. */
    if ((size_t)n < sizeof read_buffer && !peer_done) return;
  }
}

static void on_writable(int fd) {
  struct conn *c = &conns[fd];
  while (c->offset < c->length) {
    ssize_t sent = send(fd, c->pending + c->offset, c->length - c->offset, MSG_NOSIGNAL);
    if (sent < 0) {
      if (errno == EINTR) continue;
      if (errno != EAGAIN && errno != EWOULDBLOCK) close_conn(fd);
      return;
    }
    c->offset += (size_t)sent;
  }
  free(c->pending);
  memset(c, 0, sizeof *c);
  /* Back to reading. EPOLL_CTL_MOD re-checks readiness, so data that arrived while we were not
   * reading raises an event without an extra read here. */
  watch(EPOLL_CTL_MOD, fd, EPOLLIN | EPOLLRDHUP);
}

static void on_acceptable(int listener) {
  for (;;) {
    int fd = accept4(listener, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EINTR || errno == ECONNABORTED) continue;
      /* EAGAIN: drained. EMFILE and others: give up on this edge; the next arrival raises one. */
      return;
    }
    if ((size_t)fd >= conn_capacity) {
      close(fd);
      continue;
    }
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    watch(EPOLL_CTL_ADD, fd, EPOLLIN | EPOLLRDHUP);
  }
}

static int open_listener(const char *port_text) {
  char *end = NULL;
  long port = strtol(port_text, &end, 10);
  if (*port_text == '\0' || *end != '\0' || port < 0 || port > 65535) {
    fprintf(stderr, "epoll_echo: invalid port '%s'\n", port_text);
    exit(2);
  }
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) die("socket");
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  struct sockaddr_in addr;
  memset(&addr, 0, sizeof addr);
  addr.sin_family = AF_INET;
  addr.sin_port = htons((uint16_t)port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (bind(fd, (struct sockaddr *)&addr, sizeof addr) != 0) die("bind");
  if (listen(fd, SOMAXCONN) != 0) die("listen");
  socklen_t len = sizeof addr;
  if (getsockname(fd, (struct sockaddr *)&addr, &len) != 0) die("getsockname");
  fprintf(stderr, "listening on 127.0.0.1:%u\n", (unsigned)ntohs(addr.sin_port));
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

/* One slot per possible descriptor: raise the soft limit to the hard one (10,000 idle clients). */
static void size_table(void) {
  struct rlimit limit;
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0) die("getrlimit");
  limit.rlim_cur = limit.rlim_max;
  setrlimit(RLIMIT_NOFILE, &limit);
  getrlimit(RLIMIT_NOFILE, &limit);
  conn_capacity = limit.rlim_cur == RLIM_INFINITY ? 1u << 20 : (size_t)limit.rlim_cur;
  conns = calloc(conn_capacity, sizeof *conns);
  if (conns == NULL) die("calloc");
}

int main(int argc, char *argv[]) {
  if (argc != 2) {
    fprintf(stderr, "usage: epoll_echo PORT\n");
    return 2;
  }
  size_table();
  int signals = open_signals();
  epoll_fd = epoll_create1(EPOLL_CLOEXEC);
  if (epoll_fd < 0) die("epoll_create1");
  int listener = open_listener(argv[1]);
  watch(EPOLL_CTL_ADD, listener, EPOLLIN);
  watch(EPOLL_CTL_ADD, signals, EPOLLIN);

  struct epoll_event events[max_events];
  for (;;) {
    int n = epoll_wait(epoll_fd, events, max_events, -1);
    if (n < 0) {
      if (errno == EINTR) continue;
      die("epoll_wait");
    }
    for (int i = 0; i < n; ++i) {
      int fd = events[i].data.fd;
      uint32_t ev = events[i].events;
      if (fd == signals) goto stop;
      if (fd == listener) {
        on_acceptable(listener);
      } else if (ev & (EPOLLERR | EPOLLHUP)) {
        close_conn(fd);
      } else if (ev & EPOLLOUT) {
        on_writable(fd);
      } else if (ev & (EPOLLIN | EPOLLRDHUP)) {
        on_readable(fd, (ev & EPOLLRDHUP) != 0);
      }
    }
  }
stop:
  for (size_t fd = 0; fd < conn_capacity; ++fd) free(conns[fd].pending);
  free(conns);
  close(listener);
  close(signals);
  close(epoll_fd);
  return 0;
}
