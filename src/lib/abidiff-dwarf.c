/* abidiff-dwarf.c - compare the DWARF of two builds of a library: the
 * signatures of exported functions (return type, parameter count and
 * types), the types of exported objects, and the layout (size, member
 * offsets and types, enumerators) of every type reachable from them.
 *
 * Each exported symbol present on both sides is matched to its DWARF
 * definition by address first (st_value equals DW_AT_low_pc or the
 * DW_OP_addr of the variable, which also tells apart the functions behind
 * name@V1 and name@@V2), then by name.  Types are compared by walking both
 * sides in parallel from the symbol: two types are "the same type" when
 * their canonical names (typedefs resolved, restrict dropped) agree, and
 * then their layouts are compared member by member.  Pointers, typedefs,
 * qualifiers, arrays and function types are followed; each pair of DIEs
 * is visited once, which stops recursive types, and the walk has a depth
 * and step budget so hostile DWARF cannot make it run away. */
#include <dwarf.h>
#include <elf.h>
#include <elfutils/libdw.h>
#include <errno.h>
#include <inttypes.h>
#include <search.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "abidiff-internal.h"
#include "dw.h"

#define TYPE_NAME_MAX 512
#define MAX_STEPS 2000000	/* type-walk budget for one comparison */
#define MAX_ITEMS 1024		/* members, enumerators, parameters compared */
#define MAX_CHAIN 16		/* abstract_origin / specification hops */

/* A function or variable definition in one side's DWARF. */
struct decl {
	Dwarf_Addr addr;
	int has_addr;
	int tag;
	const char *name;
	Dwarf_Die die;
};

struct side {
	struct decl *v;		/* sorted by address */
	size_t n, cap;
	struct decl **by_name;	/* sorted by name */
};

struct walk {
	struct soswap_abidiff *d;
	const char *via;	/* the exported symbol the walk started from */
	void *visited;		/* tsearch tree of DIE offset pairs */
	void *reported;		/* tsearch tree of reported details */
	unsigned long steps;
	int err;		/* -ENOMEM once anything failed */
};

/* ---- collecting definitions ----------------------------------------- */

static const char *decl_name(Dwarf_Die *die)
{
	Dwarf_Attribute a;
	if (dwarf_attr_integrate(die, DW_AT_linkage_name, &a) ||
	    dwarf_attr_integrate(die, DW_AT_MIPS_linkage_name, &a)) {
		const char *s = dwarf_formstring(&a);
		if (s)
			return s;
	}
	return dwarf_diename(die);
}

/* Address of a variable: DW_OP_addr X, or the TLS offset of
 * "DW_OP_const X; DW_OP_form_tls_address" (st_value of a TLS symbol). */
static int var_addr(Dwarf_Die *die, Dwarf_Addr *addr)
{
	Dwarf_Attribute a;
	Dwarf_Op *ops;
	size_t n;
	if (!dwarf_attr(die, DW_AT_location, &a) || dwarf_getlocation(&a, &ops, &n) != 0 || n == 0)
		return 0;
	if (n == 1 && ops[0].atom == DW_OP_addr) {
		*addr = ops[0].number;
		return 1;
	}
	if (n == 2 && (ops[1].atom == DW_OP_form_tls_address ||
		       ops[1].atom == DW_OP_GNU_push_tls_address) &&
	    (ops[0].atom == DW_OP_const8u || ops[0].atom == DW_OP_const4u)) {
		*addr = ops[0].number;
		return 1;
	}
	return 0;
}

static int side_add(struct side *s, Dwarf_Die *die, int tag)
{
	struct decl dl = { .tag = tag, .die = *die, .name = decl_name(die) };
	if (!dl.name)
		return 0;
	if (tag == DW_TAG_subprogram)
		dl.has_addr = dwarf_lowpc(die, &dl.addr) == 0 || dwarf_entrypc(die, &dl.addr) == 0;
	else
		dl.has_addr = var_addr(die, &dl.addr);
	if (soswap__grow((void **)&s->v, &s->cap, s->n + 1, sizeof(*s->v)) < 0)
		return -ENOMEM;
	s->v[s->n++] = dl;
	return 0;
}

