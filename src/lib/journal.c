/* journal.c - the write-ahead journal of the live swap.
 *
 * Every byte soswap is about to write into a target is recorded first
 * (address, old bytes, new bytes) and fsynced, so that a swap interrupted
 * at any point - even by SIGKILL of soswap - can be rolled back.  One file
 * per target, named by pid and start time so that a recycled pid never
 * picks up another process's journal.  The format is line-based text:
 *
 *   soswap-journal 1 PID START
 *   begin ID
 *   old PATH
 *   new PATH
 *   w ADDR-HEX OLD-HEX NEW-HEX       (one per write)
 *   ready ID                         (every write recorded; writing starts)
 *   commit ID                        (all writes done and verified)
 *   rollback ID                      (the old bytes are back)
 *
 * A transaction without "ready" never touched the target.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fsutil.h"
#include "live-internal.h"
#include "procscan.h"

#define JOURNAL_MAX_SIZE (256u << 20)
#define JOURNAL_MAGIC "soswap-journal 1 "

/* ---- parsing (untrusted input) --------------------------------------- */

struct cursor {
	const char *p, *end;
	unsigned line;
};

/* Next line without its newline; 0 at the end. */
static int next_line(struct cursor *c, const char **s, size_t *n)
{
	if (c->p >= c->end)
		return 0;
	const char *nl = memchr(c->p, '\n', (size_t)(c->end - c->p));
	const char *e = nl ? nl : c->end;
	*s = c->p;
	*n = (size_t)(e - c->p);
	c->p = nl ? nl + 1 : c->end;
	c->line++;
	return 1;
}

static int hexval(char ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	return -1;
}

/* Parse an unsigned hex or decimal number occupying s[0..n). */
static int parse_num(const char *s, size_t n, int base, uint64_t *out)
{
	uint64_t v = 0;
	if (n == 0 || n > 20)
		return -1;
	for (size_t i = 0; i < n; i++) {
		int d = base == 16 ? hexval(s[i]) :
			(s[i] >= '0' && s[i] <= '9' ? s[i] - '0' : -1);
		if (d < 0 || v > (UINT64_MAX - (uint64_t)d) / (uint64_t)base)
			return -1;
		v = v * (uint64_t)base + (uint64_t)d;
	}
	*out = v;
	return 0;
}

/* Split s[0..n) at spaces into at most max fields. */
static size_t split(const char *s, size_t n, const char **f, size_t *fl,
		    size_t max)
{
	size_t k = 0, i = 0;
	while (i < n && k < max) {
		while (i < n && s[i] == ' ')
			i++;
		if (i >= n)
			break;
		size_t b = i;
		while (i < n && s[i] != ' ')
			i++;
		f[k] = s + b;
		fl[k++] = i - b;
	}
	while (i < n && s[i] == ' ')
		i++;
	return i < n ? max + 1 : k;	/* max+1: too many fields */
}

static int parse_bytes(const char *s, size_t n, unsigned char *out, size_t max)
{
	if (n % 2 || n / 2 > max || n == 0)
		return -1;
	for (size_t i = 0; i < n / 2; i++) {
		int hi = hexval(s[2 * i]), lo = hexval(s[2 * i + 1]);
		if (hi < 0 || lo < 0)
			return -1;
		out[i] = (unsigned char)(hi << 4 | lo);
	}
	return (int)(n / 2);
}

static struct soswap__jtxn *find_txn(struct soswap__journal *j, uint64_t id)
{
	for (size_t i = j->ntx; i-- > 0;)
		if (j->tx[i].id == id)
			return &j->tx[i];
	return NULL;
}

static int jbad(struct soswap__journal *j, soswap_err *err, const char *name,
		unsigned line, const char *why)
{
	soswap__journal_free(j);
	return soswap__fail(err, -EBADMSG, "%s: line %u: %s", name, line, why);
}

