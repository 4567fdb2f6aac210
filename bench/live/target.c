/* target.c - the process the live-swap benchmark swaps a library in.
 *
 *   live-bench-target KIND NTHREADS OUT
 *
 * KIND spin: every thread calls f0 in a tight loop; an operation is 100
 * calls.  KIND sleep: server-like, every thread sleeps 1 ms then does an
 * operation of 10 calls.  The duration of each operation is recorded;
 * on SIGUSR1 the record starts afresh, on SIGUSR2 "p50 p99" (ns) of the
 * operations since is written to OUT.  Thread 0 also keeps OUT.cost up to
 * date with the cost of one call (ns, over the last million calls) in the
 * spin kind.  call_all() (generated) calls every function once at start,
 * so that the program has a GOT slot bound for each.
 */
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

extern long f0(long x);
extern void call_all(long x);

#define SLOTS 200000

static int spin;
static atomic_uint gen;		/* bumped by SIGUSR1 */
static atomic_int dump;		/* set by SIGUSR2 */
static uint64_t samples[SLOTS];
static atomic_uint nsamples;
static const char *out;

static uint64_t now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void record(uint64_t ns)
{
	unsigned i = atomic_fetch_add(&nsamples, 1);
	if (i < SLOTS)
		samples[i] = ns;
}

static void *worker(void *arg)
{
	long x = (long)arg, sink = 0;
	for (;;) {
		if (!spin) {
			struct timespec ts = { 0, 1000000 };
			nanosleep(&ts, NULL);
		}
		int n = spin ? 100 : 10;
		uint64_t t0 = now();
		for (int i = 0; i < n; i++)
			sink += f0(x + i);
		record(now() - t0);
		__asm__ volatile("" : : "r"(sink));
	}
	return NULL;
}

static int cmp(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

static void on_usr1(int s) { (void)s; atomic_store(&nsamples, 0); }
static void on_usr2(int s) { (void)s; atomic_store(&dump, 1); }

int main(int argc, char **argv)
{
	if (argc != 4)
		return 2;
	spin = !strcmp(argv[1], "spin");
	int n = atoi(argv[2]);
	out = argv[3];
	call_all(1);
	signal(SIGUSR1, on_usr1);
	signal(SIGUSR2, on_usr2);
	pthread_t th;
	for (int i = 0; i < n; i++)
		pthread_create(&th, NULL, worker, (void *)(long)i);
	char cost[4096];
	snprintf(cost, sizeof(cost), "%s.cost", out);
	for (;;) {
		if (atomic_exchange(&dump, 0)) {
			unsigned k = atomic_load(&nsamples);
			if (k > SLOTS)
				k = SLOTS;
			static uint64_t copy[SLOTS];
			memcpy(copy, samples, k * sizeof(*copy));
			qsort(copy, k, sizeof(*copy), cmp);
			FILE *f = fopen(out, "w");
			if (f) {
				fprintf(f, "%llu %llu %u\n",
					(unsigned long long)(k ? copy[k / 2] : 0),
					(unsigned long long)(k ? copy[k * 99 / 100] : 0), k);
				fclose(f);
			}
		}
		/* cost of one call through the GOT, measured by the main thread */
		long sink = 0;
		uint64_t t0 = now();
		for (int i = 0; i < 1000000; i++)
			sink += f0(i);
		uint64_t dt = now() - t0;
		__asm__ volatile("" : : "r"(sink));
		FILE *f = fopen(cost, "w");
		if (f) {
			fprintf(f, "%.3f\n", dt / 1e6);
			fclose(f);
		}
		struct timespec ts = { 0, 5000000 };
		nanosleep(&ts, NULL);
	}
}
