/* cmd-info.c - `soswap info FILE... [--json] [--symbols]`: what an ELF
 * object declares to the dynamic loader. */
#include <elf.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "internal.h"
#include "json.h"

static const char *const dt_flags_names[] = {
	"ORIGIN", "SYMBOLIC", "TEXTREL", "BIND_NOW", "STATIC_TLS",
};

static const char *const dt_flags_1_names[] = {
	"NOW", "GLOBAL", "GROUP", "NODELETE", "LOADFLTR", "INITFIRST",
	"NOOPEN", "ORIGIN", "DIRECT", "TRANS", "INTERPOSE", "NODEFLIB",
	"NODUMP", "CONFALT", "ENDFILTEE", "DISPRELDNE", "DISPRELPND",
	"NODIRECT", "IGNMULDEF", "NOKSYMS", "NOHDR", "EDITED", "NORELOC",
	"SYMINTPOSE", "GLOBAUDIT", "SINGLETON", "STUB", "PIE",
};

static const char *relro_name(enum soswap_relro r)
{
	return r == SOSWAP_RELRO_FULL ? "full" :
	       r == SOSWAP_RELRO_PARTIAL ? "partial" : "none";
}

/* Calls fn(name) for each set bit, with "0xBIT" for unnamed ones. */
static void each_flag(uint64_t v, const char *const *names, size_t n,
		      void (*fn)(void *, const char *), void *arg)
{
	char buf[32];
	for (unsigned b = 0; b < 64; b++) {
		if (!(v & (1ull << b)))
			continue;
		if (b < n) {
			fn(arg, names[b]);
		} else {
			snprintf(buf, sizeof(buf), "0x%" PRIx64, (uint64_t)1 << b);
			fn(arg, buf);
		}
	}
}

static void json_flag(void *j, const char *name) { soswap_json_str(j, name); }
static void text_flag(void *f, const char *name) { fprintf(f, " %s", name); }

static int is_export(const struct soswap_sym *s)
{
	return s->defined && s->bind != STB_LOCAL;
}

