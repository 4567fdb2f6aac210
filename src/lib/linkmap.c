/* linkmap.c - the objects a target has loaded, from its own loader's
 * list (r_debug.r_map), which also holds objects dlopen()ed with
 * RTLD_LOCAL and tells each object's load bias (l_addr).
 *
 * r_debug is found the way debuggers find it: the executable's DT_DEBUG
 * entry, which ld.so fills in at start-up.  The executable's dynamic
 * section is located from /proc/PID/auxv (AT_PHDR, AT_PHNUM) and the
 * program headers in target memory.  When DT_DEBUG is absent or still 0,
 * ld.so's _r_debug symbol is used instead.
 */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <link.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "elf-internal.h"
#include "live-internal.h"
#include "ptrace.h"

#define MAX_MODULES 4096
#define MAX_PHNUM 256
#define MAX_DYN 1024

int soswap__procmem_read(void *ctx, uint64_t addr, void *buf, size_t len,
			 soswap_err *err)
{
	int fd = *(int *)ctx;
	size_t got = 0;
	while (got < len) {
		ssize_t n = pread(fd, (char *)buf + got, len - got,
				  (off_t)(addr + got));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return soswap__fail(err, n < 0 ? -errno : -EIO,
					    "cannot read target memory at 0x%" PRIx64 ": %s",
					    addr + got, n < 0 ? strerror(errno) : "short read");
		got += (size_t)n;
	}
	return 0;
}

static int read_auxv(pid_t pid, uint64_t *phdr, uint64_t *phnum, soswap_err *err)
{
	char path[64];
	uint64_t av[2 * 128];
	snprintf(path, sizeof(path), "/proc/%d/auxv", (int)pid);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return soswap__fail_errno(err, errno == ENOENT ? -ESRCH : -errno, "%s", path);
	ssize_t n = read(fd, av, sizeof(av));
	close(fd);
	if (n <= 0)
		return soswap__fail(err, -ESRCH, "%s: empty (process exiting?)", path);
	*phdr = *phnum = 0;
	for (size_t i = 0; i + 1 < (size_t)n / 8; i += 2) {
		if (av[i] == AT_PHDR)
			*phdr = av[i + 1];
		else if (av[i] == AT_PHNUM)
			*phnum = av[i + 1];
	}
	if (!*phdr || !*phnum || *phnum > MAX_PHNUM)
		return soswap__fail(err, -ENOEXEC, "%s: no program headers", path);
	return 0;
}

/* r_debug's address from the executable's DT_DEBUG, or 0. */
static int dt_debug(pid_t pid, soswap__reader rd, void *rctx, uint64_t *out,
		    soswap_err *err)
{
	uint64_t at_phdr = 0, phnum = 0, bias = 0, dyn = 0, dynsz = 0;
	Elf64_Phdr ph[MAX_PHNUM];
	int r = read_auxv(pid, &at_phdr, &phnum, err);
	if (r < 0 || (r = rd(rctx, at_phdr, ph, phnum * sizeof(*ph), err)) < 0)
		return r;
	for (size_t i = 0; i < phnum; i++)
		if (ph[i].p_type == PT_PHDR)
			bias = at_phdr - ph[i].p_vaddr;
	for (size_t i = 0; i < phnum; i++)
		if (ph[i].p_type == PT_DYNAMIC) {
			dyn = bias + ph[i].p_vaddr;
			dynsz = ph[i].p_memsz;
		}
	*out = 0;
	if (!dyn)
		return 0;
	Elf64_Dyn d[MAX_DYN];
	size_t nd = dynsz / sizeof(*d);
	if (nd > MAX_DYN)
		nd = MAX_DYN;
	if ((r = rd(rctx, dyn, d, nd * sizeof(*d), err)) < 0)
		return r;
	for (size_t i = 0; i < nd && d[i].d_tag != DT_NULL; i++)
		if (d[i].d_tag == DT_DEBUG)
			*out = d[i].d_un.d_ptr;
	return 0;
}

static int read_string(soswap__reader rd, void *rctx, uint64_t addr, char **out,
		       soswap_err *err)
{
	char buf[4096];
	size_t len = 0;
	*out = NULL;
	if (addr == 0) {
		*out = strdup("");
		return *out ? 0 : -ENOMEM;
	}
	/* Read in chunks that never cross a page: the string may end just
	 * before an unmapped page. */
	while (len < sizeof(buf) - 1) {
		uint64_t a = addr + len;
		size_t chunk = 4096 - (size_t)(a & 4095);
		if (chunk > sizeof(buf) - 1 - len)
			chunk = sizeof(buf) - 1 - len;
		int r = rd(rctx, a, buf + len, chunk, err);
		if (r < 0)
			return r;
		char *nul = memchr(buf + len, '\0', chunk);
		if (nul) {
			len = (size_t)(nul - buf);
			break;
		}
		len += chunk;
	}
	buf[len] = '\0';
	*out = strdup(buf);
	return *out ? 0 : -ENOMEM;
}

