/* upgrade.c - the whole job in one call: install a new library version,
 * find every process still mapping the previous one and move each onto the
 * new version with a live swap; the package-manager variant that starts
 * from `stale` instead of from an install; and the rollback of both the
 * link on disk and the processes swapped.
 *
 * The processes swapped by an upgrade are recorded next to the install
 * state (STATEDIR/SONAME.upgrade: "pid starttime" lines) so that
 * soswap_upgrade_rollback() swaps back exactly those, and only while they
 * are still the same processes (pid and start time).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fsutil.h"
#include "internal.h"
#include "live-internal.h"
#include "procscan.h"
#include "state.h"

#define MAX_RECORDED 65536

struct soswap_upgrade {
	soswap_install *inst;
	struct soswap_rollback_info rb;
	int has_rollback;
	struct soswap_upgrade_proc *procs;
	size_t n, cap;
};

const char *soswap_upgrade_state_name(enum soswap_upgrade_state s)
{
	switch (s) {
	case SOSWAP_UPGRADE_SWAPPED: return "swapped";
	case SOSWAP_UPGRADE_FAILED: return "failed";
	case SOSWAP_UPGRADE_NEEDS_RESTART: return "needs-restart";
	case SOSWAP_UPGRADE_PLANNED: return "planned";
	case SOSWAP_UPGRADE_EXITED: return "exited";
	case SOSWAP_UPGRADE_ROLLED_BACK: return "rolled-back";
	}
	return "unknown";
}

static int add_proc(soswap_upgrade *u, pid_t pid, int64_t start_ns,
		    const char *comm, const char *cmdline, const char *old_path,
		    const char *new_path, enum soswap_upgrade_state state,
		    const char *reason)
{
	if (soswap__grow((void **)&u->procs, &u->cap, u->n + 1, sizeof(*u->procs)) < 0)
		return -ENOMEM;
	struct soswap_upgrade_proc *p = &u->procs[u->n];
	memset(p, 0, sizeof(*p));
	p->pid = pid;
	p->start_ns = start_ns;
	p->state = state;
	p->comm = soswap__strdup0(comm ? comm : "");
	p->cmdline = soswap__strdup0(cmdline ? cmdline : "");
	p->old_path = soswap__strdup0(old_path);
	p->new_path = soswap__strdup0(new_path);
	p->reason = soswap__strdup0(reason);
	if (!p->comm || !p->cmdline || (old_path && !p->old_path) ||
	    (new_path && !p->new_path) || (reason && !p->reason)) {
		free((char *)p->comm);
		free((char *)p->cmdline);
		free((char *)p->old_path);
		free((char *)p->new_path);
		free((char *)p->reason);
		return -ENOMEM;
	}
	u->n++;
	return 0;
}

static void set_reason(struct soswap_upgrade_proc *p, const char *reason)
{
	free((char *)p->reason);
	p->reason = soswap__strdup0(reason);
}

/* Take the processes of `scan` as PLANNED swaps onto new_path: those of
 * every group (match_ident 0) or of the group of the file dev/ino.  A
 * process already live-swapped off the file it maps runs another version:
 * it is not a user of that file. */
static int take_processes(soswap_upgrade *u, const soswap_scan *scan,
			  int match_ident, dev_t dev, ino_t ino,
			  const char *new_path)
{
	for (size_t g = 0; g < soswap_scan_groups(scan); g++) {
		const struct soswap_lib_group *grp = soswap_scan_group(scan, g);
		if (match_ident && (grp->dev != dev || grp->ino != ino))
			continue;
		for (size_t i = grp->first; i < grp->first + grp->count; i++) {
			const struct soswap_proc_map *pm = soswap_scan_get(scan, i);
			int seen = 0;
			for (size_t k = 0; k < u->n && !seen; k++)
				seen = u->procs[k].pid == pm->pid;
			if (seen || (pm->flags & SOSWAP_PROC_SWAPPED))
				continue;
			int rc = add_proc(u, pm->pid, pm->start_ns, pm->comm, pm->cmdline, pm->path,
					  new_path, SOSWAP_UPGRADE_PLANNED, NULL);
			if (rc < 0)
				return rc;
		}
	}
	return 0;
}

/* Every process running the version `ii` replaced: those mapping its file
 * and those a live swap moved onto it (they map soswap's staged copy). */