static int parse_write(struct soswap__jtxn *t, const char **f, size_t *fl)
{
	struct soswap__write w = { 0 };
	uint64_t addr;
	int a, b;
	if (parse_num(f[1], fl[1], 16, &addr) < 0)
		return -1;
	a = parse_bytes(f[2], fl[2], w.old, sizeof(w.old));
	b = parse_bytes(f[3], fl[3], w.new, sizeof(w.new));
	if (a < 0 || a != b || addr > UINT64_MAX - (uint64_t)a)
		return -1;
	if (t->nw >= SOSWAP__JOURNAL_MAX_WRITES)
		return -1;
	if (soswap__grow((void **)&t->w, &t->capw, t->nw + 1, sizeof(*t->w)) < 0)
		return -2;
	w.addr = addr;
	w.len = (uint32_t)a;
	t->w[t->nw++] = w;
	return 0;
}

int soswap__journal_parse(struct soswap__journal *j, const char *buf,
			  size_t len, const char *name, soswap_err *err)
{
	struct cursor c = { buf, buf + len, 0 };
	const char *s, *f[5];
	size_t n, fl[5];
	uint64_t v1, v2;
	memset(j, 0, sizeof(*j));
	if (!next_line(&c, &s, &n) || n < strlen(JOURNAL_MAGIC) ||
	    memcmp(s, JOURNAL_MAGIC, strlen(JOURNAL_MAGIC)))
		return jbad(j, err, name, 1, "not a soswap journal");
	if (split(s, n, f, fl, 4) != 4 || parse_num(f[2], fl[2], 10, &v1) < 0 ||
	    parse_num(f[3], fl[3], 10, &v2) < 0 || v1 == 0 || v1 > INT32_MAX)
		return jbad(j, err, name, 1, "bad header");
	j->pid = (pid_t)v1;
	j->start = v2;
	struct soswap__jtxn *cur = NULL;
	while (next_line(&c, &s, &n)) {
		if (n == 0)
			continue;
		if (n > 4 && (!memcmp(s, "old ", 4) || !memcmp(s, "new ", 4))) {
			if (!cur || cur->ready)
				return jbad(j, err, name, c.line, "path outside a transaction");
			char **dst = s[0] == 'o' ? &cur->old_desc : &cur->new_desc;
			free(*dst);
			*dst = strndup(s + 4, n - 4);
			if (!*dst)
				return jbad(j, err, name, c.line, "out of memory");
			continue;
		}
		size_t k = split(s, n, f, fl, 4);
		if (k == 4 && fl[0] == 1 && f[0][0] == 'w') {
			if (!cur || cur->ready)
				return jbad(j, err, name, c.line, "write outside a transaction");
			int r = parse_write(cur, f, fl);
			if (r < 0)
				return jbad(j, err, name, c.line, r == -2 ? "out of memory" : "bad write record");
			continue;
		}
		if (k != 2 || parse_num(f[1], fl[1], 10, &v1) < 0 || v1 > UINT32_MAX)
			return jbad(j, err, name, c.line, "unknown record");
		if (fl[0] == 5 && !memcmp(f[0], "begin", 5)) {
			if (j->ntx >= SOSWAP__JOURNAL_MAX_TXNS || find_txn(j, v1))
				return jbad(j, err, name, c.line, "bad transaction id");
			if (soswap__grow((void **)&j->tx, &j->captx, j->ntx + 1, sizeof(*j->tx)) < 0)
				return jbad(j, err, name, c.line, "out of memory");
			cur = &j->tx[j->ntx++];
			memset(cur, 0, sizeof(*cur));
			cur->id = (unsigned)v1;
			continue;
		}
		struct soswap__jtxn *t = find_txn(j, v1);
		if (!t)
			return jbad(j, err, name, c.line, "unknown transaction");
		if (fl[0] == 5 && !memcmp(f[0], "ready", 5))
			t->ready = 1;
		else if (fl[0] == 6 && !memcmp(f[0], "commit", 6) && t->ready)
			t->committed = 1;
		else if (fl[0] == 8 && !memcmp(f[0], "rollback", 8) && t->ready)
			t->rolled_back = 1;
		else
			return jbad(j, err, name, c.line, "unknown record");
	}
	return 0;
}

