/* floor.c - the floor of the live-swap pause: a bare stop and resume of
 * every thread of PID by the very ptrace calls soswap live uses, nothing
 * written.  Prints one line per round: stop_ns pause_ns.
 *
 *   live-floor PID ROUNDS
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "ptrace.h"

int main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: live-floor PID ROUNDS\n");
		return 2;
	}
	struct soswap_tracee t = { 0 };
	soswap_err err = { 0 };
	pid_t pid = atoi(argv[1]);
	int rounds = atoi(argv[2]);
	if (soswap__trace_seize(&t, pid, &err) < 0) {
		fprintf(stderr, "live-floor: %s\n", err.msg);
		return 1;
	}
	for (int i = 0; i < rounds; i++) {
		uint64_t first, last;
		if (soswap__trace_stop_all(&t, &first, &last, &err) < 0 ||
		    soswap__trace_resume_all(&t, &err) < 0) {
			fprintf(stderr, "live-floor: %s\n", err.msg);
			soswap__trace_detach(&t);
			return 1;
		}
		uint64_t done = soswap__now_ns();
		printf("%llu %llu\n", (unsigned long long)(last - first),
		       (unsigned long long)(done - first));
		/* like consecutive swaps: let the target run between pauses */
		struct timespec ts = { 0, 20000000 };
		nanosleep(&ts, NULL);
	}
	soswap__trace_detach(&t);
	return 0;
}
