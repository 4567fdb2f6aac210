/* runprog.c - run a helper program (dpkg-query, ldconfig) and read its
 * output line by line. */
#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "runprog.h"

extern char **environ;

/* Output beyond this is read and dropped: ldconfig -v prints a line per
 * library, a few hundred kilobytes at most. */
#define MAX_OUTPUT (16u << 20)
#define MAX_LINE 4096

int soswap__run(const char *const argv[], soswap__line_fn fn, void *arg,
		int *status)
{
	int pfd[2];
	if (pipe2(pfd, O_CLOEXEC) < 0)
		return -errno;
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, pfd[1], STDOUT_FILENO);
	posix_spawn_file_actions_addopen(&fa, STDERR_FILENO, "/dev/null", O_WRONLY, 0);
	posix_spawn_file_actions_addopen(&fa, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
	pid_t pid;
	int rc = posix_spawnp(&pid, argv[0], &fa, NULL, (char *const *)argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	close(pfd[1]);
	if (rc != 0) {
		close(pfd[0]);
		return -rc;
	}
	char line[MAX_LINE];
	size_t len = 0, total = 0;
	char buf[8192];
	ssize_t n;
	while ((n = read(pfd[0], buf, sizeof(buf))) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		total += (size_t)n;
		if (total > MAX_OUTPUT || !fn)
			continue;
		for (ssize_t i = 0; i < n; i++) {
			if (buf[i] == '\n') {
				line[len] = '\0';
				fn(arg, line);
				len = 0;
			} else if (len < sizeof(line) - 1) {
				line[len++] = buf[i];
			}
		}
	}
	if (len && fn && total <= MAX_OUTPUT) {
		line[len] = '\0';
		fn(arg, line);
	}
	close(pfd[0]);
	int ws;
	while (waitpid(pid, &ws, 0) < 0)
		if (errno != EINTR)
			return -errno;
	if (status)
		*status = ws;
	return 0;
}
