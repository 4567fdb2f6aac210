/* abidiff.c - ABI verdict between two builds of a library: the dynamic
 * symbol tables, SONAME and version definitions (the DWARF pass lives in
 * abidiff-dwarf.c).
 *
 * What breaks a program linked against OLD when it runs with NEW:
 *  - an exported name@version it may reference is gone (the loader fails
 *    with "undefined symbol" or "version not found");
 *  - a symbol changed between function, data object and TLS object (calls
 *    jump into data, loads read code);
 *  - a data object changed size: the program's copy relocation copies the
 *    old size into its own .bss, and the library then uses the program's
 *    copy, too small or too large;
 *  - a version definition is gone: every program that needs it refuses to
 *    start;
 *  - the SONAME changed: programs look for the old one.
 * New symbols and new versions break nobody. */
#include <elf.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "abidiff-internal.h"
#include "elf-internal.h"

int soswap__abidiff_add(struct soswap_abidiff *d, int incompatible,
			const char *kind, const char *symbol,
			const char *fmt, ...)
{
	if (d->n >= SOSWAP__ABIDIFF_MAX_CHANGES) {
		d->truncated = 1;
		return 0;
	}
	if (soswap__grow((void **)&d->changes, &d->cap, d->n + 1, sizeof(*d->changes)) < 0)
		return -ENOMEM;
	char *detail = NULL;
	va_list ap;
	va_start(ap, fmt);
	int r = vasprintf(&detail, fmt, ap);
	va_end(ap);
	if (r < 0)
		return -ENOMEM;
	char *sym = soswap__strdup0(symbol);
	if (symbol && !sym) {
		free(detail);
		return -ENOMEM;
	}
	d->changes[d->n++] = (struct soswap_abi_change){
		.incompatible = incompatible,
		.kind = kind,
		.symbol = sym,
		.detail = detail,
	};
	return 0;
}

/* The marker symbol ld emits for each version definition: absolute,
 * named like the version itself. */
static int is_version_marker(const struct soswap_sym *s)
{
	return s->shndx == SHN_ABS && s->version && !strcmp(s->name, s->version);
}

int soswap__abi_exported(const struct soswap_sym *s)
{
	return s->defined && s->bind != STB_LOCAL && s->name[0] &&
	       s->visibility != STV_HIDDEN && s->visibility != STV_INTERNAL &&
	       !is_version_marker(s);
}

/* Symbol classes a caller relies on: calling, reading, TLS access. */
static const char *sym_class(unsigned type)
{
	switch (type) {
	case STT_FUNC:
	case STT_GNU_IFUNC:
		return "function";
	case STT_OBJECT:
	case STT_COMMON:
		return "object";
	case STT_TLS:
		return "TLS object";
	default:
		return soswap_sym_type_name(type);
	}
}

static int has_size(unsigned type)
{
	return type == STT_OBJECT || type == STT_COMMON || type == STT_TLS;
}

const char *soswap__abi_sym_label(const struct soswap_sym *s, char *buf, size_t len)
{
	if (s->version)
		snprintf(buf, len, "%s@%s%s", s->name, s->is_default ? "@" : "", s->version);
	else
		snprintf(buf, len, "%s", s->name);
	return buf;
}

static int cmp_ver(const char *a, const char *b)
{
	if (a && b)
		return strcmp(a, b);
	return (a != NULL) - (b != NULL);
}

static int cmp_sym(const void *pa, const void *pb)
{
	const struct soswap_sym *a = *(const struct soswap_sym *const *)pa;
	const struct soswap_sym *b = *(const struct soswap_sym *const *)pb;
	int c = strcmp(a->name, b->name);
	return c ? c : cmp_ver(a->version, b->version);
}

/* The exported symbols of one side, sorted by (name, version). */
struct sym_index {
	const struct soswap_sym **v;
	size_t n;
};

static int index_build(struct sym_index *ix, soswap_elf *elf, soswap_err *err)
{
	const struct soswap_sym *syms;
	ssize_t n = soswap_elf_symbols(elf, &syms, err);
	if (n < 0)
		return (int)n;
	ix->v = calloc(n ? (size_t)n : 1, sizeof(*ix->v));
	if (!ix->v)
		return soswap__fail(err, -ENOMEM, "%s: out of memory", soswap_elf_path(elf));
	ix->n = 0;
	for (ssize_t i = 0; i < n; i++)
		if (soswap__abi_exported(&syms[i]))
			ix->v[ix->n++] = &syms[i];
	qsort(ix->v, ix->n, sizeof(*ix->v), cmp_sym);
	return 0;
}

/* The symbol of `ix` a reference to `s` binds to, or NULL.  An exact
 * name@version wins.  An unversioned reference binds to the default
 * version, and a versioned one to an unversioned definition (the loader
 * accepts both), so those count as the same symbol. */