void soswap__journal_free(struct soswap__journal *j)
{
	if (!j)
		return;
	for (size_t i = 0; i < j->ntx; i++) {
		free(j->tx[i].w);
		free(j->tx[i].old_desc);
		free(j->tx[i].new_desc);
	}
	free(j->tx);
	memset(j, 0, sizeof(*j));
}

/* ---- files ------------------------------------------------------------ */

int soswap__run_dir_name(char *buf, size_t size, soswap_err *err)
{
	const char *env = getenv("SOSWAP_RUN_DIR");
	const char *xdg = getenv("XDG_RUNTIME_DIR");
	int n;
	if (env && *env)
		n = snprintf(buf, size, "%s", env);
	else if (geteuid() == 0 || !xdg || !*xdg)
		n = snprintf(buf, size, "/run/soswap");
	else
		n = snprintf(buf, size, "%s/soswap", xdg);
	if (n < 0 || (size_t)n >= size || buf[0] != '/')
		return soswap__fail(err, -EINVAL, "%s: run directory must be an absolute path", buf);
	return 0;
}

int soswap__run_dir(char *buf, size_t size, soswap_err *err)
{
	int r = soswap__run_dir_name(buf, size, err);
	return r < 0 ? r : soswap__mkdirs(buf, err);
}

int soswap__proc_start_time(pid_t pid, uint64_t *start, soswap_err *err)
{
	struct soswap__pstat st;
	int r = soswap__proc_stat(pid, 0, &st);
	if (r == -EIO)
		return soswap__fail(err, r, "/proc/%d/stat: unexpected format", (int)pid);
	if (r < 0)
		return soswap__fail(err, -ESRCH, "pid %d: no such process", (int)pid);
	*start = st.start_ticks;
	return 0;
}

/* RUN_DIR/journal, created when `create`. */
static int journal_dir(char *dir, size_t size, int create, soswap_err *err)
{
	int r = soswap__run_dir_name(dir, size, err);
	if (r < 0)
		return r;
	size_t dl = strlen(dir);
	if (dl + 9 >= size)
		return soswap__fail(err, -ENAMETOOLONG, "%s: path too long", dir);
	strcpy(dir + dl, "/journal");
	return create ? soswap__mkdirs(dir, err) : 0;
}

static int journal_file(char *buf, size_t size, pid_t pid, uint64_t start, int create,
			soswap_err *err)
{
	char dir[4096];
	int r = journal_dir(dir, sizeof(dir), create, err);
	if (r < 0)
		return r;
	int n = snprintf(buf, size, "%s/%d-%" PRIu64, dir, (int)pid, start);
	if (n < 0 || (size_t)n >= size)
		return soswap__fail(err, -ENAMETOOLONG, "%s: path too long", dir);
	return 0;
}

int soswap__journal_path(char *buf, size_t size, pid_t pid, uint64_t start,
			 soswap_err *err)
{
	return journal_file(buf, size, pid, start, 1, err);
}

static int cmp_pid(const void *a, const void *b)
{
	pid_t x = *(const pid_t *)a, y = *(const pid_t *)b;
	return x < y ? -1 : x > y;
}

/* Is NAME a journal's file name, PID-START as journal_file() writes it? */
static int journal_name(const char *name, pid_t *pid, uint64_t *start)
{
	char *end, *end2;
	if (name[0] < '1' || name[0] > '9')
		return 0;
	unsigned long p = strtoul(name, &end, 10);
	if (*end != '-' || p > INT_MAX || end[1] < '0' || end[1] > '9')
		return 0;
	unsigned long long s = strtoull(end + 1, &end2, 10);
	if (*end2)
		return 0;
	*pid = (pid_t)p;
	*start = s;
	return 1;
}

