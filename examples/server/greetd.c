/* greetd.c - the example server of soswap's live-upgrade demo.
 *
 * A small line-oriented TCP server on 127.0.0.1: a client sends a name per
 * line, the server answers with libgreet's greeting for it, one line per
 * request, on the same connection for as long as the client likes.  A fixed
 * pool of worker threads each accept()s and serves one connection at a time,
 * so most of the time the threads are blocked in accept() or read() — the
 * shape of a real server that `soswap live` has to handle.
 *
 *   greetd [--port PORT] [--threads N] [--ready-file FILE]
 *
 * --port 0 (the default) picks a free port; the port is printed and, with
 * --ready-file, written to FILE once the server accepts connections (the
 * file appears atomically, so a script can wait for it).
 */
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "greet.h"

#define MAX_THREADS 256
#define NAME_MAX_LEN 64

static int write_all(int fd, const char *buf, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, buf, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		buf += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Answer one request line (without its '\n'). */
static int answer(int fd, const char *line, size_t len)
{
	char name[NAME_MAX_LEN + 1], reply[256];

	if (len > NAME_MAX_LEN)
		len = NAME_MAX_LEN;
	memcpy(name, line, len);
	name[len] = '\0';
	if (len > 0 && name[len - 1] == '\r')
		name[len - 1] = '\0';
	int n = greet(name, reply, sizeof(reply) - 1);
	if (n < 0)
		return -1;
	if ((size_t)n > sizeof(reply) - 2)
		n = (int)sizeof(reply) - 2;
	reply[n] = '\n';
	return write_all(fd, reply, (size_t)n + 1);
}

/* Serve one connection until the client closes it. */
static void serve(int fd)
{
	char buf[4096];
	size_t have = 0;

	for (;;) {
		ssize_t r = read(fd, buf + have, sizeof(buf) - have);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return;
		have += (size_t)r;
		size_t start = 0;
		for (size_t i = 0; i < have; i++) {
			if (buf[i] != '\n')
				continue;
			if (answer(fd, buf + start, i - start) < 0)
				return;
			start = i + 1;
		}
		if (start == 0 && have == sizeof(buf))
			start = have;	/* a line longer than the buffer: drop it */
		memmove(buf, buf + start, have - start);
		have -= start;
	}
}

static void *worker(void *arg)
{
	int lfd = *(int *)arg;

	for (;;) {
		int fd = accept(lfd, NULL, NULL);
		if (fd < 0) {
			if (errno == EINTR || errno == ECONNABORTED || errno == EMFILE ||
			    errno == ENFILE)
				continue;
			perror("greetd: accept");
			return NULL;
		}
		serve(fd);
		close(fd);
	}
}

static int listen_on(int port, int *bound)
{
	struct sockaddr_in sa = { .sin_family = AF_INET,
				  .sin_port = htons((unsigned short)port),
				  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(sa);
	int one = 1;
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -1;
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    listen(fd, 128) < 0 ||
	    getsockname(fd, (struct sockaddr *)&sa, &len) < 0) {
		close(fd);
		return -1;
	}
	*bound = ntohs(sa.sin_port);
	return fd;
}

/* Write the port to FILE through a temporary name, so that a reader never
 * sees a partial file. */
static int write_ready_file(const char *file, int port)
{
	char tmp[4096];
	if (snprintf(tmp, sizeof(tmp), "%s.tmp", file) >= (int)sizeof(tmp))
		return -1;
	FILE *f = fopen(tmp, "w");
	if (!f)
		return -1;
	fprintf(f, "%d\n", port);
	if (fclose(f) != 0 || rename(tmp, file) < 0)
		return -1;
	return 0;
}

static void usage(FILE *f)
{
	fputs("Usage: greetd [--port PORT] [--threads N] [--ready-file FILE]\n"
	      "Serve libgreet greetings on 127.0.0.1: one name per line in, one\n"
	      "greeting per line out.  --port 0 picks a free port (default).\n"
	      "  -p, --port PORT        TCP port on 127.0.0.1 (default 0)\n"
	      "  -t, --threads N        worker threads (default 8)\n"
	      "  -r, --ready-file FILE  write the port to FILE once listening\n", f);
}

static int parse_int(const char *s, int lo, int hi, int *out)
{
	char *end;
	errno = 0;
	long v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < lo || v > hi)
		return -1;
	*out = (int)v;
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "port", required_argument, NULL, 'p' },
		{ "threads", required_argument, NULL, 't' },
		{ "ready-file", required_argument, NULL, 'r' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	int port = 0, nthreads = 8, c;
	const char *ready = NULL;

	while ((c = getopt_long(argc, argv, "p:t:r:h", opts, NULL)) != -1) {
		switch (c) {
		case 'p':
			if (parse_int(optarg, 0, 65535, &port) < 0) {
				fprintf(stderr, "greetd: bad port '%s'\n", optarg);
				return 2;
			}
			break;
		case 't':
			if (parse_int(optarg, 1, MAX_THREADS, &nthreads) < 0) {
				fprintf(stderr, "greetd: --threads takes 1..%d\n", MAX_THREADS);
				return 2;
			}
			break;
		case 'r':
			ready = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return 2;
	}

	/* A client that disconnects mid-answer must not kill the server. */
	signal(SIGPIPE, SIG_IGN);

	int bound, lfd = listen_on(port, &bound);
	if (lfd < 0) {
		fprintf(stderr, "greetd: 127.0.0.1:%d: %s\n", port, strerror(errno));
		return 1;
	}

	pthread_t tids[MAX_THREADS];
	for (int i = 0; i < nthreads; i++) {
		int err = pthread_create(&tids[i], NULL, worker, &lfd);
		if (err) {
			fprintf(stderr, "greetd: pthread_create: %s\n", strerror(err));
			return 1;
		}
	}
	printf("greetd: pid %d listening on 127.0.0.1:%d with %d workers (libgreet %s)\n",
	       (int)getpid(), bound, nthreads, greet_version());
	fflush(stdout);
	if (ready && write_ready_file(ready, bound) < 0) {
		fprintf(stderr, "greetd: %s: %s\n", ready, strerror(errno));
		return 1;
	}
	for (int i = 0; i < nthreads; i++)
		pthread_join(tids[i], NULL);
	return 1;	/* every worker failed */
}
