/* loadgen.c - load generator for greetd, the example server of soswap's
 * live-upgrade demo.
 *
 * Opens N connections to 127.0.0.1:PORT, each in its own thread, and sends
 * requests back to back (one name per line, waits for the answer) until the
 * duration has passed, the request count is reached, or SIGINT/SIGTERM
 * arrives.  Every answer is checked ("greet vN: ..." naming the client);
 * anything else — a refused connection, a timeout, a closed connection, a
 * wrong answer — counts as a failed request.  At the end it prints how many
 * requests succeeded and failed, which library versions answered (and which
 * answered first and last) and the request latency (mean, p50 and p99
 * within 1/8 of their value, max).
 *
 *   loadgen --port PORT [--connections N] [--duration SECONDS] [--count N]
 *           [--timeout MS] [--name NAME] [--ready-file FILE] [--json]
 *
 * Exit status: 0 when every request succeeded (and there was at least one),
 * 1 otherwise, 2 on a usage error.
 */
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_CONNS 256
#define MAX_VERSIONS 8
#define VERSION_LEN 16
#define ANSWER_LEN 128
#define MAX_REPORTED_ERRORS 5
/* Latency histogram: 8 sub-buckets per power of two of nanoseconds, so a
 * percentile is known within 1/8 of its value. */
#define LAT_SUB 8
#define LAT_BUCKETS (64 * LAT_SUB)

struct config {
	int port;
	int conns;
	double duration;	/* seconds */
	long count;		/* total requests, 0 = no limit */
	int timeout_ms;		/* per request */
	const char *name;
	const char *ready_file;
	int json;
};

struct version_count {
	char tag[VERSION_LEN];
	long n;
};

struct answer_seen {
	uint64_t at_ns;		/* 0 = none yet */
	char text[ANSWER_LEN];
	char tag[VERSION_LEN];
};

struct conn_stats {
	long ok, failed;
	struct version_count versions[MAX_VERSIONS];
	struct answer_seen first, last;
	uint64_t lat_sum_ns, lat_max_ns;
	uint64_t lat_hist[LAT_BUCKETS];
};

struct worker {
	pthread_t tid;
	const struct config *cfg;
	struct conn_stats st;
};

static atomic_int stop;
static atomic_long issued;	/* requests started, for --count */
static atomic_int errors_reported;
static atomic_int conns_ready;

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void on_signal(int sig)
{
	(void)sig;
	atomic_store(&stop, 1);
}

static void report_error(const char *what, const char *detail)
{
	if (atomic_fetch_add(&errors_reported, 1) < MAX_REPORTED_ERRORS)
		fprintf(stderr, "loadgen: failed request: %s%s%s\n", what,
			detail ? ": " : "", detail ? detail : "");
}

static int connect_to(int port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET,
				  .sin_port = htons((unsigned short)port),
				  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	int one = 1;
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -1;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int e = errno;
		close(fd);
		errno = e;
		return -1;
	}
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	return fd;
}

/* Read one '\n'-terminated line within the deadline.  Returns its length
 * (without '\n'), or -1 with a reason in *why. */
static ssize_t read_line(int fd, char *buf, size_t size, uint64_t deadline,
			 const char **why)
{
	size_t have = 0;

	for (;;) {
		uint64_t t = now_ns();
		if (t >= deadline) {
			*why = "timed out";
			return -1;
		}
		struct pollfd p = { .fd = fd, .events = POLLIN };
		int ms = (int)((deadline - t) / 1000000u) + 1;
		int r = poll(&p, 1, ms);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			continue;	/* the deadline check above decides */
		ssize_t n = read(fd, buf + have, size - 1 - have);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			*why = strerror(errno);
			return -1;
		}
		if (n == 0) {
			*why = "connection closed by the server";
			return -1;
		}
		have += (size_t)n;
		char *nl = memchr(buf, '\n', have);
		if (nl) {
			*nl = '\0';
			return nl - buf;
		}
		if (have >= size - 1) {
			*why = "answer too long";
			return -1;
		}
	}
}

/* "greet v2: Hello, World!" -> tag "v2"; the answer must name the client
 * (any case: a new version may capitalise it). */
static int parse_answer(const char *line, const char *name, char tag[VERSION_LEN])
{
	static const char prefix[] = "greet ";
	if (strncmp(line, prefix, sizeof(prefix) - 1))
		return -1;
	const char *v = line + sizeof(prefix) - 1;
	const char *colon = strchr(v, ':');
	if (!colon || colon == v || (size_t)(colon - v) >= VERSION_LEN)
		return -1;
	size_t nlen = strlen(name);
	int named = 0;
	for (const char *p = colon; *p && !named; p++)
		named = !strncasecmp(p, name, nlen);
	if (!named)
		return -1;
	memcpy(tag, v, (size_t)(colon - v));
	tag[colon - v] = '\0';
	return 0;
}