static int find_users(soswap_upgrade *u, const struct soswap_install_info *ii,
		      const char *installed, soswap_err *err)
{
	soswap_scan *scan = NULL;
	int rc;
	if (ii->unchanged || !ii->previous_path || !(ii->previous_dev || ii->previous_ino))
		return 0;
	if (ii->layout_file && !ii->dry_run) {
		/* The previous file was renamed over: processes map it as
		 * "(deleted)" under the soname's path. */
		char sopath[PATH_MAX];
		snprintf(sopath, sizeof(sopath), "%s/%s", ii->dir, ii->soname);
		rc = soswap_stale(&scan, sopath, NULL, err);
		if (rc == 0)
			rc = take_processes(u, scan, 1, ii->previous_dev,
					    ii->previous_ino, installed);
		soswap_scan_free(scan);
		if (rc < 0 || ii->saved_copy == NULL)
			return rc;
		/* the staged copy of the previous version is found below */
	}
	/* soswap_who also finds the processes a live swap moved onto this
	 * version: they map soswap's staged copy of it. */
	const char *files[1];
	size_t n = 0;
	if (!ii->layout_file || ii->dry_run)
		files[n++] = ii->previous_path;
	else if (ii->saved_copy)
		files[n++] = ii->saved_copy;
	if (n == 0)
		return 0;
	rc = soswap_who(&scan, files, n, NULL, err);
	if (rc == 0)
		rc = take_processes(u, scan, 0, 0, 0, installed);
	soswap_scan_free(scan);
	return rc;
}

/* Move every PLANNED process onto its new_path (opts->live) or mark it as
 * needing a restart. */
static void swap_planned(soswap_upgrade *u, const struct soswap_upgrade_opts *opts)
{
	size_t todo = 0, done = 0;
	for (size_t i = 0; i < u->n; i++)
		todo += u->procs[i].state == SOSWAP_UPGRADE_PLANNED;
	for (size_t i = 0; i < u->n; i++) {
		struct soswap_upgrade_proc *p = &u->procs[i];
		if (p->state != SOSWAP_UPGRADE_PLANNED)
			continue;
		if (opts->dry_run)
			continue;
		if (!opts->live) {
			p->state = SOSWAP_UPGRADE_NEEDS_RESTART;
			set_reason(p, "still runs the previous version (not swapped: --live not given)");
			continue;
		}
		if (opts->progress)
			opts->progress(opts->progress_arg, done, todo, p->pid);
		struct soswap_live_opts lo = { .timeout_ms = opts->timeout_ms };
		soswap_live_report *rep = NULL;
		soswap_err e = { 0 };
		int rc = soswap_live_swap(p->pid, p->old_path, p->new_path, &lo, &rep, &e);
		if (rc == 0) {
			p->state = SOSWAP_UPGRADE_SWAPPED;
			p->pause_ns = soswap_live_report_stats(rep)->pause_ns;
		} else if (rc == -ESRCH) {
			p->state = SOSWAP_UPGRADE_EXITED;
			set_reason(p, "exited before it could be swapped");
		} else {
			p->state = SOSWAP_UPGRADE_FAILED;
			set_reason(p, e.msg[0] ? e.msg : "live swap failed");
		}
		soswap_live_report_free(rep);
		done++;
	}
	if (opts->progress && todo)
		opts->progress(opts->progress_arg, todo, todo, 0);
}

/* STATEDIR/SONAME.upgrade: the processes this upgrade swapped. */
static int record_path(char *buf, size_t size, const char *dir,
		       const char *soname, soswap_err *err)
{
	char sd[PATH_MAX];
	int rc = soswap__state_dir(sd, sizeof(sd), dir, err);
	if (rc < 0)
		return rc;
	if (snprintf(buf, size, "%s/%s.upgrade", sd, soname) >= (int)size)
		return soswap__fail(err, -ENAMETOOLONG, "%s: state path too long", sd);
	return 0;
}