static const struct soswap_sym *index_find(const struct sym_index *ix,
					   const struct soswap_sym *s)
{
	const struct soswap_sym *key = s, **hit;
	hit = bsearch(&key, ix->v, ix->n, sizeof(*ix->v), cmp_sym);
	if (hit)
		return *hit;
	size_t lo = 0, hi = ix->n;	/* first entry named s->name */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (strcmp(ix->v[mid]->name, s->name) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (; lo < ix->n && !strcmp(ix->v[lo]->name, s->name); lo++) {
		const struct soswap_sym *c = ix->v[lo];
		if (!c->version || (!s->version && c->is_default))
			return c;
	}
	return NULL;
}

/* Compares the symbol tables and collects the symbols both sides export
 * with the same class into *pairs for the DWARF pass. */
static int compare_symbols(struct soswap_abidiff *d, const struct sym_index *o,
			   const struct sym_index *n, struct soswap__abi_pair **pairs,
			   size_t *npairs)
{
	char a[512];
	size_t cap = 0;
	int r = 0;
	for (size_t i = 0; i < o->n && r == 0; i++) {
		const struct soswap_sym *s = o->v[i], *t = index_find(n, s);
		soswap__abi_sym_label(s, a, sizeof(a));
		if (!t) {
			r = soswap__abidiff_add(d, 1, "symbol-removed", a,
						"%s %s was removed", sym_class(s->type), a);
		} else if (strcmp(sym_class(s->type), sym_class(t->type))) {
			r = soswap__abidiff_add(d, 1, "type-changed", a,
						"%s changed from %s to %s", a,
						sym_class(s->type), sym_class(t->type));
		} else if (has_size(s->type) && s->size != t->size) {
			r = soswap__abidiff_add(d, 1, "size-changed", a,
						"%s %s changed size from %llu to %llu bytes",
						sym_class(s->type), a,
						(unsigned long long)s->size,
						(unsigned long long)t->size);
		}
		if (r == 0 && t && !strcmp(sym_class(s->type), sym_class(t->type))) {
			r = soswap__grow((void **)pairs, &cap, *npairs + 1, sizeof(**pairs));
			if (r == 0)
				(*pairs)[(*npairs)++] = (struct soswap__abi_pair){ s, t };
		}
	}
	for (size_t i = 0; i < n->n && r == 0; i++) {
		const struct soswap_sym *t = n->v[i];
		if (index_find(o, t))
			continue;
		soswap__abi_sym_label(t, a, sizeof(a));
		r = soswap__abidiff_add(d, 0, "symbol-added", a, "%s %s was added",
					sym_class(t->type), a);
	}
	return r;
}

static int has_verdef(const struct soswap_verdef *defs, ssize_t n, const char *name)
{
	for (ssize_t i = 0; i < n; i++)
		if (!(defs[i].flags & VER_FLG_BASE) && !strcmp(defs[i].name, name))
			return 1;
	return 0;
}

/* Version definitions other than the base one (which is the SONAME). */
static int compare_versions(struct soswap_abidiff *d, soswap_elf *o, soswap_elf *n,
			    soswap_err *err)
{
	const struct soswap_verdef *od, *nd;
	ssize_t on = soswap_elf_verdefs(o, &od, err), nn;
	if (on < 0)
		return (int)on;
	if ((nn = soswap_elf_verdefs(n, &nd, err)) < 0)
		return (int)nn;
	int r = 0;
	for (ssize_t i = 0; i < on && r == 0; i++)
		if (!(od[i].flags & VER_FLG_BASE) && !has_verdef(nd, nn, od[i].name))
			r = soswap__abidiff_add(d, 1, "version-removed", od[i].name,
						"version %s was removed", od[i].name);
	for (ssize_t i = 0; i < nn && r == 0; i++)
		if (!(nd[i].flags & VER_FLG_BASE) && !has_verdef(od, on, nd[i].name))
			r = soswap__abidiff_add(d, 0, "version-added", nd[i].name,
						"version %s was added", nd[i].name);
	return r;
}

static int compare_headers(struct soswap_abidiff *d, soswap_elf *o, soswap_elf *n)
{
	const char *os = soswap_elf_soname(o), *ns = soswap_elf_soname(n);
	if (soswap_elf_class(o) != soswap_elf_class(n) ||
	    soswap_elf_machine(o) != soswap_elf_machine(n))
		return soswap__abidiff_add(d, 1, "machine-changed", NULL,
					   "class/machine changed from %s %s to %s %s",
					   soswap_elf_class(o) == ELFCLASS64 ? "ELF64" : "ELF32",
					   soswap_elf_machine_name(soswap_elf_machine(o)),
					   soswap_elf_class(n) == ELFCLASS64 ? "ELF64" : "ELF32",
					   soswap_elf_machine_name(soswap_elf_machine(n)));
	if (cmp_ver(os, ns))
		return soswap__abidiff_add(d, 1, "soname-changed", NULL,
					   "SONAME changed from %s to %s",
					   os ? os : "(none)", ns ? ns : "(none)");
	return 0;
}

/* DWARF of both sides, when both have it: signatures and layouts. */
static int run_dwarf(struct soswap_abidiff *d, soswap_elf *o, soswap_elf *n,
		     const struct soswap__abi_pair *pairs, size_t npairs,
		     const char *debug_dir, soswap_err *err)
{
	struct soswap__debuginfo di[2] = { 0 };
	int r = soswap__debuginfo_open(&di[0], soswap_elf_path(o), debug_dir, err);
	if (r == 0)
		r = soswap__debuginfo_open(&di[1], soswap_elf_path(n), debug_dir, err);
	if (r == 0 && di[0].dw && di[1].dw) {
		d->used_dwarf = 1;
		for (int k = 0; k < 2 && r == 0; k++)
			if (!(d->debug_file[k] = strdup(di[k].debug_file)))
				r = -ENOMEM;
		if (r == 0)
			r = soswap__abidiff_dwarf(d, pairs, npairs, &di[0], &di[1]);
	}
	soswap__debuginfo_close(&di[0]);
	soswap__debuginfo_close(&di[1]);
	return r;
}

static int diff_elfs(struct soswap_abidiff *d, soswap_elf *o, soswap_elf *n,
		     const struct soswap_abidiff_opts *opts, soswap_err *err)
{
	struct sym_index oi = { 0 }, ni = { 0 };
	struct soswap__abi_pair *pairs = NULL;
	size_t npairs = 0;
	int r = compare_headers(d, o, n);
	if (r == 0)
		r = compare_versions(d, o, n, err);
	if (r == 0)
		r = index_build(&oi, o, err);
	if (r == 0)
		r = index_build(&ni, n, err);
	if (r == 0)
		r = compare_symbols(d, &oi, &ni, &pairs, &npairs);
	if (r == 0 && !(opts && (opts->flags & SOSWAP_ABIDIFF_NO_DWARF)))
		r = run_dwarf(d, o, n, pairs, npairs, opts ? opts->debug_dir : NULL, err);
	free(pairs);
	free(oi.v);
	free(ni.v);
	return r;
}

int soswap_abidiff_files_opts(soswap_abidiff **out, const char *old_path,
			      const char *new_path,
			      const struct soswap_abidiff_opts *opts, soswap_err *err)
{
	*out = NULL;
	soswap_elf *o = NULL, *n = NULL;
	struct soswap_abidiff *d = calloc(1, sizeof(*d));
	if (!d)
		return soswap__fail(err, -ENOMEM, "%s: out of memory", old_path);
	int r = soswap_elf_open(&o, old_path, err);
	if (r == 0)
		r = soswap_elf_open(&n, new_path, err);
	if (r == 0)
		r = diff_elfs(d, o, n, opts, err);
	if (r == -ENOMEM && err && !err->msg[0])
		soswap__fail(err, r, "%s: out of memory", new_path);
	soswap_elf_close(o);
	soswap_elf_close(n);
	if (r < 0) {
		soswap_abidiff_free(d);
		return r;
	}
	*out = d;
	return 0;
}

int soswap_abidiff_files(soswap_abidiff **out, const char *old_path,
			 const char *new_path, unsigned flags, soswap_err *err)
{
	struct soswap_abidiff_opts opts = { .flags = flags };
	return soswap_abidiff_files_opts(out, old_path, new_path, &opts, err);
}

enum soswap_abi_verdict soswap_abidiff_verdict(const soswap_abidiff *d)
{
	enum soswap_abi_verdict v = SOSWAP_ABI_SAME;
	for (size_t i = 0; d && i < d->n; i++) {
		if (d->changes[i].incompatible)
			return SOSWAP_ABI_INCOMPATIBLE;
		v = SOSWAP_ABI_COMPATIBLE;
	}
	return v;
}

size_t soswap_abidiff_count(const soswap_abidiff *d)
{
	return d ? d->n : 0;
}

const struct soswap_abi_change *soswap_abidiff_change(const soswap_abidiff *d,
						      size_t i)
{
	return d && i < d->n ? &d->changes[i] : NULL;
}

int soswap_abidiff_used_dwarf(const soswap_abidiff *d)
{
	return d ? d->used_dwarf : 0;
}

const char *soswap_abidiff_debug_file(const soswap_abidiff *d, int which)
{
	return d && (which == 0 || which == 1) ? d->debug_file[which] : NULL;
}

void soswap_abidiff_free(soswap_abidiff *d)
{
	if (!d)
		return;
	for (size_t i = 0; i < d->n; i++) {
		free((char *)d->changes[i].symbol);
		free((char *)d->changes[i].detail);
	}
	free(d->changes);
	free(d->debug_file[0]);
	free(d->debug_file[1]);
	free(d);
}