static void count_version(struct conn_stats *st, const char *tag)
{
	for (int i = 0; i < MAX_VERSIONS; i++) {
		if (!st->versions[i].tag[0])
			snprintf(st->versions[i].tag, VERSION_LEN, "%s", tag);
		if (!strcmp(st->versions[i].tag, tag)) {
			st->versions[i].n++;
			return;
		}
	}
}

static unsigned lat_bucket(uint64_t ns)
{
	if (ns < LAT_SUB)
		return (unsigned)ns;
	unsigned top = 63u - (unsigned)__builtin_clzll(ns);	/* ns >= 2^top */
	unsigned sub = (unsigned)(ns >> (top - 3)) & (LAT_SUB - 1);
	return top * LAT_SUB + sub;
}

/* Upper bound of a bucket, in nanoseconds. */
static uint64_t lat_bucket_max(unsigned b)
{
	if (b < LAT_SUB)
		return b;
	unsigned top = b / LAT_SUB, sub = b % LAT_SUB;
	return ((uint64_t)(LAT_SUB + sub + 1) << (top - 3)) - 1;
}

/* The latency below which a fraction q of the requests answered. */
static double lat_percentile_us(const struct conn_stats *st, double q)
{
	uint64_t n = 0, want = (uint64_t)((double)st->ok * q + 0.5);
	if (!st->ok)
		return 0;
	if (want < 1)
		want = 1;
	for (unsigned b = 0; b < LAT_BUCKETS; b++) {
		n += st->lat_hist[b];
		if (n >= want) {
			uint64_t v = lat_bucket_max(b);
			return (double)(v < st->lat_max_ns ? v : st->lat_max_ns) / 1e3;
		}
	}
	return (double)st->lat_max_ns / 1e3;
}

static void remember(struct answer_seen *a, uint64_t at, const char *text, const char *tag)
{
	a->at_ns = at;
	/* Long answers are kept truncated. */
	snprintf(a->text, sizeof(a->text), "%.*s", (int)sizeof(a->text) - 1, text);
	snprintf(a->tag, sizeof(a->tag), "%s", tag);
}

/* One request on fd.  Returns 0, or -1 (the connection is then unusable). */
static int request(struct worker *w, int fd, const char *req, size_t reqlen)
{
	const struct config *cfg = w->cfg;
	char line[512], tag[VERSION_LEN];
	const char *why = NULL;
	uint64_t t0 = now_ns();

	if (send(fd, req, reqlen, MSG_NOSIGNAL) != (ssize_t)reqlen) {
		report_error("send", strerror(errno));
		return -1;
	}
	if (read_line(fd, line, sizeof(line), t0 + (uint64_t)cfg->timeout_ms * 1000000u,
		      &why) < 0) {
		report_error(why, NULL);
		return -1;
	}
	uint64_t t1 = now_ns();
	if (parse_answer(line, cfg->name, tag) < 0) {
		report_error("unexpected answer", line);
		return -1;
	}
	w->st.ok++;
	w->st.lat_sum_ns += t1 - t0;
	if (t1 - t0 > w->st.lat_max_ns)
		w->st.lat_max_ns = t1 - t0;
	w->st.lat_hist[lat_bucket(t1 - t0)]++;
	count_version(&w->st, tag);
	if (!w->st.first.at_ns)
		remember(&w->st.first, t1, line, tag);
	remember(&w->st.last, t1, line, tag);
	return 0;
}

static int may_issue(const struct config *cfg, uint64_t end)
{
	if (atomic_load(&stop) || now_ns() >= end)
		return 0;
	return cfg->count == 0 || atomic_fetch_add(&issued, 1) < cfg->count;
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	const struct config *cfg = w->cfg;
	uint64_t end = now_ns() + (uint64_t)(cfg->duration * 1e9);
	char req[128];
	int reqlen = snprintf(req, sizeof(req), "%s\n", cfg->name);
	int fd = -1, ready = 0;

	while (may_issue(cfg, end)) {
		if (fd < 0 && (fd = connect_to(cfg->port)) < 0) {
			report_error("connect", strerror(errno));
			w->st.failed++;
			usleep(10000);	/* do not spin on a dead server */
			continue;
		}
		if (request(w, fd, req, (size_t)reqlen) < 0) {
			w->st.failed++;
			close(fd);
			fd = -1;
			continue;
		}
		if (!ready) {
			ready = 1;
			atomic_fetch_add(&conns_ready, 1);
		}
	}
	if (fd >= 0)
		close(fd);
	return NULL;
}