/* Top-level definitions of a unit (and of C++ namespaces in it). */
static int side_scan(struct side *s, Dwarf_Die *parent, int depth)
{
	Dwarf_Die c;
	if (depth > 8 || dwarf_child(parent, &c) != 0)
		return 0;
	int r = 0;
	do {
		int tag = dwarf_tag(&c);
		if (tag == DW_TAG_namespace)
			r = side_scan(s, &c, depth + 1);
		else if ((tag == DW_TAG_subprogram || tag == DW_TAG_variable) &&
			 !dwarf_hasattr(&c, DW_AT_declaration))
			r = side_add(s, &c, tag);
	} while (r == 0 && dwarf_siblingof(&c, &c) == 0);
	return r;
}

static int cmp_decl_addr(const void *pa, const void *pb)
{
	const struct decl *a = pa, *b = pb;
	if (a->has_addr != b->has_addr)
		return a->has_addr ? -1 : 1;
	return a->addr < b->addr ? -1 : a->addr > b->addr;
}

static int cmp_decl_name(const void *pa, const void *pb)
{
	const struct decl *a = *(const struct decl *const *)pa;
	const struct decl *b = *(const struct decl *const *)pb;
	return strcmp(a->name, b->name);
}

static int side_collect(struct side *s, Dwarf *dw)
{
	Dwarf_CU *cu = NULL;
	Dwarf_Die cudie;
	int r = 0;
	while (r == 0 && dwarf_get_units(dw, cu, &cu, NULL, NULL, &cudie, NULL) == 0)
		r = side_scan(s, &cudie, 0);
	if (r < 0)
		return r;
	if (s->n)
		qsort(s->v, s->n, sizeof(*s->v), cmp_decl_addr);
	s->by_name = calloc(s->n ? s->n : 1, sizeof(*s->by_name));
	if (!s->by_name)
		return -ENOMEM;
	for (size_t i = 0; i < s->n; i++)
		s->by_name[i] = &s->v[i];
	qsort(s->by_name, s->n, sizeof(*s->by_name), cmp_decl_name);
	return 0;
}

static const struct decl *side_find(const struct side *s, const struct soswap_sym *sym,
				    int tag)
{
	struct decl key = { .addr = sym->value, .has_addr = 1, .name = sym->name };
	const struct decl *hit = NULL, *kp = &key, **np;
	if (!s->n)
		return NULL;
	if (sym->value)
		hit = bsearch(&key, s->v, s->n, sizeof(*s->v), cmp_decl_addr);
	if (hit && hit->tag == tag)
		return hit;
	np = bsearch(&kp, s->by_name, s->n, sizeof(*s->by_name), cmp_decl_name);
	return np && (*np)->tag == tag ? *np : NULL;
}

static void side_free(struct side *s)
{
	free(s->v);
	free(s->by_name);
}

/* ---- naming types ---------------------------------------------------- */

struct tname {
	char s[TYPE_NAME_MAX];
	size_t len;
};

static void tn_add(struct tname *b, const char *s)
{
	size_t n = strlen(s);
	if (n > sizeof(b->s) - 1 - b->len)
		n = sizeof(b->s) - 1 - b->len;
	memcpy(b->s + b->len, s, n);
	b->len += n;
	b->s[b->len] = '\0';
}

/* DW_AT_type of a DIE (through abstract origins), or NULL for void. */
static Dwarf_Die *type_of(Dwarf_Die *die, Dwarf_Die *out)
{
	Dwarf_Attribute a;
	if (!die || !dwarf_attr_integrate(die, DW_AT_type, &a) || !dwarf_formref_die(&a, out))
		return NULL;
	return out;
}

static void type_name(Dwarf_Die *t, int canon, struct tname *b, int depth);

