/* maps.c - read and parse /proc/PID/maps (the maps API of soswap.h).
 *
 * A maps line is
 *   START-END PERMS OFFSET MAJOR:MINOR INODE [spaces PATH[ (deleted)]]
 * with hex numbers except INODE.  The kernel pads the path to a column; the
 * path itself may contain spaces (everything up to the end of the line is
 * the path), and a newline in a file name is printed as "\012", so a line
 * never spans two.  The text is treated as hostile anyway: every field is
 * checked, numbers are overflow-checked, counts and sizes are capped. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "procscan.h"

struct soswap_maps {
	char *buf;			/* the maps text; paths point into it */
	struct soswap_mapping *v;
	size_t n, cap;
};

static const char deleted_suffix[] = " (deleted)";

/* Hex number of 1..maxdigits digits at s[*i]. */
static int parse_hex(const char *s, size_t len, size_t *i, unsigned maxdigits,
		     uint64_t *out)
{
	uint64_t v = 0;
	unsigned n = 0;
	while (*i < len) {
		char c = s[*i];
		unsigned d;
		if (c >= '0' && c <= '9')
			d = (unsigned)(c - '0');
		else if (c >= 'a' && c <= 'f')
			d = (unsigned)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			d = (unsigned)(c - 'A' + 10);
		else
			break;
		if (++n > maxdigits)
			return -EINVAL;
		v = v << 4 | d;
		(*i)++;
	}
	if (!n)
		return -EINVAL;
	*out = v;
	return 0;
}

static int parse_dec(const char *s, size_t len, size_t *i, uint64_t *out)
{
	uint64_t v = 0;
	unsigned n = 0;
	while (*i < len && s[*i] >= '0' && s[*i] <= '9') {
		unsigned d = (unsigned)(s[*i] - '0');
		if (v > (UINT64_MAX - d) / 10)
			return -EINVAL;
		v = v * 10 + d;
		n++;
		(*i)++;
	}
	if (!n)
		return -EINVAL;
	*out = v;
	return 0;
}

static int expect(const char *s, size_t len, size_t *i, char c)
{
	if (*i >= len || s[*i] != c)
		return -EINVAL;
	(*i)++;
	return 0;
}

int soswap__maps_parse_line(char *line, size_t len, struct soswap_mapping *m)
{
	uint64_t major, minor, ino;
	size_t i = 0;

	memset(m, 0, sizeof(*m));
	/* Six fields, each checked; any miss is a wrong field count. */
	if (parse_hex(line, len, &i, 16, &m->start) || expect(line, len, &i, '-') ||
	    parse_hex(line, len, &i, 16, &m->end) || expect(line, len, &i, ' '))
		return -EINVAL;
	if (len - i < 5 || line[i + 4] != ' ')
		return -EINVAL;
	for (int k = 0; k < 4; k++) {
		if (!strchr("rwxsp-", line[i + k]) || !line[i + k])
			return -EINVAL;
		m->perms[k] = line[i + k];
	}
	m->perms[4] = '\0';
	i += 5;
	if (parse_hex(line, len, &i, 16, &m->offset) || expect(line, len, &i, ' ') ||
	    parse_hex(line, len, &i, 8, &major) || expect(line, len, &i, ':') ||
	    parse_hex(line, len, &i, 8, &minor) || expect(line, len, &i, ' ') ||
	    parse_dec(line, len, &i, &ino))
		return -EINVAL;
	if (m->start > m->end)
		return -EINVAL;
	/* After the inode: nothing (anonymous, possibly with trailing blanks)
	 * or blanks then the path. */
	if (i < len && line[i] != ' ')
		return -EINVAL;
	m->dev = makedev((unsigned)major, (unsigned)minor);
	m->ino = (ino_t)ino;
	m->ident_from_maps = 1;
	while (i < len && line[i] == ' ')
		i++;
	if (i >= len) {
		m->path = NULL;
		return 0;
	}
	char *path = line + i;
	size_t plen = strnlen(path, len - i);
	path[plen] = '\0';
	m->deleted = soswap__strip_deleted(path, plen);
	m->path = path[0] ? path : NULL;
	return 0;
}

int soswap__strip_deleted(char *path, size_t len)
{
	size_t slen = sizeof(deleted_suffix) - 1;
	if (len <= slen || memcmp(path + len - slen, deleted_suffix, slen))
		return 0;
	path[len - slen] = '\0';
	return 1;
}

