/* dw.h - elfutils libdw, loaded on first use.
 *
 * libdw (with the compression libraries it pulls in) is needed only to
 * unwind a stopped target's threads and to read DWARF for the ABI diff, yet
 * linking it made every command - `soswap who` included - pay for loading
 * it at start-up.  Files that use libdw include this header instead of
 * elfutils' own: each libdw function name below stands for a pointer filled
 * by soswap__libdw() on first use, so call sites read as plain libdw calls.
 * Call soswap__libdw() (once is enough) before any of them. */
#ifndef SOSWAP_DW_H
#define SOSWAP_DW_H

#include <dwarf.h>
#include <elfutils/libdw.h>
#include <elfutils/libdwfl.h>

#include "internal.h"

/* Every libdw function soswap calls. */
#define SOSWAP__LIBDW_FUNCS(X) \
	X(dwarf_aggregate_size) \
	X(dwarf_attr) \
	X(dwarf_attr_integrate) \
	X(dwarf_bytesize) \
	X(dwarf_child) \
	X(dwarf_diename) \
	X(dwarf_dieoffset) \
	X(dwarf_entrypc) \
	X(dwarf_formref_die) \
	X(dwarf_formsdata) \
	X(dwarf_formstring) \
	X(dwarf_formudata) \
	X(dwarf_get_units) \
	X(dwarf_getlocation) \
	X(dwarf_hasattr) \
	X(dwarf_lowpc) \
	X(dwarf_peel_type) \
	X(dwarf_siblingof) \
	X(dwarf_tag) \
	X(dwfl_addrmodule) \
	X(dwfl_begin) \
	X(dwfl_build_id_find_debuginfo) \
	X(dwfl_build_id_find_elf) \
	X(dwfl_end) \
	X(dwfl_errmsg) \
	X(dwfl_frame_pc) \
	X(dwfl_getmodules) \
	X(dwfl_getthread_frames) \
	X(dwfl_linux_proc_attach) \
	X(dwfl_linux_proc_find_elf) \
	X(dwfl_linux_proc_report) \
	X(dwfl_module_addrname) \
	X(dwfl_module_eh_cfi) \
	X(dwfl_module_getdwarf) \
	X(dwfl_module_getsymtab) \
	X(dwfl_module_info) \
	X(dwfl_offline_section_address) \
	X(dwfl_report_begin_add) \
	X(dwfl_report_end) \
	X(dwfl_report_offline) \
	X(dwfl_standard_find_debuginfo)

struct soswap__libdw {
#define X(f) __typeof__(f) *f;
	SOSWAP__LIBDW_FUNCS(X)
#undef X
};
extern struct soswap__libdw soswap__dw;

/* Load libdw.so.1 (thread-safe, once): 0, or -ENOSYS with a message that
 * names the library and what to install. */
int soswap__libdw(soswap_err *err);

#ifndef SOSWAP__LIBDW_NO_NAMES
#define dwarf_aggregate_size (soswap__dw.dwarf_aggregate_size)
#define dwarf_attr (soswap__dw.dwarf_attr)
#define dwarf_attr_integrate (soswap__dw.dwarf_attr_integrate)
#define dwarf_bytesize (soswap__dw.dwarf_bytesize)
#define dwarf_child (soswap__dw.dwarf_child)
#define dwarf_diename (soswap__dw.dwarf_diename)
#define dwarf_dieoffset (soswap__dw.dwarf_dieoffset)
#define dwarf_entrypc (soswap__dw.dwarf_entrypc)
#define dwarf_formref_die (soswap__dw.dwarf_formref_die)
#define dwarf_formsdata (soswap__dw.dwarf_formsdata)
#define dwarf_formstring (soswap__dw.dwarf_formstring)
#define dwarf_formudata (soswap__dw.dwarf_formudata)
#define dwarf_get_units (soswap__dw.dwarf_get_units)
#define dwarf_getlocation (soswap__dw.dwarf_getlocation)
#define dwarf_hasattr (soswap__dw.dwarf_hasattr)
#define dwarf_lowpc (soswap__dw.dwarf_lowpc)
#define dwarf_peel_type (soswap__dw.dwarf_peel_type)
#define dwarf_siblingof (soswap__dw.dwarf_siblingof)
#define dwarf_tag (soswap__dw.dwarf_tag)
#define dwfl_addrmodule (soswap__dw.dwfl_addrmodule)
#define dwfl_begin (soswap__dw.dwfl_begin)
#define dwfl_build_id_find_debuginfo (soswap__dw.dwfl_build_id_find_debuginfo)
#define dwfl_build_id_find_elf (soswap__dw.dwfl_build_id_find_elf)
#define dwfl_end (soswap__dw.dwfl_end)
#define dwfl_errmsg (soswap__dw.dwfl_errmsg)
#define dwfl_frame_pc (soswap__dw.dwfl_frame_pc)
#define dwfl_getmodules (soswap__dw.dwfl_getmodules)
#define dwfl_getthread_frames (soswap__dw.dwfl_getthread_frames)
#define dwfl_linux_proc_attach (soswap__dw.dwfl_linux_proc_attach)
#define dwfl_linux_proc_find_elf (soswap__dw.dwfl_linux_proc_find_elf)
#define dwfl_linux_proc_report (soswap__dw.dwfl_linux_proc_report)
#define dwfl_module_addrname (soswap__dw.dwfl_module_addrname)
#define dwfl_module_eh_cfi (soswap__dw.dwfl_module_eh_cfi)
#define dwfl_module_getdwarf (soswap__dw.dwfl_module_getdwarf)
#define dwfl_module_getsymtab (soswap__dw.dwfl_module_getsymtab)
#define dwfl_module_info (soswap__dw.dwfl_module_info)
#define dwfl_offline_section_address (soswap__dw.dwfl_offline_section_address)
#define dwfl_report_begin_add (soswap__dw.dwfl_report_begin_add)
#define dwfl_report_end (soswap__dw.dwfl_report_end)
#define dwfl_report_offline (soswap__dw.dwfl_report_offline)
#define dwfl_standard_find_debuginfo (soswap__dw.dwfl_standard_find_debuginfo)
#endif

#endif