static void print_json(struct soswap_json *j, soswap_elf *elf,
		       const struct soswap_sym *syms, ssize_t nsyms,
		       const struct soswap_verdef *defs, ssize_t ndefs,
		       const struct soswap_verneed *needs, ssize_t nneeds)
{
	soswap_json_obj_begin(j);
	soswap_json_kstr(j, "file", soswap_elf_path(elf));
	soswap_json_kstr(j, "class", soswap_elf_class(elf) == ELFCLASS64 ? "ELF64" : "ELF32");
	soswap_json_kstr(j, "machine", soswap_elf_machine_name(soswap_elf_machine(elf)));
	soswap_json_kstr(j, "type", soswap_elf_kind_name(soswap_elf_kind(elf)));
	soswap_json_kstr(j, "interpreter", soswap_elf_interp(elf));
	soswap_json_kstr(j, "soname", soswap_elf_soname(elf));
	soswap_json_key(j, "needed");
	soswap_json_arr_begin(j);
	for (size_t i = 0; i < soswap_elf_needed_count(elf); i++)
		soswap_json_str(j, soswap_elf_needed(elf, i));
	soswap_json_arr_end(j);
	soswap_json_kstr(j, "rpath", soswap_elf_rpath(elf));
	soswap_json_kstr(j, "runpath", soswap_elf_runpath(elf));
	soswap_json_key(j, "flags");
	soswap_json_arr_begin(j);
	each_flag(soswap_elf_flags(elf), dt_flags_names, ARRAY_SIZE(dt_flags_names), json_flag, j);
	soswap_json_arr_end(j);
	soswap_json_key(j, "flags_1");
	soswap_json_arr_begin(j);
	each_flag(soswap_elf_flags_1(elf), dt_flags_1_names, ARRAY_SIZE(dt_flags_1_names), json_flag, j);
	soswap_json_arr_end(j);
	soswap_json_kbool(j, "textrel", soswap_elf_textrel(elf));
	soswap_json_kstr(j, "relro", relro_name(soswap_elf_relro(elf)));
	soswap_json_kstr(j, "build_id", soswap_elf_build_id(elf));

	soswap_json_key(j, "exports");
	soswap_json_arr_begin(j);
	for (ssize_t i = 0; i < nsyms; i++) {
		const struct soswap_sym *s = &syms[i];
		if (!is_export(s))
			continue;
		soswap_json_obj_begin(j);
		soswap_json_kstr(j, "name", s->name);
		soswap_json_kstr(j, "version", s->version);
		soswap_json_kbool(j, "default", s->version ? s->is_default : 1);
		soswap_json_kstr(j, "type", soswap_sym_type_name(s->type));
		soswap_json_kstr(j, "binding", soswap_sym_bind_name(s->bind));
		soswap_json_kstr(j, "visibility", soswap_sym_visibility_name(s->visibility));
		soswap_json_kuint(j, "size", s->size);
		soswap_json_khex(j, "value", s->value);
		soswap_json_obj_end(j);
	}
	soswap_json_arr_end(j);

	soswap_json_key(j, "imports");
	soswap_json_arr_begin(j);
	for (ssize_t i = 0; i < nsyms; i++) {
		const struct soswap_sym *s = &syms[i];
		if (s->defined || !s->name[0])
			continue;
		soswap_json_obj_begin(j);
		soswap_json_kstr(j, "name", s->name);
		soswap_json_kstr(j, "version", s->version);
		soswap_json_kstr(j, "version_file", s->version_file);
		soswap_json_kstr(j, "type", soswap_sym_type_name(s->type));
		soswap_json_kstr(j, "binding", soswap_sym_bind_name(s->bind));
		soswap_json_obj_end(j);
	}
	soswap_json_arr_end(j);

	soswap_json_key(j, "version_definitions");
	soswap_json_arr_begin(j);
	for (ssize_t i = 0; i < ndefs; i++) {
		soswap_json_obj_begin(j);
		soswap_json_kuint(j, "index", defs[i].index);
		soswap_json_kstr(j, "name", defs[i].name);
		soswap_json_kbool(j, "base", defs[i].flags & VER_FLG_BASE);
		soswap_json_kbool(j, "weak", defs[i].flags & VER_FLG_WEAK);
		soswap_json_kstr(j, "parent", defs[i].parent);
		soswap_json_obj_end(j);
	}
	soswap_json_arr_end(j);

	soswap_json_key(j, "version_needs");
	soswap_json_arr_begin(j);
	for (ssize_t i = 0; i < nneeds; i++) {
		soswap_json_obj_begin(j);
		soswap_json_kstr(j, "file", needs[i].file);
		soswap_json_kstr(j, "name", needs[i].name);
		soswap_json_kuint(j, "index", needs[i].index);
		soswap_json_kbool(j, "weak", needs[i].flags & VER_FLG_WEAK);
		soswap_json_obj_end(j);
	}
	soswap_json_arr_end(j);
	soswap_json_obj_end(j);
}

static void print_text(const struct cli_ctx *ctx, soswap_elf *elf, int symbols,
		       const struct soswap_sym *syms, ssize_t nsyms,
		       const struct soswap_verdef *defs, ssize_t ndefs,
		       const struct soswap_verneed *needs, ssize_t nneeds)
{
	const char *none = "(none)";
	size_t nexp = 0, nimp = 0;
	for (ssize_t i = 0; i < nsyms; i++) {
		if (is_export(&syms[i]))
			nexp++;
		else if (!syms[i].defined && syms[i].name[0])
			nimp++;
	}
	printf("%s%s%s\n", cli_bold(ctx), soswap_elf_path(elf), cli_reset(ctx));
	printf("  class:       %s %s, %s\n",
	       soswap_elf_class(elf) == ELFCLASS64 ? "ELF64" : "ELF32",
	       soswap_elf_machine_name(soswap_elf_machine(elf)),
	       soswap_elf_kind_name(soswap_elf_kind(elf)));
	if (soswap_elf_interp(elf))
		printf("  interpreter: %s\n", soswap_elf_interp(elf));
	printf("  soname:      %s\n", soswap_elf_soname(elf) ? soswap_elf_soname(elf) : none);
	printf("  needed:     ");
	if (!soswap_elf_needed_count(elf))
		printf(" %s", none);
	for (size_t i = 0; i < soswap_elf_needed_count(elf); i++)
		printf(" %s", soswap_elf_needed(elf, i));
	putchar('\n');
	if (soswap_elf_rpath(elf))
		printf("  rpath:       %s\n", soswap_elf_rpath(elf));
	if (soswap_elf_runpath(elf))
		printf("  runpath:     %s\n", soswap_elf_runpath(elf));
	printf("  flags:      ");
	each_flag(soswap_elf_flags(elf), dt_flags_names, ARRAY_SIZE(dt_flags_names), text_flag, stdout);
	each_flag(soswap_elf_flags_1(elf), dt_flags_1_names, ARRAY_SIZE(dt_flags_1_names), text_flag, stdout);
	if (!soswap_elf_flags(elf) && !soswap_elf_flags_1(elf))
		printf(" %s", none);
	putchar('\n');
	printf("  textrel:     %s\n", soswap_elf_textrel(elf) ? "yes (not PIC)" : "no");
	printf("  relro:       %s\n", relro_name(soswap_elf_relro(elf)));
	if (soswap_elf_build_id(elf))
		printf("  build-id:    %s\n", soswap_elf_build_id(elf));
	printf("  symbols:     %zu exported, %zu imported\n", nexp, nimp);
	if (ndefs) {
		printf("  versions:   ");
		for (ssize_t i = 0; i < ndefs; i++)
			if (!(defs[i].flags & VER_FLG_BASE))
				printf(" %s", defs[i].name);
		putchar('\n');
	}
	if (nneeds) {
		printf("  requires:   ");
		for (ssize_t i = 0; i < nneeds; i++)
			printf(" %s(%s)", needs[i].name, needs[i].file);
		putchar('\n');
	}
	if (!symbols)
		return;
	printf("  exports:\n");
	for (ssize_t i = 0; i < nsyms; i++) {
		const struct soswap_sym *s = &syms[i];
		if (!is_export(s))
			continue;
		printf("    %-7s %-6s %8" PRIu64 "  %s%s%s\n",
		       soswap_sym_type_name(s->type), soswap_sym_bind_name(s->bind),
		       s->size, s->name, s->version ? (s->is_default ? "@@" : "@") : "",
		       s->version ? s->version : "");
	}
	printf("  imports:\n");
	for (ssize_t i = 0; i < nsyms; i++) {
		const struct soswap_sym *s = &syms[i];
		if (s->defined || !s->name[0])
			continue;
		printf("    %-7s %-6s %s%s%s\n", soswap_sym_type_name(s->type),
		       soswap_sym_bind_name(s->bind), s->name,
		       s->version ? "@" : "", s->version ? s->version : "");
	}
}

