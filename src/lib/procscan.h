/* procscan.h - internal side of the /proc scanners (maps.c, procscan.c):
 * the /proc/PID/maps line parser, exposed so the fuzzer and the unit tests
 * can feed it hostile bytes directly. */
#ifndef SOSWAP_PROCSCAN_H
#define SOSWAP_PROCSCAN_H

#include <stddef.h>
#include <sys/types.h>

#include "internal.h"

/* More mappings than any real process has (vm.max_map_count defaults to
 * 65530); a longer maps file is refused rather than eating memory. */
#define SOSWAP__MAPS_MAX 4000000
/* Cap on the bytes of one maps file read: far above any real one. */
#define SOSWAP__MAPS_MAX_BYTES (512u << 20)

/* Flags for soswap__maps_read_flags(). */
enum {
	/* Keep dev/ino as printed in maps (ident_from_maps = 1) and never stat
	 * /proc/PID/map_files: the scanner stats only the mappings it cares
	 * about. */
	SOSWAP__MAPS_NO_STAT = 1 << 0,
};

/* Parse one maps line of `len` bytes (no newline needed; the line is
 * modified in place: the path is NUL-terminated and the " (deleted)"
 * suffix cut off).  Fills *m with the fields printed in the line
 * (ident_from_maps = 1).  Returns 0, or -EINVAL when a field is missing or
 * malformed (wrong field count, bad hex, overflow, start > end). */
int soswap__maps_parse_line(char *line, size_t len, struct soswap_mapping *m);

/* Parse a whole maps text from a buffer (copied).  `name` names the source
 * in error messages.  No stat is done.  Malformed lines are an error
 * (-EINVAL, naming the line number). */
int soswap__maps_parse(soswap_maps **out, const void *buf, size_t len,
		       const char *name, soswap_err *err);

/* soswap_maps_read() with flags (SOSWAP__MAPS_*). */
int soswap__maps_read_flags(soswap_maps **out, pid_t pid, unsigned flags,
			    soswap_err *err);

/* Cut a trailing " (deleted)" off path (len = strlen(path), the string is
 * NUL-terminated at len); returns 1 when it was there. */
int soswap__strip_deleted(char *path, size_t len);

/* Read /proc/PID/maps from an open fd (the maps API of soswap.h, without
 * map_files stat).  `name` names the file in messages. */
int soswap__maps_read_fd(soswap_maps **out, int fd, const char *name,
			 soswap_err *err);

/* Call fn(arg, m) for each executable file-backed mapping of the process
 * whose /proc/PID/maps is open on fd, through the PROCMAP_QUERY ioctl
 * (Linux 6.11+).  m has ident_from_maps = 1; m->path (stripped of
 * " (deleted)", valid during the call only) is set only when want_name.
 * Returns 0 after the last one, fn's value when it returns non-zero (to
 * stop), -ENOTTY when the kernel has no PROCMAP_QUERY, or -errno. */
int soswap__vma_exec_each(int fd, int want_name,
			  int (*fn)(void *arg, const struct soswap_mapping *m),
			  void *arg);

/* The file-backed mapping covering addr, or the next one above it, with
 * its path in name[namesz] when name is not NULL: 0, -ENOENT when none,
 * -ENOTTY without PROCMAP_QUERY. */
int soswap__vma_file_at(int fd, uint64_t addr, char *name, size_t namesz,
			struct soswap_mapping *m);

/* Read a whole small /proc file into a NUL-terminated malloc'd buffer
 * (at most `max` bytes; *len gets the length).  Only for files the kernel
 * produces in one piece (stat, status, cmdline, comm): a first read
 * shorter than the buffer is taken as the whole file.  Returns 0 or a negative
 * errno (-ENOENT and -ESRCH both mean "process gone"). */
int soswap__read_proc_file(const char *path, size_t max, char **buf,
			   size_t *len);

/* What soswap reads of /proc/PID/stat (or /proc/PID/task/TID/stat when
 * tid > 0): the command name, the scheduling state letter and the start
 * time in clock ticks since boot. */
struct soswap__pstat {
	char comm[128];		/* newlines turned into spaces */
	char state;
	uint64_t start_ticks;
};
/* 0; -ESRCH when the process (thread) is gone; -EIO when the file does
 * not parse. */
int soswap__proc_stat(pid_t pid, pid_t tid, struct soswap__pstat *st);

#endif
