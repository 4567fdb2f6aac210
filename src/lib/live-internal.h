/* live-internal.h - the pieces of the live swap shared by linkmap.c,
 * patch.c, journal.c and live.c (not installed).
 *
 * The planning side (link_map walk, relocation plan, entry jumps) only
 * reads target memory through a reader callback, so it runs against a
 * stopped or a running target alike, and against the calling process in
 * the unit tests.
 */
#ifndef SOSWAP_LIVE_INTERNAL_H
#define SOSWAP_LIVE_INTERNAL_H

#include <stdint.h>
#include <sys/types.h>

#include "internal.h"

/* Read len bytes of target memory at addr into buf; 0 or -errno. */
typedef int (*soswap__reader)(void *ctx, uint64_t addr, void *buf, size_t len,
			      soswap_err *err);

/* A reader over /proc/PID/mem (ctx points to an int fd). */
int soswap__procmem_read(void *ctx, uint64_t addr, void *buf, size_t len,
			 soswap_err *err);

/* ---- link_map (linkmap.c) ------------------------------------------- */

struct soswap__module {
	uint64_t lm;		/* address of the struct link_map */
	uint64_t l_addr;	/* load bias */
	uint64_t l_ld;		/* its dynamic section in the target */
	char *name;		/* l_name ("" for the executable) */
	char *file;		/* path soswap opens: /proc/PID/map_files/... */
	char *mapped;		/* the file's path in /proc/PID/maps (without
				   " (deleted)"); differs from name when the
				   loader went through a symlink */
	soswap_elf *elf;	/* NULL for the vDSO or an unreadable object */
	uint64_t lo, hi;	/* [lo, hi): its PT_LOAD extent in the target */
	int deleted;		/* mapped from a deleted file */
};

struct soswap__modules {
	pid_t pid;
	uint64_t r_debug;
	struct soswap__module *m;
	size_t n;
};

/* Walk the target's r_debug.r_map list (r_debug found through the
 * executable's DT_DEBUG, read from /proc/PID/auxv and target memory, or
 * through ld.so's _r_debug) and open every object's file through
 * /proc/PID/map_files so that deleted files and other mount namespaces
 * work.  At most 4096 objects. */
int soswap__modules_read(struct soswap__modules *mods, pid_t pid,
			 soswap__reader rd, void *rctx, soswap_err *err);
void soswap__modules_free(struct soswap__modules *mods);
/* Fill m->lo/hi from m->elf's PT_LOAD segments and m->l_addr. */
void soswap__module_extent(struct soswap__module *m);
/* Index of the module whose [lo, hi) holds addr, or -1. */
ssize_t soswap__modules_find(const struct soswap__modules *mods, uint64_t addr);

/* ---- the plan (patch.c) --------------------------------------------- */

/* One write into the target: `len` bytes at addr, old -> new. */
struct soswap__write {
	uint64_t addr;
	uint32_t len;
	unsigned char old[16], new[16];
	unsigned char kind;	/* SOSWAP__W_GOT, _JUMP, _RESTORE, _DATA */
};

enum { SOSWAP__W_GOT = 1, SOSWAP__W_JUMP, SOSWAP__W_RESTORE, SOSWAP__W_DATA };

struct soswap__skip {
	char *name;
	const char *reason;	/* static string */
};

struct soswap__plan {
	struct soswap__write *w;
	size_t nw, capw;
	/* [lo, hi) byte ranges of entry jumps: no thread may be inside */
	struct soswap__range { uint64_t lo, hi; } *busy;
	size_t nbusy, capbusy;
	struct soswap__skip *skipped;
	size_t nskipped, capskip;
	char **missing;		/* "name@ver" NEW lacks; non-empty = refuse */
	size_t nmissing, capmissing;
	char *refuse;		/* other reason to refuse (COPY size change) */
	unsigned *mod_slots;	/* GOT slots rewritten, per module */
	unsigned got_slots, entry_jumps, entries_restored, data_shared;
	unsigned modules_patched, data_changed;
};

struct soswap__plan_in {
	const struct soswap__modules *mods;
	soswap__reader rd;
	void *rctx;
	const unsigned char *family;	/* family[i]: module i is a version of OLD */
	size_t new_idx;		/* NEW's module */
	size_t old_idx;		/* the module the user named as OLD */
	int no_entry_jumps;
	int has_migrate;	/* NEW exports soswap_migrate */
	int new_virtual;	/* NEW not loaded yet: do not read its memory */
};

int soswap__plan_build(struct soswap__plan *p, const struct soswap__plan_in *in,
		       soswap_err *err);
void soswap__plan_free(struct soswap__plan *p);

/* Is addr inside a busy range (p sorted by soswap__plan_sort)? */
int soswap__plan_busy(const struct soswap__plan *p, uint64_t addr);
/* Forbid threads in [at+1, at+len): the bytes of an entry being replaced. */
int soswap__plan_add_busy(struct soswap__plan *p, uint64_t at, unsigned len);
/* Sort writes and busy ranges by address. */
void soswap__plan_sort(struct soswap__plan *p);

/* Encode a jump from `at` to `to` into out (5-byte rel32 when in range,
 * else 14-byte jmp [rip+0] + imm64); returns the length. */
unsigned soswap__encode_jump(uint64_t at, uint64_t to, unsigned char out[14]);

/* ---- the pause (pause.c) -------------------------------------------- */

struct soswap_tracee;