/* Is the type a pointer (typedefs seen through)?  Decides whether a
 * qualifier is written before the type or after it. */
static int is_pointer_like(Dwarf_Die *t)
{
	Dwarf_Die tmp = { 0 };
	for (int i = 0; t && i < MAX_CHAIN; i++) {
		int tag = dwarf_tag(t);
		if (tag == DW_TAG_pointer_type || tag == DW_TAG_reference_type ||
		    tag == DW_TAG_rvalue_reference_type)
			return 1;
		if (tag != DW_TAG_typedef)
			return 0;
		t = type_of(t, &tmp);
	}
	return 0;
}

static void qualified_name(Dwarf_Die *sub, const char *q, int canon, struct tname *b,
			   int depth)
{
	if (is_pointer_like(sub)) {
		type_name(sub, canon, b, depth + 1);
		tn_add(b, " ");
		tn_add(b, q);
	} else {
		tn_add(b, q);
		tn_add(b, " ");
		type_name(sub, canon, b, depth + 1);
	}
}

static void array_dims(Dwarf_Die *t, struct tname *b)
{
	Dwarf_Die c;
	if (dwarf_child(t, &c) != 0)
		return;
	do {
		Dwarf_Attribute a;
		Dwarf_Word n;
		char buf[32];
		if (dwarf_tag(&c) != DW_TAG_subrange_type)
			continue;
		if (dwarf_attr(&c, DW_AT_count, &a) && dwarf_formudata(&a, &n) == 0)
			snprintf(buf, sizeof(buf), "[%" PRIu64 "]", (uint64_t)n);
		else if (dwarf_attr(&c, DW_AT_upper_bound, &a) && dwarf_formudata(&a, &n) == 0)
			snprintf(buf, sizeof(buf), "[%" PRIu64 "]", (uint64_t)n + 1);
		else
			snprintf(buf, sizeof(buf), "[]");
		tn_add(b, buf);
	} while (dwarf_siblingof(&c, &c) == 0);
}

/* Parameters of a function or function type, "(int, char *, ...)". */
static void param_list(Dwarf_Die *fn, int canon, struct tname *b, int depth)
{
	Dwarf_Die c, tmp;
	int n = 0;
	tn_add(b, "(");
	if (dwarf_child(fn, &c) == 0) {
		do {
			int tag = dwarf_tag(&c);
			if (tag != DW_TAG_formal_parameter && tag != DW_TAG_unspecified_parameters)
				continue;
			if (n++)
				tn_add(b, ", ");
			if (tag == DW_TAG_unspecified_parameters)
				tn_add(b, "...");
			else
				type_name(type_of(&c, &tmp), canon, b, depth + 1);
		} while (dwarf_siblingof(&c, &c) == 0);
	}
	tn_add(b, ")");
}

static const char *aggregate_word(int tag)
{
	switch (tag) {
	case DW_TAG_structure_type: return "struct ";
	case DW_TAG_union_type: return "union ";
	case DW_TAG_class_type: return "class ";
	case DW_TAG_enumeration_type: return "enum ";
	default: return NULL;
	}
}

/* A C-like name of a type; canonical names resolve typedefs and drop
 * restrict so that only changes a caller sees make names differ. */