/* Parse the text in m->buf (NUL-terminated, len bytes, owned by m). */
static int parse_all(soswap_maps *m, size_t len, const char *name,
		     soswap_err *err)
{
	char *s = m->buf;
	size_t lineno = 0;
	while (len) {
		char *nl = memchr(s, '\n', len);
		size_t l = nl ? (size_t)(nl - s) : len;
		lineno++;
		if (nl)
			*nl = '\0';
		if (m->n >= SOSWAP__MAPS_MAX)
			return soswap__fail(err, -E2BIG, "%s: more than %d mappings",
					    name, SOSWAP__MAPS_MAX);
		if (soswap__grow((void **)&m->v, &m->cap, m->n + 1, sizeof(*m->v)))
			return soswap__fail(err, -ENOMEM, "%s: out of memory", name);
		if (soswap__maps_parse_line(s, l, &m->v[m->n]) < 0)
			return soswap__fail(err, -EINVAL, "%s: line %zu: malformed maps line",
					    name, lineno);
		m->n++;
		if (!nl)
			break;
		s = nl + 1;
		len -= l + 1;
	}
	return 0;
}

int soswap__maps_parse(soswap_maps **out, const void *buf, size_t len,
		       const char *name, soswap_err *err)
{
	*out = NULL;
	if (len > SOSWAP__MAPS_MAX_BYTES)
		return soswap__fail(err, -E2BIG, "%s: maps text too large", name);
	soswap_maps *m = calloc(1, sizeof(*m));
	if (!m || !(m->buf = malloc(len + 1))) {
		free(m);
		return soswap__fail(err, -ENOMEM, "%s: out of memory", name);
	}
	if (len)
		memcpy(m->buf, buf, len);
	m->buf[len] = '\0';
	int rc = parse_all(m, len, name, err);
	if (rc < 0) {
		soswap_maps_free(m);
		return rc;
	}
	*out = m;
	return 0;
}