static void help(void)
{
	puts("Usage: soswap info [--json] [--symbols] FILE...\n\n"
	     "Show what each ELF object declares to the dynamic loader: class,\n"
	     "machine, type, interpreter, SONAME, DT_NEEDED, RPATH/RUNPATH, flags,\n"
	     "TEXTREL, RELRO, build-id, versions and dynamic symbols.\n\n"
	     "  --json       one JSON array with an object per file (doc/json.md)\n"
	     "  -s, --symbols  list exported and imported symbols in text output\n"
	     "  -h, --help   this help");
}

int cmd_info(int argc, char **argv, struct cli_ctx *ctx)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "symbols", no_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	int symbols = 0, c;
	while ((c = getopt_long(argc, argv, "sh", opts, NULL)) != -1) {
		switch (c) {
		case 'j': ctx->json = 1; break;
		case 's': symbols = 1; break;
		case 'h': help(); return EXIT_OK;
		default: return cli_usage(ctx, "bad option");
		}
	}
	if (optind >= argc)
		return cli_usage(ctx, "no FILE given");

	struct soswap_json j;
	soswap_json_init(&j, stdout, 1);
	if (ctx->json)
		soswap_json_arr_begin(&j);
	int rc = EXIT_OK;
	for (int i = optind; i < argc; i++) {
		soswap_err err = { 0 };
		soswap_elf *elf;
		const struct soswap_sym *syms = NULL;
		const struct soswap_verdef *defs = NULL;
		const struct soswap_verneed *needs = NULL;
		ssize_t nsyms = 0, ndefs = 0, nneeds = 0;
		if (soswap_elf_open(&elf, argv[i], &err) < 0 ||
		    (nsyms = soswap_elf_symbols(elf, &syms, &err)) < 0 ||
		    (ndefs = soswap_elf_verdefs(elf, &defs, &err)) < 0 ||
		    (nneeds = soswap_elf_verneeds(elf, &needs, &err)) < 0) {
			rc = cli_lib_error(ctx, &err);
			soswap_elf_close(elf);
			continue;
		}
		if (ctx->json)
			print_json(&j, elf, syms, nsyms, defs, ndefs, needs, nneeds);
		else {
			if (i > optind)
				putchar('\n');
			print_text(ctx, elf, symbols, syms, nsyms, defs, ndefs, needs, nneeds);
		}
		soswap_elf_close(elf);
	}
	if (ctx->json) {
		soswap_json_arr_end(&j);
		soswap_json_finish(&j);
	}
	return rc;
}