static void type_name(Dwarf_Die *t, int canon, struct tname *b, int depth)
{
	Dwarf_Die sub, *subp;
	if (!t) {
		tn_add(b, "void");
		return;
	}
	if (depth > SOSWAP__ABIDIFF_MAX_DEPTH) {
		tn_add(b, "...");
		return;
	}
	subp = type_of(t, &sub);
	const char *name = dwarf_diename(t);
	int tag = dwarf_tag(t);
	switch (tag) {
	case DW_TAG_typedef:
		if (canon)
			type_name(subp, canon, b, depth + 1);
		else
			tn_add(b, name ? name : "?");
		break;
	case DW_TAG_pointer_type:
		if (subp && dwarf_tag(subp) == DW_TAG_subroutine_type) {
			Dwarf_Die ret;	/* "int (*)(char *)" */
			type_name(type_of(subp, &ret), canon, b, depth + 1);
			tn_add(b, " (*)");
			param_list(subp, canon, b, depth + 1);
			break;
		}
		/* fall through */
	case DW_TAG_reference_type:
	case DW_TAG_rvalue_reference_type:
		type_name(subp, canon, b, depth + 1);
		tn_add(b, tag == DW_TAG_pointer_type ? " *" :
			  tag == DW_TAG_reference_type ? " &" : " &&");
		break;
	case DW_TAG_const_type:
		qualified_name(subp, "const", canon, b, depth);
		break;
	case DW_TAG_volatile_type:
		qualified_name(subp, "volatile", canon, b, depth);
		break;
	case DW_TAG_atomic_type:
		qualified_name(subp, "_Atomic", canon, b, depth);
		break;
	case DW_TAG_restrict_type:
		if (canon)
			type_name(subp, canon, b, depth + 1);
		else
			qualified_name(subp, "restrict", canon, b, depth);
		break;
	case DW_TAG_array_type:
		type_name(subp, canon, b, depth + 1);
		array_dims(t, b);
		break;
	case DW_TAG_subroutine_type:
		type_name(subp, canon, b, depth + 1);
		param_list(t, canon, b, depth);
		break;
	default:
		if (aggregate_word(tag))
			tn_add(b, aggregate_word(tag));
		tn_add(b, name ? name : "{anonymous}");
	}
}

static const char *tname(Dwarf_Die *t, int canon, struct tname *b)
{
	b->len = 0;
	b->s[0] = '\0';
	type_name(t, canon, b, 0);
	return b->s;
}

/* ---- reporting -------------------------------------------------------- */

static void report(struct walk *w, int incompatible, const char *kind,
		   const char *fmt, ...) SOSWAP__PRINTF(4, 5);
static void report(struct walk *w, int incompatible, const char *kind,
		   const char *fmt, ...)
{
	char *detail;
	va_list ap;
	va_start(ap, fmt);
	int n = vasprintf(&detail, fmt, ap);
	va_end(ap);
	if (n < 0) {
		w->err = -ENOMEM;
		return;
	}
	/* A type reached from many symbols (or defined in many units) is
	 * reported once, through the first symbol that reaches it. */
	char **slot = tsearch(detail, &w->reported, (int (*)(const void *, const void *))strcmp);
	if (!slot) {
		free(detail);
		w->err = -ENOMEM;
		return;
	}
	if (*slot != detail) {
		free(detail);
		return;
	}
	/* A type change names the symbol it was reached from; a signature
	 * change already starts with it. */
	int typ = strcmp(kind, "signature-changed") && strcmp(kind, "object-type-changed");
	if (soswap__abidiff_add(w->d, incompatible, kind, w->via, "%s%s%s%s", detail,
				typ ? " (reached from " : "", typ ? w->via : "", typ ? ")" : "") < 0)
		w->err = -ENOMEM;
}

struct die_pair {
	Dwarf_Off a, b;
};

static int cmp_pair(const void *pa, const void *pb)
{
	const struct die_pair *a = pa, *b = pb;
	if (a->a != b->a)
		return a->a < b->a ? -1 : 1;
	return a->b < b->b ? -1 : a->b > b->b;
}

/* 1 the first time a pair of DIEs is seen, 0 afterwards (or on error). */
static int first_visit(struct walk *w, Dwarf_Die *a, Dwarf_Die *b)
{
	struct die_pair *p = malloc(sizeof(*p));
	if (!p) {
		w->err = -ENOMEM;
		return 0;
	}
	p->a = dwarf_dieoffset(a);
	p->b = dwarf_dieoffset(b);
	struct die_pair **slot = tsearch(p, &w->visited, cmp_pair);
	if (!slot || *slot != p) {
		if (!slot)
			w->err = -ENOMEM;
		free(p);
		return 0;
	}
	return 1;
}

/* ---- comparing types --------------------------------------------------- */