/* Read all of fd (a /proc file: sizes are unknown until read). */
static int read_fd_all(int fd, size_t max, int one_shot, char **buf, size_t *len)
{
	size_t cap = 16384, n = 0;
	char *b = malloc(cap + 1);
	int rc = b ? 0 : -ENOMEM;
	while (!rc) {
		if (n == cap) {
			if (cap >= max) {
				rc = -E2BIG;
				break;
			}
			size_t ncap = cap * 2 > max ? max : cap * 2;
			char *nb = realloc(b, ncap + 1);
			if (!nb) {
				rc = -ENOMEM;
				break;
			}
			b = nb;
			cap = ncap;
		}
		ssize_t r = read(fd, b + n, cap - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			rc = -errno;
		else if (r == 0)
			break;
		else
			n += (size_t)r;
		/* A /proc file shown in one piece (stat, cmdline, ...)
		 * comes whole in the first read when it fits: spare the
		 * read that would only see the end. */
		if (!rc && one_shot && n < cap)
			break;
	}
	if (rc < 0) {
		free(b);
		return rc;
	}
	b[n] = '\0';
	*buf = b;
	*len = n;
	return 0;
}

int soswap__read_proc_file(const char *path, size_t max, char **buf,
			   size_t *len)
{
	*buf = NULL;
	*len = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	int rc = read_fd_all(fd, max, 1, buf, len);
	close(fd);
	return rc;
}

int soswap__proc_stat(pid_t pid, pid_t tid, struct soswap__pstat *st)
{
	char path[64], buf[1024];
	if (tid > 0)
		snprintf(path, sizeof(path), "/proc/%d/task/%d/stat", (int)pid, (int)tid);
	else
		snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT || errno == ESRCH ? -ESRCH : -errno;
	ssize_t n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -ESRCH;
	buf[n] = '\0';
	/* The command name may hold spaces, parentheses and newlines: it
	 * runs from the first '(' to the LAST ')'; the state (field 3) and
	 * the start time (field 22) are counted from there. */
	char *open_p = strchr(buf, '('), *close_p = strrchr(buf, ')');
	if (!open_p || !close_p || close_p < open_p || close_p[1] != ' ' || !close_p[2])
		return -EIO;
	size_t cl = (size_t)(close_p - open_p - 1);
	if (cl >= sizeof(st->comm))
		cl = sizeof(st->comm) - 1;
	memcpy(st->comm, open_p + 1, cl);
	st->comm[cl] = '\0';
	for (char *q = st->comm; *q; q++)
		if (*q == '\n')
			*q = ' ';
	st->state = close_p[2];
	const char *p = close_p + 2;
	for (int field = 3; field < 22; field++) {
		p = strchr(p, ' ');
		if (!p)
			return -EIO;
		p++;
	}
	char *end;
	errno = 0;
	unsigned long long v = strtoull(p, &end, 10);
	if (end == p || errno)
		return -EIO;
	st->start_ticks = v;
	return 0;
}

int soswap__maps_read_fd(soswap_maps **out, int fd, const char *name,
			 soswap_err *err)
{
	char *buf;
	size_t len;
	*out = NULL;
	int rc = read_fd_all(fd, SOSWAP__MAPS_MAX_BYTES, 0, &buf, &len);
	if (rc < 0)
		return soswap__fail_errno(err, rc, "%s", name);
	soswap_maps *m = calloc(1, sizeof(*m));
	if (!m) {
		free(buf);
		return soswap__fail(err, -ENOMEM, "%s: out of memory", name);
	}
	m->buf = buf;
	rc = parse_all(m, len, name, err);
	if (rc < 0) {
		soswap_maps_free(m);
		return rc;
	}
	*out = m;
	return 0;
}

/* Replace the maps-printed identity by stat() of map_files, once per run of
 * mappings of the same file (a library has 4-5 consecutive mappings). */
static void stat_map_files(soswap_maps *m, pid_t pid)
{
	char p[64];
	struct soswap_mapping *prev = NULL;
	dev_t prev_mdev = 0;
	ino_t prev_mino = 0;
	int denied = 0;
	for (size_t i = 0; i < m->n && !denied; i++) {
		struct soswap_mapping *v = &m->v[i];
		if (!v->path || v->path[0] != '/')
			continue;
		dev_t mdev = v->dev;
		ino_t mino = v->ino;
		if (prev && !prev->ident_from_maps && prev_mdev == mdev &&
		    prev_mino == mino && !strcmp(prev->path, v->path)) {
			v->dev = prev->dev;
			v->ino = prev->ino;
			v->ident_from_maps = 0;
		} else {
			struct stat st;
			snprintf(p, sizeof(p), "/proc/%d/map_files/%" PRIx64 "-%" PRIx64,
				 (int)pid, v->start, v->end);
			if (stat(p, &st) == 0) {
				v->dev = st.st_dev;
				v->ino = st.st_ino;
				v->ident_from_maps = 0;
			} else if (errno == EPERM || errno == EACCES) {
				denied = 1;	/* no capability: none will work */
			}
		}
		prev = v;
		prev_mdev = mdev;
		prev_mino = mino;
	}
}

int soswap__maps_read_flags(soswap_maps **out, pid_t pid, unsigned flags,
			    soswap_err *err)
{
	char path[64];
	*out = NULL;
	if (pid <= 0)
		return soswap__fail(err, -EINVAL, "pid %d: invalid pid", (int)pid);
	snprintf(path, sizeof(path), "/proc/%d/maps", (int)pid);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 && (errno == ENOENT || errno == ESRCH))
		return soswap__fail(err, -ESRCH, "pid %d: no such process", (int)pid);
	if (fd < 0)
		return soswap__fail_errno(err, -errno, "%s", path);
	int rc = soswap__maps_read_fd(out, fd, path, err);
	close(fd);
	if (rc == 0 && !(flags & SOSWAP__MAPS_NO_STAT))
		stat_map_files(*out, pid);
	return rc;
}

int soswap_maps_read(soswap_maps **out, pid_t pid, soswap_err *err)
{
	return soswap__maps_read_flags(out, pid, 0, err);
}

size_t soswap_maps_count(const soswap_maps *m)
{
	return m ? m->n : 0;
}

const struct soswap_mapping *soswap_maps_get(const soswap_maps *m, size_t i)
{
	return m && i < m->n ? &m->v[i] : NULL;
}

void soswap_maps_free(soswap_maps *m)
{
	if (!m)
		return;
	free(m->v);
	free(m->buf);
	free(m);
}
