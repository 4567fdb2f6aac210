/* debuginfo.c - find the DWARF of a library the way gdb does: in the file
 * itself, else separate debug info named by its build-id
 * (DEBUGDIR/.build-id/xx/yyyy.debug) or by its .gnu_debuglink section
 * (next to the file, in its .debug/ subdirectory, or in DEBUGDIR followed
 * by the file's directory), with the debuglink CRC32 checked.  libdwfl's
 * standard callbacks implement exactly that search; this file only sets
 * them up and turns "not found" into "no DWARF" rather than an error. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "abidiff-internal.h"
#include "dw.h"

int soswap__debuginfo_open(struct soswap__debuginfo *di, const char *path,
			   const char *debug_dir, soswap_err *err)
{
	memset(di, 0, sizeof(*di));
	int r = soswap__libdw(err);
	if (r < 0)
		return r;
	/* Leading '+': check the CRC of files found through .gnu_debuglink
	 * (a stale .debug file must not be trusted); build-ids are always
	 * checked by libdwfl. */
	if (asprintf(&di->path_buf, "+:.debug:%s",
		     debug_dir && *debug_dir ? debug_dir : "/usr/lib/debug") < 0) {
		di->path_buf = NULL;
		return soswap__fail(err, -ENOMEM, "%s: out of memory", path);
	}
	di->cb.find_elf = dwfl_build_id_find_elf;
	di->cb.find_debuginfo = dwfl_standard_find_debuginfo;
	di->cb.section_address = dwfl_offline_section_address;
	di->cb.debuginfo_path = &di->path_buf;
	di->dwfl = dwfl_begin(&di->cb);
	if (!di->dwfl)
		return soswap__fail(err, -ENOMEM, "%s: %s", path, dwfl_errmsg(-1));
	Dwfl_Module *mod = dwfl_report_offline(di->dwfl, path, path, -1);
	if (dwfl_report_end(di->dwfl, NULL, NULL) != 0 || !mod)
		return 0;	/* unreadable for libdwfl: compare symbols only */
	Dwarf_Addr bias;
	di->dw = dwfl_module_getdwarf(mod, &bias);
	if (!di->dw)
		return 0;
	const char *mainfile = NULL, *debugfile = NULL;
	dwfl_module_info(mod, NULL, NULL, NULL, NULL, NULL, &mainfile, &debugfile);
	di->debug_file = debugfile ? debugfile : mainfile ? mainfile : path;
	return 0;
}

void soswap__debuginfo_close(struct soswap__debuginfo *di)
{
	if (di->dwfl)
		dwfl_end(di->dwfl);
	free(di->path_buf);
	memset(di, 0, sizeof(*di));
}