static void compare_types(struct walk *w, Dwarf_Die *a, Dwarf_Die *b, int depth);

struct item {
	const char *name;
	Dwarf_Die die;
	int64_t value;		/* member: bit offset; enumerator: value */
	int64_t bits;		/* member: bit size, 0 when not a bit-field */
	char anon[TYPE_NAME_MAX];	/* name of an unnamed member or a base */
};

/* Members (or enumerators) of an aggregate, at most MAX_ITEMS.  Unnamed
 * members get "{anonymous #k}" so that they still match by position. */
static size_t items_of(Dwarf_Die *t, int want_tag, struct item *out)
{
	Dwarf_Die c;
	size_t n = 0, anon = 0;
	if (dwarf_child(t, &c) != 0)
		return 0;
	do {
		Dwarf_Attribute a;
		Dwarf_Word u;
		Dwarf_Sword sv;
		int tag = dwarf_tag(&c);
		if (tag != want_tag && !(want_tag == DW_TAG_member && tag == DW_TAG_inheritance))
			continue;
		if (dwarf_hasattr(&c, DW_AT_declaration))
			continue;	/* a C++ static member takes no room */
		struct item *it = &out[n];
		memset(it, 0, sizeof(*it));
		it->die = c;
		it->name = dwarf_diename(&c);
		if (tag == DW_TAG_inheritance) {
			/* A C++ base class is laid out like a member named by
			 * its type. */
			struct tname b;
			Dwarf_Die bt;
			snprintf(it->anon, sizeof(it->anon), "{base %s}", tname(type_of(&c, &bt), 0, &b));
			it->name = it->anon;
		} else if (!it->name) {
			snprintf(it->anon, sizeof(it->anon), "{anonymous #%zu}", ++anon);
			it->name = it->anon;
		}
		if (want_tag == DW_TAG_enumerator) {
			if (dwarf_attr(&c, DW_AT_const_value, &a) && dwarf_formsdata(&a, &sv) == 0)
				it->value = sv;
		} else {
			if (dwarf_attr(&c, DW_AT_data_member_location, &a) && dwarf_formudata(&a, &u) == 0)
				it->value = (int64_t)(u * 8);
			if (dwarf_attr(&c, DW_AT_data_bit_offset, &a) && dwarf_formudata(&a, &u) == 0)
				it->value = (int64_t)u;
			if (dwarf_attr(&c, DW_AT_bit_size, &a) && dwarf_formudata(&a, &u) == 0)
				it->bits = (int64_t)u;
		}
		n++;
	} while (n < MAX_ITEMS && dwarf_siblingof(&c, &c) == 0);
	return n;
}

static const struct item *item_find(const struct item *v, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(v[i].name, name))
			return &v[i];
	return NULL;
}

static const char *offset_str(int64_t bits, char *buf, size_t len)
{
	if (bits % 8)
		snprintf(buf, len, "bit %" PRId64, bits);
	else
		snprintf(buf, len, "offset %" PRId64, bits / 8);
	return buf;
}

/* Reports "WHAT from OLD to NEW" when the canonical names of two types
 * differ; else walks into them for layout changes. */
static void compare_named(struct walk *w, const char *kind, const char *what,
			  Dwarf_Die *a, Dwarf_Die *b, int depth)
{
	struct tname t1, t2, p1, p2;
	if (!strcmp(tname(a, 1, &t1), tname(b, 1, &t2))) {
		compare_types(w, a, b, depth);
		return;
	}
	/* Show the names as written unless they read the same ("cb_t" to
	 * "cb_t" when the typedef's target changed). */
	if (strcmp(tname(a, 0, &p1), tname(b, 0, &p2)))
		report(w, 1, kind, "%s from %s to %s", what, p1.s, p2.s);
	else
		report(w, 1, kind, "%s from %s to %s", what, t1.s, t2.s);
}