static int write_record(const soswap_upgrade *u, const char *dir,
			const char *soname, soswap_err *err)
{
	char path[PATH_MAX], tmp[PATH_MAX + 64];
	int rc = record_path(path, sizeof(path), dir, soname, err);
	if (rc < 0)
		return rc;
	char *slash = strrchr(path, '/');
	*slash = '\0';
	rc = soswap__mkdirs(path, err);
	*slash = '/';
	if (rc < 0)
		return rc;
	snprintf(tmp, sizeof(tmp), "%s.tmp.%d", path, (int)getpid());
	FILE *f = fopen(tmp, "we");
	if (!f)
		return soswap__fail_errno(err, -errno, "%s", tmp);
	for (size_t i = 0; i < u->n; i++) {
		uint64_t start;
		if (u->procs[i].state == SOSWAP_UPGRADE_SWAPPED && u->procs[i].pause_ns &&
		    soswap__proc_start_time(u->procs[i].pid, &start, NULL) == 0)
			fprintf(f, "%d %llu\n", (int)u->procs[i].pid,
				(unsigned long long)start);
	}
	if (fflush(f) != 0 || fsync(fileno(f)) != 0) {
		rc = soswap__fail_errno(err, -errno, "%s", tmp);
		fclose(f);
		unlink(tmp);
		return rc;
	}
	fclose(f);
	if (rename(tmp, path) < 0) {
		rc = soswap__fail_errno(err, -errno, "%s", path);
		unlink(tmp);
		return rc;
	}
	return 0;
}

static const char *proc_comm(pid_t pid, char *buf, size_t size)
{
	struct soswap__pstat st;
	snprintf(buf, size, "%s", soswap__proc_stat(pid, 0, &st) == 0 ? st.comm : "");
	return buf;
}

static const char *default_dir(const char *dir)
{
	return dir ? dir : "/usr/local/lib";
}

int soswap_upgrade_run(soswap_upgrade **out, const char *new_path,
		       const struct soswap_upgrade_opts *opts, soswap_err *err)
{
	*out = NULL;
	soswap_upgrade *u = calloc(1, sizeof(*u));
	if (!u)
		return soswap__fail(err, -ENOMEM, "out of memory");
	struct soswap_install_opts io = {
		.dir = opts->dir, .version = opts->version,
		.link_name = opts->link_name, .force = opts->force,
		.dry_run = opts->dry_run,
	};
	int rc = soswap_install_run(&u->inst, new_path, &io, err);
	if (rc < 0)
		goto fail;
	const struct soswap_install_info *ii = soswap_install_get(u->inst);
	char installed[PATH_MAX];
	if (snprintf(installed, sizeof(installed), "%s/%s", ii->dir,
		     ii->layout_file ? ii->soname : ii->real_name) >= (int)sizeof(installed)) {
		rc = soswap__fail(err, -ENAMETOOLONG, "%s: path too long", ii->dir);
		goto fail;
	}
	if ((rc = find_users(u, ii, installed, err)) < 0)
		goto fail;
	swap_planned(u, opts);
	if (opts->live && !opts->dry_run) {
		int any = 0;
		for (size_t i = 0; i < u->n; i++)
			any |= u->procs[i].state == SOSWAP_UPGRADE_SWAPPED;
		if (any && (rc = write_record(u, ii->dir, ii->soname, err)) < 0)
			goto fail;
	}
	*out = u;
	return 0;
fail:
	soswap_upgrade_free(u);
	return rc;
}

int soswap_upgrade_stale(soswap_upgrade **out, const char *filter,
			 const struct soswap_upgrade_opts *opts, soswap_err *err)
{
	*out = NULL;
	soswap_upgrade *u = calloc(1, sizeof(*u));
	if (!u)
		return soswap__fail(err, -ENOMEM, "out of memory");
	soswap_scan *scan = NULL;
	int rc = soswap_stale(&scan, filter, NULL, err);
	if (rc < 0)
		goto fail;
	for (size_t g = 0; g < soswap_scan_groups(scan); g++) {
		const struct soswap_lib_group *grp = soswap_scan_group(scan, g);
		const char *why = NULL;
		switch (grp->kind) {
		case SOSWAP_STALE_REPLACED:
			break;
		case SOSWAP_STALE_DELETED:
			why = "its library was deleted and nothing replaced it: restart it";
			break;
		default:
			why = "its library was rewritten in place (unsafe): restart it";
			break;
		}
		for (size_t i = grp->first; i < grp->first + grp->count; i++) {
			const struct soswap_proc_map *pm = soswap_scan_get(scan, i);
			enum soswap_upgrade_state st = why ? SOSWAP_UPGRADE_NEEDS_RESTART
							   : SOSWAP_UPGRADE_PLANNED;
			if (pm->flags & SOSWAP_PROC_SWAPPED)
				continue;	/* already on the new file */
			rc = add_proc(u, pm->pid, pm->start_ns, pm->comm, pm->cmdline, pm->path,
				      grp->newer, st, why);
			if (rc < 0)
				goto fail;
		}
	}
	swap_planned(u, opts);
	soswap_scan_free(scan);
	*out = u;
	return 0;
fail:
	soswap_scan_free(scan);
	soswap_upgrade_free(u);
	return rc;
}