int soswap__journal_pids(pid_t **out, size_t *n)
{
	char dir[4096];
	size_t cap = 0;
	*out = NULL;
	*n = 0;
	if (journal_dir(dir, sizeof(dir), 0, NULL) < 0)
		return 0;
	DIR *d = opendir(dir);
	if (!d)
		return errno == ENOMEM ? -ENOMEM : 0;
	struct dirent *de;
	while ((de = readdir(d))) {
		pid_t v;
		uint64_t start;
		if (!journal_name(de->d_name, &v, &start))
			continue;
		if (soswap__grow((void **)out, &cap, *n + 1, sizeof(**out)) < 0) {
			closedir(d);
			free(*out);
			*out = NULL;
			*n = 0;
			return -ENOMEM;
		}
		(*out)[(*n)++] = v;
	}
	closedir(d);
	if (*n > 1)
		qsort(*out, *n, sizeof(**out), cmp_pid);
	return 0;
}

void soswap__journal_prune(void)
{
	char dir[4096], path[4400];
	if (journal_dir(dir, sizeof(dir), 0, NULL) < 0)
		return;
	DIR *d = opendir(dir);
	if (!d)
		return;
	struct dirent *de;
	while ((de = readdir(d))) {
		pid_t pid;
		uint64_t start;
		if (!journal_name(de->d_name, &pid, &start))
			continue;	/* not a journal: leave it */
		struct soswap__pstat st;
		int r = soswap__proc_stat(pid, 0, &st);
		/* Gone, or the pid now names another process: nothing can be
		 * rolled back there any more.  (Unreadable: kept.) */
		if (r == -ESRCH || (r == 0 && st.start_ticks != start)) {
			snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
			unlink(path);
		}
	}
	closedir(d);
}

int soswap__journal_pid_listed(const pid_t *pids, size_t n, pid_t pid)
{
	return n && bsearch(&pid, pids, n, sizeof(*pids), cmp_pid) != NULL;
}

int soswap__journal_load(struct soswap__journal *j, const char *path,
			 soswap_err *err)
{
	memset(j, 0, sizeof(*j));
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return soswap__fail_errno(err, -errno, "%s", path);
	struct stat st;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) ||
	    (uint64_t)st.st_size > JOURNAL_MAX_SIZE) {
		close(fd);
		return soswap__fail(err, -EBADMSG, "%s: not a journal file", path);
	}
	char *buf = malloc((size_t)st.st_size + 1);
	if (!buf) {
		close(fd);
		return soswap__fail(err, -ENOMEM, "%s: out of memory", path);
	}
	size_t got = 0;
	while (got < (size_t)st.st_size) {
		ssize_t n = read(fd, buf + got, (size_t)st.st_size - got);
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	close(fd);
	int r = soswap__journal_parse(j, buf, got, path, err);
	free(buf);
	return r;
}

static void put_hex(FILE *f, const unsigned char *b, size_t n)
{
	for (size_t i = 0; i < n; i++)
		fprintf(f, "%02x", b[i]);
}

/* Append text built by fn to the journal and fsync it. */
static int append(const char *path, pid_t pid, uint64_t start,
		  void (*fn)(FILE *, void *), void *arg, soswap_err *err)
{
	int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0)
		return soswap__fail_errno(err, -errno, "%s: cannot open journal", path);
	struct stat st;
	FILE *f = fstat(fd, &st) == 0 ? fdopen(fd, "a") : NULL;
	if (!f) {
		int e = errno;
		close(fd);
		return soswap__fail_errno(err, -e, "%s: cannot open journal", path);
	}
	if (st.st_size == 0)
		fprintf(f, JOURNAL_MAGIC "%d %" PRIu64 "\n", (int)pid, start);
	fn(f, arg);
	int r = 0;
	if (fflush(f) != 0 || fsync(fd) != 0)
		r = soswap__fail_errno(err, -errno, "%s: cannot write journal", path);
	if (fclose(f) != 0 && r == 0)
		r = soswap__fail_errno(err, -errno, "%s: cannot write journal", path);
	return r;
}