static void compare_member(struct walk *w, const char *agg, const struct item *m,
			   const struct item *n, int depth)
{
	char o1[40], o2[40], what[2 * TYPE_NAME_MAX];
	Dwarf_Die da, db;
	if (m->value != n->value)
		report(w, 1, "layout-changed", "%s: member %s moved from %s to %s", agg, m->name,
		       offset_str(m->value, o1, sizeof(o1)), offset_str(n->value, o2, sizeof(o2)));
	if (m->bits != n->bits && m->bits && n->bits)
		report(w, 1, "layout-changed", "%s: member %s changed from a %" PRId64
		       "-bit to a %" PRId64 "-bit field", agg, m->name, m->bits, n->bits);
	else if (m->bits != n->bits && n->bits)
		report(w, 1, "layout-changed", "%s: member %s became a %" PRId64 "-bit field",
		       agg, m->name, n->bits);
	else if (m->bits != n->bits)
		report(w, 1, "layout-changed", "%s: member %s is no longer a %" PRId64 "-bit field",
		       agg, m->name, m->bits);
	snprintf(what, sizeof(what), "%s: member %s changed type", agg, m->name);
	compare_named(w, "layout-changed", what, type_of((Dwarf_Die *)&m->die, &da),
		      type_of((Dwarf_Die *)&n->die, &db), depth + 1);
}

static void compare_layout(struct walk *w, Dwarf_Die *a, Dwarf_Die *b, int depth)
{
	struct tname tn;
	Dwarf_Word sa, sb;
	char o[40];
	int resized = 0;
	/* An opaque type (declared only) has no layout callers depend on. */
	if (dwarf_hasattr(a, DW_AT_declaration) || dwarf_hasattr(b, DW_AT_declaration))
		return;
	tname(a, 0, &tn);
	if (dwarf_aggregate_size(a, &sa) == 0 && dwarf_aggregate_size(b, &sb) == 0 && sa != sb) {
		resized = 1;
		report(w, 1, "layout-changed", "%s: size changed from %" PRIu64 " to %" PRIu64 " bytes",
		       tn.s, (uint64_t)sa, (uint64_t)sb);
	}
	struct item *ma = calloc(2 * MAX_ITEMS, sizeof(*ma)), *mb = ma + MAX_ITEMS;
	if (!ma) {
		w->err = -ENOMEM;
		return;
	}
	size_t na = items_of(a, DW_TAG_member, ma), nb = items_of(b, DW_TAG_member, mb);
	for (size_t i = 0; i < na && !w->err; i++) {
		const struct item *n = item_find(mb, nb, ma[i].name);
		if (!n)
			report(w, 1, "layout-changed", "%s: member %s was removed", tn.s, ma[i].name);
		else
			compare_member(w, tn.s, &ma[i], n, depth);
	}
	/* A member added in padding, with size and offsets kept, breaks no
	 * existing caller; one that grows the type is already reported. */
	for (size_t i = 0; i < nb && !w->err; i++)
		if (!item_find(ma, na, mb[i].name))
			report(w, resized, "layout-changed", "%s: member %s was added at %s", tn.s,
			       mb[i].name, offset_str(mb[i].value, o, sizeof(o)));
	free(ma);
}

static void compare_enum(struct walk *w, Dwarf_Die *a, Dwarf_Die *b)
{
	struct tname tn;
	int sa = dwarf_bytesize(a), sb = dwarf_bytesize(b);
	if (dwarf_hasattr(a, DW_AT_declaration) || dwarf_hasattr(b, DW_AT_declaration))
		return;
	tname(a, 0, &tn);
	if (sa != sb)
		report(w, 1, "layout-changed", "%s: size changed from %d to %d bytes", tn.s, sa, sb);
	struct item *ea = calloc(2 * MAX_ITEMS, sizeof(*ea)), *eb = ea + MAX_ITEMS;
	if (!ea) {
		w->err = -ENOMEM;
		return;
	}
	size_t na = items_of(a, DW_TAG_enumerator, ea), nb = items_of(b, DW_TAG_enumerator, eb);
	for (size_t i = 0; i < na; i++) {
		const struct item *n = item_find(eb, nb, ea[i].name);
		if (!n)
			report(w, 1, "enum-changed", "%s: enumerator %s was removed", tn.s, ea[i].name);
		else if (n->value != ea[i].value)
			report(w, 1, "enum-changed", "%s: enumerator %s changed value from %" PRId64
			       " to %" PRId64, tn.s, ea[i].name, ea[i].value, n->value);
	}
	for (size_t i = 0; i < nb; i++)
		if (!item_find(ea, na, eb[i].name))
			report(w, 0, "enum-changed", "%s: enumerator %s = %" PRId64 " was added",
			       tn.s, eb[i].name, eb[i].value);
	free(ea);
}