/* The ready file appears (atomically) once every connection got an answer. */
static void *ready_watcher(void *arg)
{
	const struct config *cfg = arg;
	char tmp[4096];

	while (!atomic_load(&stop) && atomic_load(&conns_ready) < cfg->conns)
		usleep(2000);
	if (atomic_load(&conns_ready) < cfg->conns)
		return NULL;
	if (snprintf(tmp, sizeof(tmp), "%s.tmp", cfg->ready_file) >= (int)sizeof(tmp))
		return NULL;
	FILE *f = fopen(tmp, "w");
	if (f) {
		fprintf(f, "%d\n", (int)getpid());
		if (fclose(f) == 0)
			rename(tmp, cfg->ready_file);
	}
	return NULL;
}

static void merge(struct conn_stats *all, const struct conn_stats *st)
{
	all->ok += st->ok;
	all->failed += st->failed;
	all->lat_sum_ns += st->lat_sum_ns;
	if (st->lat_max_ns > all->lat_max_ns)
		all->lat_max_ns = st->lat_max_ns;
	for (unsigned b = 0; b < LAT_BUCKETS; b++)
		all->lat_hist[b] += st->lat_hist[b];
	for (int i = 0; i < MAX_VERSIONS && st->versions[i].tag[0]; i++) {
		for (int j = 0; j < MAX_VERSIONS; j++) {
			if (!all->versions[j].tag[0])
				memcpy(all->versions[j].tag, st->versions[i].tag, VERSION_LEN);
			if (!strcmp(all->versions[j].tag, st->versions[i].tag)) {
				all->versions[j].n += st->versions[i].n;
				break;
			}
		}
	}
	if (st->first.at_ns && (!all->first.at_ns || st->first.at_ns < all->first.at_ns))
		all->first = st->first;
	if (st->last.at_ns > all->last.at_ns)
		all->last = st->last;
}

static void json_string(const char *s)
{
	putchar('"');
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\')
			printf("\\%c", c);
		else if (c < 0x20)
			printf("\\u%04x", c);
		else
			putchar(c);
	}
	putchar('"');
}

static void print_summary(const struct config *cfg, const struct conn_stats *all,
			  double secs)
{
	double mean_us = all->ok ? (double)all->lat_sum_ns / (double)all->ok / 1e3 : 0;
	double max_us = (double)all->lat_max_ns / 1e3;
	double p50_us = lat_percentile_us(all, 0.50), p99_us = lat_percentile_us(all, 0.99);

	if (cfg->json) {
		printf("{\"connections\":%d,\"seconds\":%.3f,\"ok\":%ld,\"failed\":%ld,"
		       "\"versions\":{", cfg->conns, secs, all->ok, all->failed);
		for (int i = 0; i < MAX_VERSIONS && all->versions[i].tag[0]; i++) {
			printf("%s", i ? "," : "");
			json_string(all->versions[i].tag);
			printf(":%ld", all->versions[i].n);
		}
		printf("},\"first\":");
		json_string(all->first.tag);
		printf(",\"last\":");
		json_string(all->last.tag);
		printf(",\"first_answer\":");
		json_string(all->first.text);
		printf(",\"last_answer\":");
		json_string(all->last.text);
		printf(",\"latency_us\":{\"mean\":%.1f,\"p50\":%.1f,\"p99\":%.1f,\"max\":%.1f}}\n",
		       mean_us, p50_us, p99_us, max_us);
		return;
	}
	printf("loadgen: %d connections, %.2f s: %ld requests ok, %ld failed\n",
	       cfg->conns, secs, all->ok, all->failed);
	printf("loadgen: answered by:");
	for (int i = 0; i < MAX_VERSIONS && all->versions[i].tag[0]; i++)
		printf(" %s %ld", all->versions[i].tag, all->versions[i].n);
	printf("\nloadgen: first answer: %s\n", all->first.text);
	printf("loadgen: last answer:  %s\n", all->last.text);
	printf("loadgen: latency: mean %.1f us, p50 %.1f us, p99 %.1f us, max %.1f us\n",
	       mean_us, p50_us, p99_us, max_us);
}