/* Same process as recorded: the pid exists and has the start time (clock
 * ticks after boot, as the live-swap journal identifies targets). */
static int same_process(pid_t pid, unsigned long long start)
{
	uint64_t now;
	return soswap__proc_start_time(pid, &now, NULL) == 0 && now == start;
}

int soswap_upgrade_rollback(soswap_upgrade **out, const char *soname,
			    const struct soswap_upgrade_opts *opts, soswap_err *err)
{
	*out = NULL;
	soswap_upgrade *u = calloc(1, sizeof(*u));
	if (!u)
		return soswap__fail(err, -ENOMEM, "out of memory");
	int rc = soswap_rollback(&u->rb, soname, default_dir(opts->dir), err);
	if (rc < 0)
		goto fail;
	u->has_rollback = 1;

	char path[PATH_MAX];
	if ((rc = record_path(path, sizeof(path), u->rb.dir, soname, err)) < 0)
		goto fail;
	FILE *f = fopen(path, "re");
	if (!f) {
		if (errno == ENOENT) {	/* no process was swapped */
			*out = u;
			return 0;
		}
		rc = soswap__fail_errno(err, -errno, "%s", path);
		goto fail;
	}
	int pid;
	unsigned long long start;
	size_t nrec = 0;
	while (nrec < MAX_RECORDED && fscanf(f, "%d %llu", &pid, &start) == 2) {
		nrec++;
		if (pid <= 0)
			continue;
		if (!same_process(pid, start)) {
			rc = add_proc(u, pid, -1, "", "", NULL, NULL, SOSWAP_UPGRADE_EXITED,
				      "no longer running");
		} else {
			soswap_live_report *rep = NULL;
			soswap_err e = { 0 };
			char comm[sizeof(((struct soswap__pstat *)0)->comm)];
			struct soswap_live_opts lo = { .timeout_ms = opts->timeout_ms };
			int r = soswap_live_rollback(pid, &lo, &rep, &e);
			rc = add_proc(u, pid, -1, proc_comm(pid, comm, sizeof(comm)), "",
				      /* a rollback's report goes from the
				       * version left to the one restored */
				      rep ? soswap_live_report_old(rep) : NULL,
				      rep ? soswap_live_report_new(rep) : NULL,
				      r == 0 ? SOSWAP_UPGRADE_ROLLED_BACK : SOSWAP_UPGRADE_FAILED,
				      r == 0 ? NULL : e.msg);
			if (r == 0 && rc == 0)
				u->procs[u->n - 1].pause_ns = soswap_live_report_stats(rep)->pause_ns;
			soswap_live_report_free(rep);
		}
		if (rc < 0) {
			fclose(f);
			goto fail;
		}
	}
	fclose(f);
	unlink(path);
	*out = u;
	return 0;
fail:
	soswap_upgrade_free(u);
	return rc;
}

const soswap_install *soswap_upgrade_install(const soswap_upgrade *u)
{
	return u->inst;
}

const struct soswap_rollback_info *soswap_upgrade_rollback_info(const soswap_upgrade *u)
{
	return u->has_rollback ? &u->rb : NULL;
}

size_t soswap_upgrade_count(const soswap_upgrade *u) { return u->n; }

const struct soswap_upgrade_proc *soswap_upgrade_get(const soswap_upgrade *u, size_t i)
{
	return i < u->n ? &u->procs[i] : NULL;
}

int soswap_upgrade_complete(const soswap_upgrade *u)
{
	for (size_t i = 0; i < u->n; i++)
		if (u->procs[i].state == SOSWAP_UPGRADE_FAILED ||
		    u->procs[i].state == SOSWAP_UPGRADE_NEEDS_RESTART ||
		    u->procs[i].state == SOSWAP_UPGRADE_PLANNED)
			return 0;
	return 1;
}

void soswap_upgrade_free(soswap_upgrade *u)
{
	if (!u)
		return;
	for (size_t i = 0; i < u->n; i++) {
		free((char *)u->procs[i].comm);
		free((char *)u->procs[i].cmdline);
		free((char *)u->procs[i].old_path);
		free((char *)u->procs[i].new_path);
		free((char *)u->procs[i].reason);
	}
	free(u->procs);
	soswap_install_free(u->inst);
	free(u);
}