/* Parameter DIEs of a function or function type, and whether it is
 * variadic.  A concrete out-of-line instance takes them from its abstract
 * origin (or a definition from its declaration), which has every
 * parameter with its type even when optimisation dropped some. */
struct params {
	Dwarf_Die v[MAX_ITEMS];
	size_t n;
	int variadic;
};

static void params_of(Dwarf_Die *fn, struct params *p)
{
	Dwarf_Die cur = *fn, c;
	Dwarf_Attribute a;
	for (int i = 0; i < MAX_CHAIN; i++) {
		if (!(dwarf_attr(&cur, DW_AT_abstract_origin, &a) ||
		      dwarf_attr(&cur, DW_AT_specification, &a)) ||
		    !dwarf_formref_die(&a, &cur))
			break;
	}
	p->n = 0;
	p->variadic = 0;
	if (dwarf_child(&cur, &c) != 0)
		return;
	do {
		int tag = dwarf_tag(&c);
		if (tag == DW_TAG_formal_parameter)
			p->v[p->n++] = c;
		else if (tag == DW_TAG_unspecified_parameters)
			p->variadic = 1;
	} while (p->n < MAX_ITEMS && dwarf_siblingof(&c, &c) == 0);
}

static void compare_params(struct walk *w, const struct params *pa,
			   const struct params *pb, int depth)
{
	for (size_t i = 0; i < pa->n && i < pb->n; i++) {
		Dwarf_Die da, db;
		compare_types(w, type_of((Dwarf_Die *)&pa->v[i], &da),
			      type_of((Dwarf_Die *)&pb->v[i], &db), depth + 1);
	}
}

static void compare_types(struct walk *w, Dwarf_Die *a, Dwarf_Die *b, int depth)
{
	Dwarf_Die pa, pb, sa, sb;
	if (!a || !b || w->err || depth > SOSWAP__ABIDIFF_MAX_DEPTH || ++w->steps > MAX_STEPS)
		return;
	if (dwarf_peel_type(a, &pa) != 0 || dwarf_peel_type(b, &pb) != 0)
		return;
	int tag = dwarf_tag(&pa);
	if (tag != dwarf_tag(&pb))
		return;		/* the canonical names differed: reported above */
	switch (tag) {
	case DW_TAG_pointer_type:
	case DW_TAG_reference_type:
	case DW_TAG_rvalue_reference_type:
	case DW_TAG_array_type:
		compare_types(w, type_of(&pa, &sa), type_of(&pb, &sb), depth + 1);
		break;
	case DW_TAG_subroutine_type: {
		struct params *p = malloc(2 * sizeof(*p));
		if (!p) {
			w->err = -ENOMEM;
			return;
		}
		params_of(&pa, &p[0]);
		params_of(&pb, &p[1]);
		compare_types(w, type_of(&pa, &sa), type_of(&pb, &sb), depth + 1);
		compare_params(w, &p[0], &p[1], depth);
		free(p);
		break;
	}
	case DW_TAG_structure_type:
	case DW_TAG_union_type:
	case DW_TAG_class_type:
		if (first_visit(w, &pa, &pb))
			compare_layout(w, &pa, &pb, depth);
		break;
	case DW_TAG_enumeration_type:
		if (first_visit(w, &pa, &pb))
			compare_enum(w, &pa, &pb);
		break;
	}
}

