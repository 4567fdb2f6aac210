/* vmaquery.c - walk the executable file mappings of a process with the
 * PROCMAP_QUERY ioctl on /proc/PID/maps (Linux 6.11+).
 *
 * Reading the maps text makes the kernel format every mapping and build
 * the path of every file-backed one; most of a scan's time goes there.
 * The ioctl lets the kernel skip anonymous and non-executable mappings and
 * returns numbers, with the path only when asked for, so a scan can tell
 * cheaply which processes deserve a full read of their maps. */
#include <errno.h>
#include <limits.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/sysmacros.h>

#include "procscan.h"

/* The kernel ABI (include/uapi/linux/fs.h), for headers older than 6.11. */
struct soswap__procmap_query {
	uint64_t size;
	uint64_t query_flags;
	uint64_t query_addr;
	uint64_t vma_start;
	uint64_t vma_end;
	uint64_t vma_flags;
	uint64_t vma_page_size;
	uint64_t vma_offset;
	uint64_t inode;
	uint32_t dev_major;
	uint32_t dev_minor;
	uint32_t vma_name_size;
	uint32_t build_id_size;
	uint64_t vma_name_addr;
	uint64_t build_id_addr;
};

#define Q_IOCTL _IOWR('f', 17, struct soswap__procmap_query)
#define Q_VMA_READABLE 0x01
#define Q_VMA_WRITABLE 0x02
#define Q_VMA_EXECUTABLE 0x04
#define Q_VMA_SHARED 0x08
#define Q_COVERING_OR_NEXT 0x10
#define Q_FILE_BACKED 0x20

/* Guard against a kernel (or a bug) that never ends the walk. */
#define Q_MAX_VMAS SOSWAP__MAPS_MAX

/* A mapping from an answer; name (if asked for) becomes m->path. */
static void fill(struct soswap_mapping *m, const struct soswap__procmap_query *q,
		 char *name, size_t namesz)
{
	memset(m, 0, sizeof(*m));
	m->start = q->vma_start;
	m->end = q->vma_end;
	m->offset = q->vma_offset;
	m->perms[0] = q->vma_flags & Q_VMA_READABLE ? 'r' : '-';
	m->perms[1] = q->vma_flags & Q_VMA_WRITABLE ? 'w' : '-';
	m->perms[2] = q->vma_flags & Q_VMA_EXECUTABLE ? 'x' : '-';
	m->perms[3] = q->vma_flags & Q_VMA_SHARED ? 's' : 'p';
	m->dev = makedev(q->dev_major, q->dev_minor);
	m->ino = (ino_t)q->inode;
	m->ident_from_maps = 1;
	/* vma_name_size counts the terminating NUL; the text is the one
	 * maps prints, " (deleted)" included. */
	if (name && q->vma_name_size > 0 && q->vma_name_size <= namesz) {
		name[q->vma_name_size - 1] = '\0';
		m->deleted = soswap__strip_deleted(name, strlen(name));
		m->path = name[0] ? name : NULL;
	}
}

int soswap__vma_exec_each(int fd, int want_name,
			  int (*fn)(void *arg, const struct soswap_mapping *m),
			  void *arg)
{
	char name[PATH_MAX + 64];
	uint64_t addr = 0;
	for (unsigned n = 0; n < Q_MAX_VMAS; n++) {
		struct soswap__procmap_query q;
		memset(&q, 0, sizeof(q));
		q.size = sizeof(q);
		q.query_flags = Q_COVERING_OR_NEXT | Q_FILE_BACKED | Q_VMA_EXECUTABLE;
		q.query_addr = addr;
		if (want_name) {
			q.vma_name_addr = (uintptr_t)name;
			q.vma_name_size = sizeof(name);
		}
		if (ioctl(fd, Q_IOCTL, &q) < 0) {
			if (errno == ENOENT)
				return 0;	/* no mapping at or above addr */
			if (errno == ENOTTY || errno == EINVAL || errno == EOPNOTSUPP)
				return -ENOTTY;
			return -errno;
		}
		if (q.vma_end <= addr || q.vma_end <= q.vma_start)
			return -EIO;	/* the walk must move forward */
		addr = q.vma_end;

		struct soswap_mapping m;
		fill(&m, &q, want_name ? name : NULL, sizeof(name));
		int r = fn(arg, &m);
		if (r)
			return r;
	}
	return -E2BIG;
}

int soswap__vma_file_at(int fd, uint64_t addr, char *name, size_t namesz,
			struct soswap_mapping *m)
{
	struct soswap__procmap_query q;
	memset(&q, 0, sizeof(q));
	q.size = sizeof(q);
	q.query_flags = Q_COVERING_OR_NEXT | Q_FILE_BACKED;
	q.query_addr = addr;
	if (name && namesz) {
		q.vma_name_addr = (uintptr_t)name;
		q.vma_name_size = namesz > UINT32_MAX ? UINT32_MAX : (uint32_t)namesz;
	}
	if (ioctl(fd, Q_IOCTL, &q) < 0)
		return errno == ENOTTY || errno == EINVAL ? -ENOTTY : -errno;
	fill(m, &q, name && namesz ? name : NULL, namesz);
	return 0;
}