/* Open the module's file through the mapping that holds its dynamic
 * section: this works for deleted files and across mount namespaces. */
static void open_module(struct soswap__module *m, pid_t pid,
			const soswap_maps *maps)
{
	for (size_t i = 0; i < soswap_maps_count(maps); i++) {
		const struct soswap_mapping *mp = soswap_maps_get(maps, i);
		if (m->l_ld < mp->start || m->l_ld >= mp->end)
			continue;
		if (!mp->path || mp->path[0] != '/')
			return;	/* [vdso] and anonymous memory */
		char path[128];
		snprintf(path, sizeof(path), "/proc/%d/map_files/%" PRIx64 "-%" PRIx64,
			 (int)pid, mp->start, mp->end);
		soswap_err e;
		if (soswap_elf_open(&m->elf, path, &e) < 0) {
			/* map_files needs CAP_SYS_ADMIN: fall back to the path */
			char alt[4200];
			snprintf(alt, sizeof(alt), "/proc/%d/root%s", (int)pid, mp->path);
			if (mp->deleted || soswap_elf_open(&m->elf, alt, &e) < 0)
				return;
			m->file = strdup(alt);
		} else {
			m->file = strdup(path);
		}
		m->deleted = mp->deleted;
		m->mapped = strdup(mp->path);
		break;
	}
	soswap__module_extent(m);
}

void soswap__module_extent(struct soswap__module *m)
{
	if (!m->elf)
		return;
	const GElf_Phdr *ph = m->elf->phdrs;
	m->lo = UINT64_MAX;
	for (size_t i = 0; i < m->elf->phnum; i++) {
		if (ph[i].p_type != PT_LOAD)
			continue;
		if (m->l_addr + ph[i].p_vaddr < m->lo)
			m->lo = m->l_addr + ph[i].p_vaddr;
		if (m->l_addr + ph[i].p_vaddr + ph[i].p_memsz > m->hi)
			m->hi = m->l_addr + ph[i].p_vaddr + ph[i].p_memsz;
	}
	if (m->lo > m->hi)
		m->lo = m->hi = 0;
}

static int find_r_debug(pid_t pid, soswap__reader rd, void *rctx, uint64_t *out,
			soswap_err *err)
{
	int r = dt_debug(pid, rd, rctx, out, err);
	if (r < 0 || *out)
		return r;
	r = soswap__remote_symbol(pid, "ld-linux-x86-64.so.2", "_r_debug", out, err);
	if (r < 0)
		return soswap__fail(err, r, "pid %d: cannot find the loader's r_debug "
				    "(statically linked?)", (int)pid);
	return 0;
}

int soswap__modules_read(struct soswap__modules *mods, pid_t pid,
			 soswap__reader rd, void *rctx, soswap_err *err)
{
	soswap_maps *maps = NULL;
	size_t cap = 0;
	uint64_t rdeb[2], lm;
	int r;
	memset(mods, 0, sizeof(*mods));
	mods->pid = pid;
	if ((r = find_r_debug(pid, rd, rctx, &mods->r_debug, err)) < 0 ||
	    (r = rd(rctx, mods->r_debug, rdeb, sizeof(rdeb), err)) < 0 ||
	    (r = soswap_maps_read(&maps, pid, err)) < 0)
		goto fail;
	for (lm = rdeb[1]; lm; ) {
		uint64_t l[5];	/* l_addr, l_name, l_ld, l_next, l_prev */
		if (mods->n >= MAX_MODULES) {
			r = soswap__fail(err, -ELOOP, "pid %d: link_map list too long", (int)pid);
			goto fail;
		}
		if ((r = rd(rctx, lm, l, sizeof(l), err)) < 0)
			goto fail;
		if (soswap__grow((void **)&mods->m, &cap, mods->n + 1, sizeof(*mods->m)) < 0) {
			r = soswap__fail(err, -ENOMEM, "out of memory");
			goto fail;
		}
		struct soswap__module *m = &mods->m[mods->n++];
		memset(m, 0, sizeof(*m));
		m->lm = lm;
		m->l_addr = l[0];
		m->l_ld = l[2];
		if ((r = read_string(rd, rctx, l[1], &m->name, err)) < 0)
			goto fail;
		open_module(m, pid, maps);
		lm = l[3];
	}
	soswap_maps_free(maps);
	return 0;
fail:
	soswap_maps_free(maps);
	soswap__modules_free(mods);
	return r;
}

void soswap__modules_free(struct soswap__modules *mods)
{
	if (!mods)
		return;
	for (size_t i = 0; i < mods->n; i++) {
		free(mods->m[i].name);
		free(mods->m[i].file);
		free(mods->m[i].mapped);
		soswap_elf_close(mods->m[i].elf);
	}
	free(mods->m);
	memset(mods, 0, sizeof(*mods));
}

ssize_t soswap__modules_find(const struct soswap__modules *mods, uint64_t addr)
{
	for (size_t i = 0; i < mods->n; i++)
		if (addr >= mods->m[i].lo && addr < mods->m[i].hi)
			return (ssize_t)i;
	return -1;
}