/* ---- exported functions and objects ------------------------------------ */

static void param_names(const struct params *p, struct tname *b)
{
	b->len = 0;
	tn_add(b, "(");
	for (size_t i = 0; i < p->n; i++) {
		Dwarf_Die t;
		if (i)
			tn_add(b, ", ");
		type_name(type_of((Dwarf_Die *)&p->v[i], &t), 0, b, 0);
	}
	if (p->variadic)
		tn_add(b, p->n ? ", ..." : "...");
	tn_add(b, ")");
}

static void compare_func(struct walk *w, const char *label, Dwarf_Die *a, Dwarf_Die *b)
{
	char what[2 * TYPE_NAME_MAX];
	Dwarf_Die da, db;
	snprintf(what, sizeof(what), "%s(): return type changed", label);
	compare_named(w, "signature-changed", what, type_of(a, &da), type_of(b, &db), 0);

	struct params *p = malloc(2 * sizeof(*p));
	if (!p) {
		w->err = -ENOMEM;
		return;
	}
	params_of(a, &p[0]);
	params_of(b, &p[1]);
	if (p[0].n != p[1].n || p[0].variadic != p[1].variadic) {
		struct tname t1, t2;
		param_names(&p[0], &t1);
		param_names(&p[1], &t2);
		report(w, 1, "signature-changed", "%s(): parameters changed from %s to %s",
		       label, t1.s, t2.s);
	}
	for (size_t i = 0; p[0].n == p[1].n && i < p[0].n; i++) {
		const char *pn = dwarf_diename(&p[0].v[i]);
		snprintf(what, sizeof(what), "%s(): parameter %zu%s%s%s changed type", label, i + 1,
			 pn ? " (" : "", pn ? pn : "", pn ? ")" : "");
		compare_named(w, "signature-changed", what, type_of(&p[0].v[i], &da),
			      type_of(&p[1].v[i], &db), 0);
	}
	free(p);
}

static void compare_var(struct walk *w, const char *label, Dwarf_Die *a, Dwarf_Die *b)
{
	char what[2 * TYPE_NAME_MAX];
	Dwarf_Die da, db;
	snprintf(what, sizeof(what), "%s: type changed", label);
	compare_named(w, "object-type-changed", what, type_of(a, &da), type_of(b, &db), 0);
}

static int is_function(unsigned type)
{
	return type == STT_FUNC || type == STT_GNU_IFUNC;
}

int soswap__abidiff_dwarf(struct soswap_abidiff *d,
			  const struct soswap__abi_pair *pairs, size_t npairs,
			  struct soswap__debuginfo *old_di,
			  struct soswap__debuginfo *new_di)
{
	struct side so = { 0 }, sn = { 0 };
	struct walk w = { .d = d };
	char label[512];
	int r = side_collect(&so, old_di->dw);
	if (r == 0)
		r = side_collect(&sn, new_di->dw);
	for (size_t i = 0; r == 0 && !w.err && i < npairs; i++) {
		const struct soswap_sym *s = pairs[i].old;
		int tag = is_function(s->type) ? DW_TAG_subprogram : DW_TAG_variable;
		const struct decl *a = side_find(&so, s, tag);
		const struct decl *b = side_find(&sn, pairs[i].new, tag);
		if (!a || !b)
			continue;	/* no DWARF for it (assembly, stripped unit) */
		w.via = soswap__abi_sym_label(s, label, sizeof(label));
		if (tag == DW_TAG_subprogram)
			compare_func(&w, label, (Dwarf_Die *)&a->die, (Dwarf_Die *)&b->die);
		else
			compare_var(&w, label, (Dwarf_Die *)&a->die, (Dwarf_Die *)&b->die);
	}
	tdestroy(w.visited, free);
	tdestroy(w.reported, free);
	side_free(&so);
	side_free(&sn);
	return r < 0 ? r : w.err;
}
