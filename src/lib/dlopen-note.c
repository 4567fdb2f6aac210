/* dlopen-note.c - read .note.dlopen notes through the PT_NOTE segments
 * (the notes are allocated, so the loader's view of the file has them)
 * and decode their JSON payload with json-c. */
#include <errno.h>
#include <json-c/json.h>
#include <string.h>

#include "dlopen-note.h"
#include "dynload.h"
#include "elf-internal.h"

/* json-c is loaded the first time a payload is decoded: few files carry a
 * .note.dlopen (Debian 12's none), and every command would otherwise pay
 * for loading it at start.  The names below stand for the loaded
 * functions. */
#define JSONC_FUNCS(X) X(json_tokener_new) X(json_tokener_parse_ex) X(json_tokener_free) \
	X(json_object_put) X(json_object_is_type) X(json_object_array_length)            \
	X(json_object_array_get_idx) X(json_object_object_get_ex) X(json_object_get_string)
static struct {
#define X(f) __typeof__(f) *f;
	JSONC_FUNCS(X)
#undef X
} jc;
static const struct soswap__dynsym jc_syms[] = {
#define X(f) { #f, (void **)&jc.f },
	JSONC_FUNCS(X)
#undef X
};
static struct soswap__dynlib jsonc = SOSWAP__DYNLIB(SOSWAP_JSONC_SONAME, "libjson-c5", jc_syms);

#define json_tokener_new (jc.json_tokener_new)
#define json_tokener_parse_ex (jc.json_tokener_parse_ex)
#define json_tokener_free (jc.json_tokener_free)
#define json_object_put (jc.json_object_put)
#define json_object_is_type (jc.json_object_is_type)
#define json_object_array_length (jc.json_object_array_length)
#define json_object_array_get_idx (jc.json_object_array_get_idx)
#define json_object_object_get_ex (jc.json_object_object_get_ex)
#define json_object_get_string (jc.json_object_get_string)

#define MAX_DEPS 4096
#define MAX_SONAMES 64

static char *jstr(struct json_object *o, const char *key)
{
	struct json_object *v;
	if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string))
		return NULL;
	return strdup(json_object_get_string(v));
}

void soswap__dlopen_notes_free(struct soswap__dlopen_dep *d, size_t n)
{
	for (size_t i = 0; d && i < n; i++) {
		for (size_t k = 0; k < d[i].nsonames; k++)
			free(d[i].sonames[k]);
		free(d[i].sonames);
		free(d[i].feature);
		free(d[i].description);
		free(d[i].priority);
	}
	free(d);
}

/* Append the entries of one payload; -ENOEXEC when it is not the
 * expected JSON. */
static int parse_payload(const char *buf, size_t len, struct soswap__dlopen_dep **out,
			 size_t *n, size_t *cap)
{
	struct json_tokener *tok = json_tokener_new();
	if (!tok)
		return -ENOMEM;
	/* The payload is NUL-padded: parse up to the first NUL only. */
	size_t l = strnlen(buf, len);
	struct json_object *root = json_tokener_parse_ex(tok, buf, (int)l);
	json_tokener_free(tok);
	if (!root || !json_object_is_type(root, json_type_array)) {
		json_object_put(root);
		return -ENOEXEC;
	}
	int rc = 0;
	size_t cnt = json_object_array_length(root);
	for (size_t i = 0; i < cnt && *n < MAX_DEPS; i++) {
		struct json_object *o = json_object_array_get_idx(root, i), *so;
		if (!json_object_is_type(o, json_type_object) ||
		    !json_object_object_get_ex(o, "soname", &so) ||
		    !json_object_is_type(so, json_type_array)) {
			rc = -ENOEXEC;
			break;
		}
		if ((rc = soswap__grow((void **)out, cap, *n + 1, sizeof(**out))) < 0)
			break;
		struct soswap__dlopen_dep *d = &(*out)[*n];
		memset(d, 0, sizeof(*d));
		(*n)++;
		size_t ns = json_object_array_length(so);
		if (ns > MAX_SONAMES)
			ns = MAX_SONAMES;
		d->sonames = calloc(ns ? ns : 1, sizeof(*d->sonames));
		if (!d->sonames) {
			rc = -ENOMEM;
			break;
		}
		for (size_t k = 0; k < ns; k++) {
			struct json_object *s = json_object_array_get_idx(so, k);
			if (json_object_is_type(s, json_type_string) &&
			    (d->sonames[d->nsonames] = strdup(json_object_get_string(s))))
				d->nsonames++;
		}
		d->feature = jstr(o, "feature");
		d->description = jstr(o, "description");
		d->priority = jstr(o, "priority");
	}
	json_object_put(root);
	return rc;
}

ssize_t soswap__dlopen_notes(soswap_elf *elf, struct soswap__dlopen_dep **out,
			     soswap_err *err)
{
	struct soswap__dlopen_dep *deps = NULL;
	size_t n = 0, cap = 0;
	*out = NULL;
	for (size_t i = 0; i < elf->phnum; i++) {
		size_t len = 0, off = 0;
		const unsigned char *b = soswap__elf_note_segment(elf, i, &len);
		struct soswap__note nt;
		while (soswap__elf_note_next(b, len, elf->phdrs[i].p_align == 8 ? 8 : 4, &off, &nt)) {
			if (nt.type != SOSWAP__NT_FDO_DLOPEN || nt.namesz != 4 ||
			    memcmp(nt.name, "FDO", 4) != 0)
				continue;
			int rc = soswap__dynload(&jsonc, "json-c to decode .note.dlopen", err);
			if (rc < 0) {
				soswap__dlopen_notes_free(deps, n);
				return rc;
			}
			rc = parse_payload((const char *)nt.desc, nt.descsz, &deps, &n, &cap);
			if (rc < 0) {
				soswap__dlopen_notes_free(deps, n);
				return rc == -ENOMEM
					       ? soswap__fail(err, rc, "%s: out of memory", elf->path)
					       : soswap__fail(err, rc, "%s: malformed .note.dlopen payload (not a JSON array of objects with \"soname\")",
							      elf->path);
			}
		}
	}
	*out = deps;
	return (ssize_t)n;
}