struct begin_args {
	unsigned id;
	const char *old_desc, *new_desc;
	const struct soswap__write *w;
	size_t nw;
};

static void put_desc(FILE *f, const char *tag, const char *s)
{
	fprintf(f, "%s ", tag);
	for (; s && *s; s++)
		fputc(*s == '\n' || *s == '\r' ? '?' : *s, f);
	fputc('\n', f);
}

static void write_begin(FILE *f, void *arg)
{
	struct begin_args *a = arg;
	fprintf(f, "begin %u\n", a->id);
	put_desc(f, "old", a->old_desc);
	put_desc(f, "new", a->new_desc);
	for (size_t i = 0; i < a->nw; i++) {
		fprintf(f, "w %" PRIx64 " ", a->w[i].addr);
		put_hex(f, a->w[i].old, a->w[i].len);
		fputc(' ', f);
		put_hex(f, a->w[i].new, a->w[i].len);
		fputc('\n', f);
	}
	fprintf(f, "ready %u\n", a->id);
}

int soswap__journal_begin(const char *path, pid_t pid, uint64_t start,
			  const char *old_desc, const char *new_desc,
			  const struct soswap__write *w, size_t nw,
			  unsigned *id, soswap_err *err)
{
	struct soswap__journal j;
	struct begin_args a = { 1, old_desc, new_desc, w, nw };
	soswap_err e2;
	int r = soswap__journal_load(&j, path, &e2);
	if (r == 0) {
		if (j.pid != pid || j.start != start) {
			soswap__journal_free(&j);
			return soswap__fail(err, -EBADMSG, "%s: journal of another process", path);
		}
		for (size_t i = 0; i < j.ntx; i++)
			if (j.tx[i].id >= a.id)
				a.id = j.tx[i].id + 1;
		soswap__journal_free(&j);
	} else if (r != -ENOENT) {
		*err = e2;
		return r;
	}
	if (nw > SOSWAP__JOURNAL_MAX_WRITES)
		return soswap__fail(err, -E2BIG, "%s: too many writes to journal", path);
	r = append(path, pid, start, write_begin, &a, err);
	if (r == 0)
		*id = a.id;
	return r;
}

struct mark_args {
	const char *what;
	unsigned id;
};

static void write_mark(FILE *f, void *arg)
{
	struct mark_args *a = arg;
	fprintf(f, "%s %u\n", a->what, a->id);
}

int soswap__journal_mark(const char *path, const char *what, unsigned id,
			 soswap_err *err)
{
	struct mark_args a = { what, id };
	return append(path, 0, 0, write_mark, &a, err);
}

/* The swaps of a journal still in effect: committed and not rolled back. */
static int txn_active(const struct soswap__jtxn *t)
{
	return t->committed && !t->rolled_back;
}

int soswap__journal_swapped_off(pid_t pid, const char *path, char *now,
				size_t nowsz)
{
	uint64_t start;
	char jpath[4200];
	struct soswap__journal j;
	if (!path || soswap__proc_start_time(pid, &start, NULL) < 0 ||
	    journal_file(jpath, sizeof(jpath), pid, start, 0, NULL) < 0 ||
	    access(jpath, F_OK) < 0 || soswap__journal_load(&j, jpath, NULL) < 0)
		return 0;
	const struct soswap__jtxn *last = NULL;
	int off = 0;
	for (size_t i = 0; i < j.ntx; i++) {
		const struct soswap__jtxn *t = &j.tx[i];
		if (!txn_active(t))
			continue;
		last = t;
		if (t->old_desc && !strcmp(t->old_desc, path))
			off = 1;
	}
	/* A later swap back onto this very file puts it in use again. */
	if (off && last && last->new_desc && !strcmp(last->new_desc, path))
		off = 0;
	if (off && now && nowsz) {
		snprintf(now, nowsz, "%s", last && last->new_desc ? last->new_desc : "");
	}
	soswap__journal_free(&j);
	return off;
}
