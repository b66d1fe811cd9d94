/* load_gen: the client-side ceiling. A minimal single-threaded, edge-triggered epoll load
 * generator that bench/run measures echo-client against (as bench/epoll_echo.c is for the server);
 * it lives in bench/, not in the product.
 *
 *   load_gen HOST PORT --connections N --size B --duration S [--warmup S] [--rate R] [--churn]
 *            [--source A,B,...]
 *
 *   (default)     closed loop: N connections, each with one message of B bytes in flight; the
 *                 next is sent when the reply is back
 *   --rate R      open loop: R messages/s in all, spread round-robin over the N connections,
 *                 sent at their scheduled times whether or not replies are back; latency is
 *                 measured from the scheduled time (no coordinated omission)
 *   --churn       N loops of: connect, send one message, receive it, check it, close
 *   --source LIST bind every connection to these IPv4 addresses in turn before connecting. For
 *                 a loopback target without --source, churn uses 127.0.0.1 to 127.0.0.16, so
 *                 that the kernel's ephemeral ports are searched per address, not for one
 *   --warmup S    seconds run before the measured window (default 0)
 *
 * Every reply is checked byte by byte against what was sent (message k of a connection: its
 * 8-byte sequence number with the connection's number, then a fixed body). At the end one JSON
 * line on stdout: sent, received, mismatches, errors, msgs_per_s, client_cpu_us_per_msg (this
 * process's user + system CPU over the window, per message received), p50/p90/p99/p999/max µs.
 * Exit 0; 1 for a setup error (one line on stderr); 2 for bad usage; 3 when a reply differed
 * from what was sent; 4 when a connection failed (refused, reset, closed early). */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#ifndef IP_BIND_ADDRESS_NO_PORT
#define IP_BIND_ADDRESS_NO_PORT 24
#endif

enum { io_size = 64 * 1024, max_events = 256, header = 8, max_sources = 256, open_ring = 4096 };
enum mode { closed_loop, open_loop, churn };

/* One connection (closed and open loop) or one loop's current connection (churn). Byte counts are
 * offsets in the connection's stream: message k occupies [k * size, (k + 1) * size). */
struct conn {
  int fd;
  uint32_t number;      /* in the sequence header, so crossed streams differ */
  uint64_t scheduled;   /* messages due to be sent so far */
  uint64_t written;     /* bytes sent */
  uint64_t received;    /* bytes received and checked */
  int blocked;          /* the last send was short: wait for EPOLLOUT */
  int message_bad;      /* a byte of the message being received differed */
  uint64_t *sent_at;    /* ns: when message k was due (open loop) or sent, at k % ring */
  uint64_t opened_at;   /* ns: when connect() was called (churn measures from there) */
};

static struct {
  enum mode mode;
  const char *host, *port;
  size_t connections, size;
  double duration, warmup, rate;
  struct sockaddr_storage sources[max_sources];
  size_t source_count;
} opt = {.connections = 1, .size = 64, .duration = 5};

static struct sockaddr_storage target;
static socklen_t target_length;
static struct conn *conns;
static char *body;                   /* the fixed part of every message */
static uint64_t ring;                /* send times kept per connection: 1 but in open loop */
static char io_buffer[io_size];
static int epoll_fd;
static size_t next_source;
static uint32_t next_number;
static size_t open_count; /* connections open now: none left ends the run */

/* Counts of the measured window (counting is on once the warm-up is over); mismatches and errors
 * are counted from the start, since either fails the run. */
static int counting;
static uint64_t sent, received, fell_behind, mismatches, errors;

/* Latencies in ns, log-linear buckets of 1/64 of a power of two (1.6% wide at most). */
enum { sub_bits = 6, buckets = (64 - sub_bits) * (1 << sub_bits) + (1 << sub_bits) };
static uint64_t histogram[buckets];
static uint64_t latency_max;

static void die(const char *what) {
  fprintf(stderr, "load_gen: %s: %s\n", what, strerror(errno));
  exit(1);
}

static void usage(const char *problem) {
  if (problem != NULL) fprintf(stderr, "load_gen: %s\n", problem);
  fprintf(stderr,
          "usage: load_gen HOST PORT --connections N --size B --duration S [--warmup S] "
          "[--rate R] [--churn] [--source A,B,...]\n");
  exit(2);
}