struct soswap__pause_stats {
	uint64_t first_ns;	/* first interrupt sent */
	uint64_t stopped_ns;	/* last thread stopped */
	uint64_t resume_ns;	/* first resume */
	uint64_t resumed_ns;	/* last resume done */
	unsigned retries, writes, stepped;
	int wrote;		/* writing started: the journal is needed */
};

/* Stop every thread (t seized) until none has its PC or a stack word in
 * p's busy ranges (resuming briefly between tries, until timeout_ms), run
 * in_pause (may be NULL; a failure aborts with nothing written), write
 * every w->new (w->old when back), resume. */
int soswap__pause_write(struct soswap_tracee *t, const struct soswap__plan *p,
			int back, int timeout_ms,
			int (*in_pause)(struct soswap_tracee *, void *, soswap_err *),
			void *arg, struct soswap__pause_stats *ps, soswap_err *err);
/* Re-read every write: it must hold w->new (w->old when back). */
int soswap__verify(struct soswap_tracee *t, const struct soswap__plan *p, int back,
		   soswap_err *err);

/* ---- preflight (preflight.c) ----------------------------------------- */

struct soswap__target_info {
	uid_t uid;		/* real uid of the target */
	int seccomp;		/* Seccomp: field (2 = filter) */
	int other_mntns;	/* not in soswap's mount namespace */
	int memfd;		/* /proc/PID/mem, read-only */
	soswap_elf *exe;	/* /proc/PID/exe */
};

/* Target checks: exists, not traced, Yama, permission (opening
 * /proc/PID/mem applies the kernel's ptrace access rule). */
int soswap__preflight_target(pid_t pid, struct soswap__target_info *ti,
			     soswap_err *err);
void soswap__target_info_free(struct soswap__target_info *ti);
/* NEW and every directory up to / owned by root or `owner`, not writable
 * by others (a root-owned sticky directory is fine). */
int soswap__preflight_new_path(const char *new_path, uid_t owner, soswap_err *err);
/* NEW is a shared object of the executable's class and machine. */
int soswap__preflight_new_elf(const soswap_elf *new_elf, const soswap_elf *exe,
			      soswap_err *err);

/* ---- journal (journal.c) -------------------------------------------- */

#define SOSWAP__JOURNAL_MAX_WRITE 16
#define SOSWAP__JOURNAL_MAX_WRITES (1u << 20)
#define SOSWAP__JOURNAL_MAX_TXNS 100000u

struct soswap__jtxn {
	unsigned id;
	int ready;		/* every write was recorded before any was made */
	int committed;
	int rolled_back;
	char *old_desc, *new_desc;
	struct soswap__write *w;
	size_t nw, capw;
};

struct soswap__journal {
	pid_t pid;
	uint64_t start;		/* target start time (clock ticks after boot) */
	struct soswap__jtxn *tx;
	size_t ntx, captx;
};

/* Parse journal text (untrusted: bounds-checked, counts capped). */
int soswap__journal_parse(struct soswap__journal *j, const char *buf,
			  size_t len, const char *name, soswap_err *err);
void soswap__journal_free(struct soswap__journal *j);

/* Directory of soswap's run-time state: $SOSWAP_RUN_DIR, else /run/soswap
 * for root, else $XDG_RUNTIME_DIR/soswap; created 0755 when missing. */
int soswap__run_dir(char *buf, size_t size, soswap_err *err);
/* The same directory's name, without creating it. */
int soswap__run_dir_name(char *buf, size_t size, soswap_err *err);
/* Start time of pid (field 22 of /proc/PID/stat). */
int soswap__proc_start_time(pid_t pid, uint64_t *start, soswap_err *err);
/* RUN_DIR/journal/PID-START */
int soswap__journal_path(char *buf, size_t size, pid_t pid, uint64_t start,
			 soswap_err *err);
/* Load a journal file; a missing file gives -ENOENT. */
int soswap__journal_load(struct soswap__journal *j, const char *path,
			 soswap_err *err);
/* Append a transaction (header, every write, "ready") and fsync it. */
int soswap__journal_begin(const char *path, pid_t pid, uint64_t start,
			  const char *old_desc, const char *new_desc,
			  const struct soswap__write *w, size_t nw,
			  unsigned *id, soswap_err *err);
/* Whether pid's journal says the process was moved off the library file it
 * maps at `path` (its path in /proc/PID/maps) by a swap still in effect;
 * the path it runs instead goes to now (may be NULL).  1 yes, 0 no or no
 * journal.  Used so that who, stale and upgrade show a swapped process as
 * running the new version although the old file stays mapped. */
int soswap__journal_swapped_off(pid_t pid, const char *path, char *now,
				size_t nowsz);
/* The pids that have a journal, sorted (*n = 0 when there is no journal
 * directory): a scan asks soswap__journal_swapped_off() only about these.
 * 0 or -ENOMEM. */
int soswap__journal_pids(pid_t **pids, size_t *n);
/* Remove the journals of processes that have exited (or whose pid now
 * names another process): written by each live swap before it starts. */
void soswap__journal_prune(void);
int soswap__journal_pid_listed(const pid_t *pids, size_t n, pid_t pid);
/* Where live swaps stage a copy of the library file `path` for targets to
 * load (RUN_DIR/lib/HASH-NAME, see live.c): 0 and the path in buf when that
 * copy exists, -ENOENT otherwise.  Processes running `path`'s version after
 * a live swap map this copy, not `path`. */
int soswap__live_staged_copy(const char *path, char *buf, size_t size);
/* Append "commit ID" or "rollback ID" and fsync. */
int soswap__journal_mark(const char *path, const char *what, unsigned id,
			 soswap_err *err);

#endif
