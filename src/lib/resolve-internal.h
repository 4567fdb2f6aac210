/* resolve-internal.h - state shared by resolve.c (the search) and
 * resolve-fs.c (file access inside an optional root directory). */
#ifndef SOSWAP_RESOLVE_INTERNAL_H
#define SOSWAP_RESOLVE_INTERNAL_H

#include <sys/stat.h>
#include <sys/types.h>

#include "elf-internal.h"
#include "ldcache.h"

/* A parsed object kept for the resolver's lifetime, keyed by file id. */
struct rs_parsed {
	dev_t dev;
	ino_t ino;
	soswap_elf *elf;	/* NULL when parsing failed */
	char *error;		/* the failure, one line */
	int pinned;		/* a candidate verdict refers to it */
	int dead;		/* released: the slot is free */
};

/* A search directory as the loader keeps it: shared by every list that
 * names it, with the existence of each hwcaps/legacy subdirectory learnt
 * once (-1 missing, 1 present, 0 not yet known). */
struct rs_dir {
	char *name;		/* with a trailing '/', or "" (the cwd) */
	signed char *status;	/* one per capability subdirectory */
};

/* What the loader concluded about a candidate path. */
struct rs_cand {
	char *path;
	uint64_t hash;
	int verdict;		/* enum verdict of resolve.c */
	int err;		/* errno of a failed open */
	const char *why;	/* static text */
	mode_t mode;
	size_t parsed;		/* index into parsed[] when accepted */
};

struct soswap_resolver {
	char *root;		/* NULL, or the root directory (no trailing '/') */
	int rootfd;		/* -1 without a root */
	char *llp;		/* LD_LIBRARY_PATH, NULL when unset */
	char *preload;		/* LD_PRELOAD, NULL when unset */
	char *preload_file;	/* /etc/ld.so.preload's text, NULL if none */
	int preload_file_read;
	enum soswap_secure_mode secure;
	uid_t uid;
	gid_t gid;
	struct soswap__platform plat;
	/* "glibc-hwcaps/x86-64-v3/" ... then the legacy ones, then "". */
	char **caps;
	size_t ncaps;
	struct soswap__ldcache *cache;
	int cache_loaded;
	char *cache_error;
	struct rs_parsed *parsed;
	size_t nparsed, capparsed;
	struct rs_dir *dirs;
	size_t ndirs, capdirs;
	size_t sysdirs[4];	/* dirs[] indices of the system directories */
	size_t nsysdirs;
	struct rs_cand *cands;	/* verdicts by path, hashed */
	size_t ncands, capcands;
	size_t *htab;		/* open addressing: index + 1, 0 empty */
	size_t hcap;
};

/* File access relative to the resolver's root (or the real /). */
int soswap__rs_open(const soswap_resolver *r, const char *path, int flags);
int soswap__rs_stat(const soswap_resolver *r, const char *path, struct stat *st);
/* The canonical path of PATH (symlinks resolved) as seen inside the root;
 * malloc'd, or NULL with errno set. */
char *soswap__rs_realpath(const soswap_resolver *r, const char *path);

#endif