static uint64_t now_ns(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

static uint64_t cpu_ns(void) {
  struct rusage u;
  getrusage(RUSAGE_SELF, &u);
  return ((uint64_t)u.ru_utime.tv_sec + (uint64_t)u.ru_stime.tv_sec) * 1000000000u +
         ((uint64_t)u.ru_utime.tv_usec + (uint64_t)u.ru_stime.tv_usec) * 1000u;
}

static unsigned bucket_of(uint64_t v) {
  if (v < (2u << sub_bits)) return (unsigned)v;
  unsigned shift = (unsigned)(63 - __builtin_clzll(v)) - sub_bits;
  return shift * (1u << sub_bits) + (unsigned)(v >> shift);
}

/* The middle of bucket I, in ns. */
static double bucket_value(unsigned i) {
  if (i < (2u << sub_bits)) return i;
  unsigned shift = i / (1u << sub_bits) - 1;
  uint64_t low = (uint64_t)(i - shift * (1u << sub_bits)) << shift;
  return (double)low + (double)((uint64_t)1 << shift) / 2;
}

static void record_latency(uint64_t ns) {
  if (!counting) return;
  ++histogram[bucket_of(ns)];
  if (ns > latency_max) latency_max = ns;
}

static double percentile_us(double p, uint64_t total) {
  if (total == 0) return 0;
  uint64_t want = (uint64_t)(p * (double)total);
  if ((double)want < p * (double)total) ++want;
  if (want == 0) want = 1;
  uint64_t seen = 0;
  for (unsigned i = 0; i < buckets; ++i) {
    seen += histogram[i];
    if (seen >= want) return bucket_value(i) / 1000;
  }
  return (double)latency_max / 1000;
}

/* ---- the bytes: message k of connection c is its header (k and c's number, little-endian),
 * then body. */

static uint8_t header_byte(const struct conn *c, uint64_t k, size_t i) {
  uint64_t seq = ((uint64_t)c->number << 40) ^ k;
  return (uint8_t)(seq >> (8 * i));
}

/* Fills OUT with N bytes of C's stream from OFFSET on. */
static void fill(const struct conn *c, uint64_t offset, char *out, size_t n) {
  while (n > 0) {
    uint64_t k = offset / opt.size;
    size_t at = (size_t)(offset % opt.size), part = opt.size - at;
    if (part > n) part = n;
    memcpy(out, body + at, part);
    for (size_t i = at; i < header && i < at + part; ++i) out[i - at] = (char)header_byte(c, k, i);
    out += part;
    offset += part;
    n -= part;
  }
}

static void message_done(struct conn *c, uint64_t k, uint64_t now) {
  if (c->message_bad) ++mismatches;
  c->message_bad = 0;
  if (counting) ++received;
  record_latency(now - (opt.mode == churn ? c->opened_at : c->sent_at[k % ring]));
}

/* Checks N received bytes against C's stream; counts each message once it is complete. */
static void check(struct conn *c, const char *data, size_t n, uint64_t now) {
  while (n > 0) {
    uint64_t k = c->received / opt.size;
    size_t at = (size_t)(c->received % opt.size), part = opt.size - at;
    if (part > n) part = n;
    size_t i = at;
    for (; i < header && i < at + part; ++i) {
      if ((uint8_t)data[i - at] != header_byte(c, k, i)) c->message_bad = 1;
    }
    if (memcmp(data + (i - at), body + i, part - (i - at)) != 0) c->message_bad = 1;
    data += part;
    n -= part;
    c->received += part;
    if (at + part == opt.size) message_done(c, k, now);
  }
}

/* ---- connections */

static void watch(int op, struct conn *c, uint32_t events) {
  struct epoll_event ev;
  memset(&ev, 0, sizeof ev);
  ev.events = events | EPOLLET;
  ev.data.ptr = c;
  if (epoll_ctl(epoll_fd, op, c->fd, &ev) != 0) die("epoll_ctl");
}

/* Opens C's connection (non-blocking; EPOLLOUT says when it is up), bound to the next source. */
static void open_conn(struct conn *c) {
  c->fd = socket(target.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (c->fd < 0) die("socket");
  int one = 1;
  setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  if (opt.source_count > 0) {
    /* The port is picked at connect(), per source address and target, not at bind(). */
    setsockopt(c->fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof one);
    const struct sockaddr_storage *s = &opt.sources[next_source++ % opt.source_count];
    socklen_t length = s->ss_family == AF_INET ? sizeof(struct sockaddr_in) : sizeof *s;
    if (bind(c->fd, (const struct sockaddr *)s, length) != 0) die("bind to --source");
  }
  c->number = next_number++;
  c->scheduled = c->written = c->received = 0;
  c->blocked = 1; /* until the connection is up */
  c->message_bad = 0;
  c->opened_at = now_ns();
  ++open_count;
  if (connect(c->fd, (struct sockaddr *)&target, target_length) != 0 && errno != EINPROGRESS) {
    if (errno == ECONNREFUSED || errno == EADDRNOTAVAIL || errno == ENETUNREACH) {
      /* Reported by the first event on the socket, as a failed connection. */
    } else {
      die("connect");
    }
  }
  watch(EPOLL_CTL_ADD, c, EPOLLIN | EPOLLOUT | EPOLLRDHUP);
}

static void close_conn(struct conn *c) {
  if (c->fd < 0) return;
  close(c->fd);
  c->fd = -1;
  --open_count;
}

/* Sends what is due and not sent yet; a short send waits for EPOLLOUT (edge-triggered). */
static int flush(struct conn *c) {
  uint64_t due = c->scheduled * opt.size;
  while (!c->blocked && c->written < due) {
    size_t n = due - c->written > io_size ? io_size : (size_t)(due - c->written);
    fill(c, c->written, io_buffer, n);
    ssize_t done = send(c->fd, io_buffer, n, MSG_NOSIGNAL);
    if (done < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) {
        c->blocked = 1;
        return 0;
      }
      return -1;
    }
    uint64_t before = c->written / opt.size;
    c->written += (uint64_t)done;
    if (counting) sent += c->written / opt.size - before;
    if ((size_t)done < n) c->blocked = 1;
  }
  return 0;
}

/* Schedules the next message of C, due at DUE (ns); false when RING messages are in flight. */
static int schedule(struct conn *c, uint64_t due) {
  if (c->scheduled - c->received / opt.size >= ring) return 0;
  c->sent_at[c->scheduled % ring] = due;
  ++c->scheduled;
  return 1;
}

static void fail(struct conn *c) {
  ++errors;
  close_conn(c);
  if (opt.mode == churn) open_conn(c);
}

/* Reads until drained (a read shorter than asked drains the queue, as in epoll_echo.c). */
static void on_readable(struct conn *c, uint64_t now) {
  for (;;) {
    ssize_t n = recv(c->fd, io_buffer, io_size, 0);
    if (n == 0) {
      fail(c); /* the server closed a connection that still had messages to echo */
      return;
    }
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno != EAGAIN && errno != EWOULDBLOCK) fail(c);
      return;
    }
    if (c->received + (uint64_t)n > c->written) { /* more than was sent: not an echo */
      ++mismatches;
      close_conn(c);
      if (opt.mode == churn) open_conn(c);
      return;
    }
    uint64_t before = c->received / opt.size;
    check(c, io_buffer, (size_t)n, now);
    uint64_t complete = c->received / opt.size;
    if (complete > before) {
      if (opt.mode == churn && complete >= 1) {
        close_conn(c);
        open_conn(c);
        return;
      }
      if (opt.mode == closed_loop && complete == c->scheduled) {
        schedule(c, now);
        if (flush(c) != 0) {
          fail(c);
          return;
        }
      }
    }
    if ((size_t)n < io_size) return;
  }
}