static void usage(FILE *f)
{
	fputs("Usage: loadgen --port PORT [--connections N] [--duration SECONDS] [--count N]\n"
	      "               [--timeout MS] [--name NAME] [--ready-file FILE] [--json]\n"
	      "Send greetd requests on N concurrent connections to 127.0.0.1:PORT until\n"
	      "the duration or the count is reached or SIGINT/SIGTERM arrives; then print\n"
	      "requests ok/failed and which library versions answered.\n"
	      "  -p, --port PORT         server port on 127.0.0.1 (required)\n"
	      "  -c, --connections N     concurrent connections (default 4)\n"
	      "  -d, --duration SECONDS  stop after this long (default 5, at most 3600)\n"
	      "  -n, --count N           stop after N requests in all (default: no limit)\n"
	      "  -T, --timeout MS        a request failing to answer within MS fails (default 5000)\n"
	      "  -N, --name NAME         the name to greet (default world)\n"
	      "  -r, --ready-file FILE   write our pid to FILE once every connection got an answer\n"
	      "  -j, --json              print the summary as one JSON object\n"
	      "Exit status: 0 if every request succeeded, 1 otherwise, 2 usage error.\n", f);
}

static int parse_config(int argc, char **argv, struct config *cfg)
{
	static const struct option opts[] = {
		{ "port", required_argument, NULL, 'p' },
		{ "connections", required_argument, NULL, 'c' },
		{ "duration", required_argument, NULL, 'd' },
		{ "count", required_argument, NULL, 'n' },
		{ "timeout", required_argument, NULL, 'T' },
		{ "name", required_argument, NULL, 'N' },
		{ "ready-file", required_argument, NULL, 'r' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	int c;
	char *end;

	*cfg = (struct config){ .port = -1, .conns = 4, .duration = 5, .timeout_ms = 5000,
				.name = "world" };
	while ((c = getopt_long(argc, argv, "p:c:d:n:T:N:r:jh", opts, NULL)) != -1) {
		errno = 0;
		switch (c) {
		case 'p': cfg->port = (int)strtol(optarg, &end, 10); break;
		case 'c': cfg->conns = (int)strtol(optarg, &end, 10); break;
		case 'd': cfg->duration = strtod(optarg, &end); break;
		case 'n': cfg->count = strtol(optarg, &end, 10); break;
		case 'T': cfg->timeout_ms = (int)strtol(optarg, &end, 10); break;
		case 'N': cfg->name = optarg; end = (char *)""; break;
		case 'r': cfg->ready_file = optarg; end = (char *)""; break;
		case 'j': cfg->json = 1; end = (char *)""; break;
		case 'h': usage(stdout); exit(0);
		default: return -1;
		}
		if (errno || *end) {
			fprintf(stderr, "loadgen: bad value '%s'\n", optarg);
			return -1;
		}
	}
	if (optind != argc || cfg->port < 1 || cfg->port > 65535) {
		fputs("loadgen: --port 1..65535 is required\n", stderr);
		return -1;
	}
	if (cfg->conns < 1 || cfg->conns > MAX_CONNS || !(cfg->duration > 0) ||
	    cfg->duration > 3600 || cfg->count < 0 || cfg->timeout_ms < 1 ||
	    !cfg->name[0] || strlen(cfg->name) > 64 || strpbrk(cfg->name, "\r\n")) {
		fprintf(stderr, "loadgen: value out of range (connections 1..%d, duration"
			" 0..3600 s, timeout >= 1 ms, name 1..64 chars)\n", MAX_CONNS);
		return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	static struct worker workers[MAX_CONNS];
	struct config cfg;
	struct sigaction sa = { .sa_handler = on_signal };
	pthread_t watcher;
	int watching = 0;

	if (parse_config(argc, argv, &cfg) < 0) {
		usage(stderr);
		return 2;
	}
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);

	uint64_t t0 = now_ns();
	int started = 0;
	for (int i = 0; i < cfg.conns; i++) {
		workers[i].cfg = &cfg;
		int err = pthread_create(&workers[i].tid, NULL, worker_main, &workers[i]);
		if (err) {
			fprintf(stderr, "loadgen: pthread_create: %s\n", strerror(err));
			atomic_store(&stop, 1);
			break;
		}
		started++;
	}
	if (cfg.ready_file && started == cfg.conns)
		watching = !pthread_create(&watcher, NULL, ready_watcher, &cfg);

	struct conn_stats all = { 0 };
	for (int i = 0; i < started; i++) {
		pthread_join(workers[i].tid, NULL);
		merge(&all, &workers[i].st);
	}
	atomic_store(&stop, 1);
	if (watching)
		pthread_join(watcher, NULL);
	print_summary(&cfg, &all, (double)(now_ns() - t0) / 1e9);
	if (fflush(stdout) != 0)
		return 1;
	return started == cfg.conns && all.failed == 0 && all.ok > 0 ? 0 : 1;
}