static void on_writable(struct conn *c, uint64_t now) {
  if (c->scheduled == 0) { /* the connection just came up */
    int error = 0;
    socklen_t length = sizeof error;
    if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &error, &length) != 0 || error != 0) {
      fail(c);
      return;
    }
    if (opt.mode != open_loop) schedule(c, opt.mode == churn ? c->opened_at : now);
  }
  c->blocked = 0;
  if (flush(c) != 0) fail(c);
}

/* ---- set-up */

static double number(const char *text, const char *name, double low) {
  char *end = NULL;
  errno = 0;
  double v = strtod(text, &end);
  if (*text == '\0' || *end != '\0' || errno != 0 || !(v >= low) || v > 1e9) {
    char problem[128];
    snprintf(problem, sizeof problem, "invalid %s '%s'", name, text);
    usage(problem);
  }
  return v;
}

static void add_source(const char *text) {
  if (opt.source_count == max_sources) usage("too many --source addresses");
  struct sockaddr_in *a = (struct sockaddr_in *)&opt.sources[opt.source_count];
  memset(a, 0, sizeof opt.sources[0]);
  a->sin_family = AF_INET;
  if (inet_pton(AF_INET, text, &a->sin_addr) != 1) {
    char problem[128];
    snprintf(problem, sizeof problem, "invalid --source address '%s' (IPv4 only)", text);
    usage(problem);
  }
  ++opt.source_count;
}

static void parse(int argc, char *argv[]) {
  int positional = 0;
  for (int i = 1; i < argc; ++i) {
    const char *a = argv[i];
    int has_value = i + 1 < argc;
    if (strcmp(a, "--churn") == 0) {
      opt.mode = churn;
    } else if (strcmp(a, "--connections") == 0 && has_value) {
      opt.connections = (size_t)number(argv[++i], "--connections", 1);
    } else if (strcmp(a, "--size") == 0 && has_value) {
      opt.size = (size_t)number(argv[++i], "--size", 1);
    } else if (strcmp(a, "--duration") == 0 && has_value) {
      opt.duration = number(argv[++i], "--duration", 0.001);
    } else if (strcmp(a, "--warmup") == 0 && has_value) {
      opt.warmup = number(argv[++i], "--warmup", 0);
    } else if (strcmp(a, "--rate") == 0 && has_value) {
      opt.rate = number(argv[++i], "--rate", 0.001);
    } else if (strcmp(a, "--source") == 0 && has_value) {
      char *list = argv[++i], *save = NULL;
      for (char *s = strtok_r(list, ",", &save); s != NULL; s = strtok_r(NULL, ",", &save)) {
        add_source(s);
      }
      if (opt.source_count == 0) usage("--source needs an address");
    } else if (a[0] == '-' && a[1] != '\0') {
      char problem[128];
      snprintf(problem, sizeof problem, "unknown option or missing value: '%s'", a);
      usage(problem);
    } else if (positional == 0) {
      opt.host = a;
      ++positional;
    } else if (positional == 1) {
      opt.port = a;
      ++positional;
    } else {
      usage("too many arguments");
    }
  }
  if (positional != 2) usage("HOST and PORT are needed");
  if (opt.rate > 0 && opt.mode == churn) usage("--rate and --churn do not go together");
  if (opt.rate > 0) opt.mode = open_loop;
  if (opt.connections > 100000) usage("--connections: at most 100000");
  if (opt.size > 64u * 1024 * 1024) usage("--size: at most 64 MiB");
}

static void resolve(void) {
  struct addrinfo hints, *found = NULL;
  memset(&hints, 0, sizeof hints);
  hints.ai_family = opt.source_count > 0 ? AF_INET : AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  int status = getaddrinfo(opt.host, opt.port, &hints, &found);
  if (status != 0) {
    fprintf(stderr, "load_gen: cannot resolve %s port %s: %s\n", opt.host, opt.port,
            gai_strerror(status));
    exit(1);
  }
  memcpy(&target, found->ai_addr, found->ai_addrlen);
  target_length = found->ai_addrlen;
  freeaddrinfo(found);
  /* Churn against loopback: 16 source addresses unless told otherwise. */
  const struct sockaddr_in *t = (const struct sockaddr_in *)&target;
  if (opt.mode == churn && opt.source_count == 0 && target.ss_family == AF_INET &&
      (ntohl(t->sin_addr.s_addr) >> 24) == 127) {
    for (int i = 1; i <= 16; ++i) {
      char text[32];
      snprintf(text, sizeof text, "127.0.0.%d", i);
      add_source(text);
    }
  }
}

static void setup(void) {
  struct rlimit limit;
  if (getrlimit(RLIMIT_NOFILE, &limit) == 0) {
    limit.rlim_cur = limit.rlim_max;
    setrlimit(RLIMIT_NOFILE, &limit);
  }
  body = malloc(opt.size);
  conns = calloc(opt.connections, sizeof *conns);
  if (body == NULL || conns == NULL) die("malloc");
  ring = opt.mode == open_loop ? open_ring : 1;
  for (size_t k = 0; k < opt.size; ++k) body[k] = (char)((k * 13 + 7) & 0xFF);
  for (size_t i = 0; i < opt.connections; ++i) {
    conns[i].fd = -1;
    conns[i].sent_at = calloc(ring, sizeof(uint64_t));
    if (conns[i].sent_at == NULL) die("malloc");
  }
  epoll_fd = epoll_create1(EPOLL_CLOEXEC);
  if (epoll_fd < 0) die("epoll_create1");
}

static void report(double seconds, uint64_t cpu) {
  uint64_t total = 0;
  for (unsigned i = 0; i < buckets; ++i) total += histogram[i];
  double rate = seconds > 0 ? (double)received / seconds : 0;
  double cpu_per_msg = received > 0 ? (double)cpu / 1000 / (double)received : 0;
  printf("{\"mode\": \"%s\", \"connections\": %zu, \"size\": %zu, \"seconds\": %.3f, "
         "\"sent\": %llu, \"received\": %llu, \"mismatches\": %llu, \"errors\": %llu, "
         "\"fell_behind\": %llu, \"msgs_per_s\": %.1f, \"mb_per_s\": %.3f, "
         "\"client_cpu_us_per_msg\": %.3f, \"p50_us\": %.2f, \"p90_us\": %.2f, \"p99_us\": %.2f, "
         "\"p999_us\": %.2f, \"max_us\": %.2f, \"sources\": %zu}\n",
         opt.mode == churn ? "churn" : opt.mode == open_loop ? "open" : "closed", opt.connections,
         opt.size, seconds, (unsigned long long)sent, (unsigned long long)received,
         (unsigned long long)mismatches, (unsigned long long)errors,
         (unsigned long long)fell_behind, rate, rate * (double)opt.size / 1e6, cpu_per_msg,
         percentile_us(0.5, total), percentile_us(0.9, total), percentile_us(0.99, total),
         percentile_us(0.999, total), (double)latency_max / 1000, opt.source_count);
}

int main(int argc, char *argv[]) {
  parse(argc, argv);
  resolve();
  setup();
  signal(SIGPIPE, SIG_IGN);

  uint64_t start = now_ns();
  uint64_t measure_from = start + (uint64_t)(opt.warmup * 1e9);
  uint64_t end = measure_from + (uint64_t)(opt.duration * 1e9);
  for (size_t i = 0; i < opt.connections; ++i) open_conn(&conns[i]);
  /* Open loop: message j is due at start + j / rate, on connection j % connections. */
  uint64_t due_count = 0, next_due = start;
  uint64_t cpu_from = 0, measured_from = 0;
  struct epoll_event events[max_events];
  for (;;) {
    uint64_t now = now_ns();
    if (!counting && now >= measure_from) {
      counting = 1;
      cpu_from = cpu_ns();
      measured_from = now;
    }
    if (now >= end) break;
    uint64_t wake = counting ? end : measure_from;
    if (opt.mode == open_loop) {
      while (next_due <= now) {
        struct conn *c = &conns[due_count % opt.connections];
        if (c->fd >= 0) {
          if (!schedule(c, next_due)) {
            if (counting) ++fell_behind;
          } else if (flush(c) != 0) {
            fail(c);
          }
        }
        ++due_count;
        next_due = start + (uint64_t)((double)due_count * 1e9 / opt.rate);
      }
      if (next_due < wake) wake = next_due;
    }
    struct timespec timeout = {.tv_sec = (time_t)((wake - now) / 1000000000u),
                               .tv_nsec = (long)((wake - now) % 1000000000u)};
    int n = epoll_pwait2(epoll_fd, events, max_events, &timeout, NULL);
    if (n < 0) {
      if (errno == EINTR) continue;
      die("epoll_pwait2");
    }
    now = n > 0 ? now_ns() : now;
    for (int i = 0; i < n; ++i) {
      struct conn *c = events[i].data.ptr;
      uint32_t ev = events[i].events;
      if (c->fd < 0) continue;
      if (ev & (EPOLLIN | EPOLLRDHUP | EPOLLERR | EPOLLHUP)) {
        on_readable(c, now);
        if (c->fd < 0 || (opt.mode == churn && c->scheduled == 0)) continue;
      }
      if (ev & EPOLLOUT) on_writable(c, now);
    }
    if (open_count == 0) break; /* every connection failed: nothing more to measure */
  }
  uint64_t finished = now_ns();
  uint64_t cpu = counting ? cpu_ns() - cpu_from : 0;
  report(counting ? (double)(finished - measured_from) / 1e9 : 0, cpu);
  for (size_t i = 0; i < opt.connections; ++i) {
    close_conn(&conns[i]);
    free(conns[i].sent_at);
  }
  free(conns);
  free(body);
  close(epoll_fd);
  if (mismatches > 0) return 3;
  if (errors > 0) return 4;
  return 0;
}
