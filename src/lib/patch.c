/* patch.c - the plan of a live swap: every byte to write, computed from
 * the ELF files and the target's memory before anything is stopped.
 *
 * Terms: the "family" is every loaded version of the library (the
 * original and the copies earlier swaps loaded; they share a SONAME).
 * NEW is the version that must receive every call after the swap.
 *
 *  - GOT: each JUMP_SLOT/GLOB_DAT slot of any module that points at a
 *    function of a family member other than NEW (or is a lazy slot not
 *    yet bound that would resolve there) gets NEW's definition of the same
 *    name and version.  This includes NEW's own slots that interposition
 *    bound to OLD's functions.
 *  - Data: objects both define with the same size and type keep one
 *    instance, the one already in use: NEW's GLOB_DAT slots are bound to
 *    it (interposition does it only when OLD is in the global scope).  A
 *    changed object is refused unless NEW has a migration hook; one
 *    copy-relocated into the executable that changed size is always
 *    refused.
 *  - Entry jumps: each exported function of a family member other than
 *    NEW starts with a jump to NEW's, so that function pointers taken
 *    earlier and internal calls reach NEW.  Functions too small for the
 *    jump, or with a branch into the overwritten bytes (found with
 *    capstone), are skipped and reported.  NEW's own entries, patched by
 *    an earlier swap away from it, get their original bytes back: every
 *    older version leads straight to the newest, no chains, no loops.
 */
#include <elf.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "disasm.h"
#include "live-internal.h"

#define MAX_BUSY_LEN 14

struct symindex {
	const struct soswap_sym *syms;
	size_t nsyms;
	uint32_t *by_name;	/* indices of defined exports, sorted by name */
	size_t n;
};

struct modsyms {
	const struct soswap_sym *syms;
	ssize_t nsyms;
	const struct soswap_reloc *rel;
	ssize_t nrel;
	struct symindex idx;	/* built for family members and NEW only */
};

struct ctx {
	struct soswap__plan *p;
	const struct soswap__plan_in *in;
	const struct soswap__modules *mods;
	struct modsyms *ms;
	csh cs;
	const struct soswap__capstone *cap;
	soswap_err *err;
};

/* ---- symbol index ------------------------------------------------------ */

static int cmp_name(const void *a, const void *b, void *syms)
{
	const struct soswap_sym *s = syms;
	return strcmp(s[*(const uint32_t *)a].name, s[*(const uint32_t *)b].name);
}

static int is_export(const struct soswap_sym *s)
{
	return s->defined && s->bind != STB_LOCAL && s->shndx != SHN_ABS &&
	       (s->visibility == STV_DEFAULT || s->visibility == STV_PROTECTED) &&
	       s->name[0];
}

static int index_build(struct symindex *x, const struct soswap_sym *syms,
		       size_t n)
{
	x->syms = syms;
	x->nsyms = n;
	x->by_name = malloc((n ? n : 1) * sizeof(*x->by_name));
	if (!x->by_name)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++)
		if (is_export(&syms[i]))
			x->by_name[x->n++] = (uint32_t)i;
	qsort_r(x->by_name, x->n, sizeof(*x->by_name), cmp_name, (void *)syms);
	return 0;
}

/* The definition of name[@version] in x: with a version, that version;
 * without, the default one (or an unversioned definition). */
static const struct soswap_sym *index_find(const struct symindex *x,
					   const char *name, const char *version)
{
	size_t lo = 0, hi = x->n;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (strcmp(x->syms[x->by_name[mid]].name, name) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	const struct soswap_sym *any = NULL;
	for (size_t i = lo; i < x->n; i++) {
		const struct soswap_sym *s = &x->syms[x->by_name[i]];
		if (strcmp(s->name, name))
			break;
		if (version ? (s->version && !strcmp(s->version, version)) :
			      (!s->version || s->is_default))
			return s;
		if (!any && !version)
			any = s;
	}
	return any;
}

/* ---- plan output ------------------------------------------------------- */

static int add_write(struct ctx *c, uint64_t addr, const void *old,
		     const void *new, unsigned len, int kind)
{
	struct soswap__plan *p = c->p;
	if (soswap__grow((void **)&p->w, &p->capw, p->nw + 1, sizeof(*p->w)) < 0)
		return -ENOMEM;
	struct soswap__write *w = &p->w[p->nw++];
	memset(w, 0, sizeof(*w));
	w->addr = addr;
	w->len = len;
	w->kind = (unsigned char)kind;
	memcpy(w->old, old, len);
	memcpy(w->new, new, len);
	return 0;
}

static int add_skip(struct ctx *c, const struct soswap_sym *s, const char *why)
{
	struct soswap__plan *p = c->p;
	char buf[512];
	snprintf(buf, sizeof(buf), "%s%s%s", s->name, s->version ? "@" : "",
		 s->version ? s->version : "");
	for (size_t i = 0; i < p->nskipped; i++)
		if (!strcmp(p->skipped[i].name, buf))
			return 0;
	if (soswap__grow((void **)&p->skipped, &p->capskip, p->nskipped + 1,
			 sizeof(*p->skipped)) < 0)
		return -ENOMEM;
	char *d = strdup(buf);
	if (!d)
		return -ENOMEM;
	p->skipped[p->nskipped].name = d;
	p->skipped[p->nskipped++].reason = why;
	return 0;
}

static int add_missing(struct ctx *c, const struct soswap_sym *s)
{
	struct soswap__plan *p = c->p;
	char buf[512];
	snprintf(buf, sizeof(buf), "%s%s%s", s->name, s->version ? "@" : "",
		 s->version ? s->version : "");
	for (size_t i = 0; i < p->nmissing; i++)
		if (!strcmp(p->missing[i], buf))
			return 0;
	if (soswap__grow((void **)&p->missing, &p->capmissing, p->nmissing + 1,
			 sizeof(*p->missing)) < 0)
		return -ENOMEM;
	if (!(p->missing[p->nmissing] = strdup(buf)))
		return -ENOMEM;
	p->nmissing++;
	return 0;
}

static void set_refuse(struct ctx *c, const char *fmt, const char *name,
		       uint64_t a, uint64_t b)
{
	if (c->p->refuse)
		return;
	char buf[512];
	snprintf(buf, sizeof(buf), fmt, name, (unsigned long long)a,
		 (unsigned long long)b);
	c->p->refuse = strdup(buf);
}

/* ---- data objects ------------------------------------------------------- */

enum obj_fate { OBJ_NONE, OBJ_SHARED, OBJ_CHANGED };

/* What becomes of the object `name` that some module references. */
static enum obj_fate obj_fate(struct ctx *c, const char *name,
			      const char *version, const struct soswap_sym **olds,
			      const struct soswap_sym **news)
{
	const struct soswap_sym *o = index_find(&c->ms[c->in->old_idx].idx, name, version);
	const struct soswap_sym *n = index_find(&c->ms[c->in->new_idx].idx, name, version);
	if (!o || !n || o->type != STT_OBJECT)
		return OBJ_NONE;
	*olds = o;
	*news = n;
	return o->size == n->size && o->type == n->type ? OBJ_SHARED : OBJ_CHANGED;
}

/* The instance of a shared object in use now: where OLD's own GLOB_DAT
 * slot for it points (the executable's copy, or an earlier version's
 * instance), else OLD's definition. */
static int canonical(struct ctx *c, const struct soswap_sym *olds, uint64_t *out)
{
	size_t oi = c->in->old_idx;
	const struct modsyms *m = &c->ms[oi];
	for (ssize_t i = 0; i < m->nrel; i++) {
		const struct soswap_reloc *r = &m->rel[i];
		if (r->type != R_X86_64_GLOB_DAT || r->sym == 0 ||
		    r->sym > (uint64_t)m->nsyms || strcmp(m->syms[r->sym - 1].name, olds->name))
			continue;
		return c->in->rd(c->in->rctx, c->mods->m[oi].l_addr + r->offset,
				 out, 8, c->err);
	}
	*out = c->mods->m[oi].l_addr + olds->value;
	return 0;
}

/* Refuse objects that changed when nothing can migrate them. */
static int check_objects(struct ctx *c)
{
	const struct symindex *ox = &c->ms[c->in->old_idx].idx;
	for (size_t k = 0; k < ox->n; k++) {
		const struct soswap_sym *o = &ox->syms[ox->by_name[k]], *os, *ns;
		enum obj_fate f = o->type == STT_OBJECT ?
			obj_fate(c, o->name, o->version, &os, &ns) : OBJ_NONE;
		if (f == OBJ_SHARED)
			c->p->data_shared++;
		if (f != OBJ_CHANGED)
			continue;
		c->p->data_changed++;
		/* A copy relocation fixed the object's size inside a module. */
		for (size_t mi = 0; mi < c->mods->n; mi++) {
			const struct modsyms *m = &c->ms[mi];
			for (ssize_t i = 0; i < m->nrel; i++) {
				const struct soswap_reloc *r = &m->rel[i];
				if (r->type == R_X86_64_COPY && r->sym &&
				    r->sym <= (uint64_t)m->nsyms &&
				    !strcmp(m->syms[r->sym - 1].name, o->name))
					set_refuse(c, "object %s is copy-relocated into the "
						   "executable and changed size (%llu -> %llu "
						   "bytes): it can never be migrated",
						   o->name, os->size, ns->size);
			}
		}
		if (!c->in->has_migrate)
			set_refuse(c, "object %s changed size or type (%llu -> %llu "
				   "bytes) and NEW exports no soswap_migrate hook",
				   o->name, os->size, ns->size);
	}
	return 0;
}

/* ---- GOT slots ---------------------------------------------------------- */

static int in_family(const struct ctx *c, ssize_t j)
{
	return j >= 0 && c->in->family[j] && (size_t)j != c->in->new_idx;
}

/* A lazy JUMP_SLOT still holds its link-time value (the PLT stub) plus
 * the load bias. */
static int is_lazy(const struct soswap__module *m, const struct soswap_reloc *r,
		   uint64_t v)
{
	uint64_t off, init;
	size_t size;
	const unsigned char *b = soswap_elf_bytes(m->elf, &size);
	if (r->type != R_X86_64_JUMP_SLOT ||
	    soswap_elf_vaddr_to_offset(m->elf, r->offset, 8, &off) < 0 ||
	    !soswap__in_bounds(off, 8, size))
		return 0;
	memcpy(&init, b + off, 8);
	return v == m->l_addr + init;
}

/* Would the lazy binding of s from module mi land in the family?  Follow
 * the global scope: the version's file when versioned, else the first
 * module in link_map order that defines it. */
static int lazy_goes_to_family(struct ctx *c, size_t mi, const struct soswap_sym *s)
{
	(void)mi;
	for (size_t j = 0; j < c->mods->n; j++) {
		if ((size_t)j == c->in->new_idx || !c->ms[j].syms)
			continue;
		const char *son = c->mods->m[j].elf ? soswap_elf_soname(c->mods->m[j].elf) : NULL;
		if (s->version_file && (!son || strcmp(son, s->version_file)))
			continue;
		int defines = 0;
		if (c->in->family[j])
			defines = index_find(&c->ms[j].idx, s->name, s->version) != NULL;
		else
			for (ssize_t k = 0; k < c->ms[j].nsyms && !defines; k++)
				defines = is_export(&c->ms[j].syms[k]) &&
					  !strcmp(c->ms[j].syms[k].name, s->name);
		if (defines)
			return c->in->family[j];
	}
	return 0;
}

static int plan_slot(struct ctx *c, size_t mi, const struct soswap_reloc *r,
		     unsigned *count)
{
	const struct soswap__module *m = &c->mods->m[mi];
	const struct modsyms *ms = &c->ms[mi];
	const struct soswap_sym *s = &ms->syms[r->sym - 1];
	uint64_t addr = m->l_addr + r->offset, v, nv;
	int r2 = c->in->rd(c->in->rctx, addr, &v, 8, c->err);
	if (r2 < 0)
		return r2;
	ssize_t j = soswap__modules_find(c->mods, v);
	const struct soswap_sym *os, *ns;
	enum obj_fate fate = obj_fate(c, s->name, s->version, &os, &ns);

	if (fate == OBJ_SHARED) {
		/* NEW's references go to the instance in use. */
		if (mi != c->in->new_idx)
			return 0;
		if ((r2 = canonical(c, os, &nv)) < 0)
			return r2;
		if (v == nv)
			return 0;
		(*count)++;
		return add_write(c, addr, &v, &nv, 8, SOSWAP__W_DATA);
	}
	if (fate == OBJ_CHANGED) {
		/* Only reached with a migration hook: NEW's instance wins. */
		if (!in_family(c, j))
			return 0;
		nv = c->mods->m[c->in->new_idx].l_addr + ns->value;
		(*count)++;
		return add_write(c, addr, &v, &nv, 8, SOSWAP__W_DATA);
	}
	/* A lazy slot still points into its own module's PLT: what counts is
	 * where its binding would go, not the PLT stub — even in OLD itself,
	 * whose unbound slots (a libc function it has not called yet) point
	 * into OLD but lead out of the family. */
	int lazy = j == (ssize_t)mi && is_lazy(m, r, v);
	if (lazy ? !lazy_goes_to_family(c, mi, s) : !in_family(c, j))
		return 0;
	/* Data stays where it is (same-size objects were handled above);
	 * the definer says what the symbol is, the reference may be NOTYPE. */
	const struct soswap_sym *d = index_find(&c->ms[j == (ssize_t)mi ? c->in->old_idx :
							(size_t)j].idx, s->name, s->version);
	if ((d ? d->type : s->type) == STT_OBJECT || (d ? d->type : s->type) == STT_TLS)
		return 0;
	ns = index_find(&c->ms[c->in->new_idx].idx, s->name, s->version);
	if (!ns)
		return add_missing(c, s);
	if (ns->type == STT_GNU_IFUNC)
		return add_skip(c, s, "NEW defines it as an IFUNC");
	nv = c->mods->m[c->in->new_idx].l_addr + ns->value;
	if (nv == v)
		return 0;
	(*count)++;
	return add_write(c, addr, &v, &nv, 8, SOSWAP__W_GOT);
}

static int plan_got(struct ctx *c)
{
	for (size_t mi = 0; mi < c->mods->n; mi++) {
		const struct modsyms *ms = &c->ms[mi];
		unsigned count = 0;
		if (!ms->rel || (mi == c->in->new_idx && c->in->new_virtual))
			continue;
		for (ssize_t i = 0; i < ms->nrel; i++) {
			const struct soswap_reloc *r = &ms->rel[i];
			if ((r->type != R_X86_64_JUMP_SLOT && r->type != R_X86_64_GLOB_DAT) ||
			    r->sym == 0 || r->sym > (uint64_t)ms->nsyms)
				continue;
			/* DT_RELA may cover DT_JMPREL too: one slot, one plan. */
			if (i > 0 && r->offset == ms->rel[i - 1].offset)
				continue;
			int e = plan_slot(c, mi, r, &count);
			if (e < 0)
				return e;
		}
		c->p->mod_slots[mi] = count;
		c->p->got_slots += count;
		if (count)
			c->p->modules_patched++;
	}
	return 0;
}

/* ---- entry jumps -------------------------------------------------------- */

unsigned soswap__encode_jump(uint64_t at, uint64_t to, unsigned char out[14])
{
	int64_t d = (int64_t)(to - (at + 5));
	if (d >= INT32_MIN && d <= INT32_MAX) {
		int32_t d32 = (int32_t)d;
		out[0] = 0xe9;
		memcpy(out + 1, &d32, 4);
		return 5;
	}
	/* jmp *0(%rip) followed by the absolute target */
	static const unsigned char abs_jmp[6] = { 0xff, 0x25, 0, 0, 0, 0 };
	memcpy(out, abs_jmp, 6);
	memcpy(out + 6, &to, 8);
	return 14;
}

/* Length of a jump soswap wrote at `b`, or 0. */
static unsigned jump_len(const unsigned char *b)
{
	static const unsigned char abs_jmp[6] = { 0xff, 0x25, 0, 0, 0, 0 };
	if (!memcmp(b, abs_jmp, 6))
		return 14;
	return b[0] == 0xe9 ? 5 : 0;
}

/* Does any relative branch of the function code[0..size) (at vaddr
 * `value`) land strictly inside its first len bytes?  1 yes, 0 no, -1 the
 * first len bytes do not decode. */
static int branch_into_entry(struct ctx *c, const unsigned char *code,
			     size_t size, uint64_t value, unsigned len)
{
	cs_insn *insn = c->cap->malloc(c->cs);
	const uint8_t *p = code;
	size_t left = size;
	uint64_t pc = value;
	int res = 0;
	if (!insn)
		return -1;
	while (left > 0) {
		if (!c->cap->disasm_iter(c->cs, &p, &left, &pc, insn)) {
			/* padding or data after the code: only the entry matters */
			if (pc < value + len)
				res = -1;
			break;
		}
		if (!c->cap->insn_group(c->cs, insn, CS_GRP_BRANCH_RELATIVE))
			continue;
		const cs_x86 *x = &insn->detail->x86;
		for (int k = 0; k < x->op_count; k++)
			if (x->operands[k].type == X86_OP_IMM) {
				uint64_t t = (uint64_t)x->operands[k].imm;
				if (t > value && t < value + len)
					res = 1;
			}
		if (res)
			break;
	}
	c->cap->free(insn, 1);
	return res;
}

int soswap__plan_add_busy(struct soswap__plan *p, uint64_t at, unsigned len)
{
	if (soswap__grow((void **)&p->busy, &p->capbusy, p->nbusy + 1,
			 sizeof(*p->busy)) < 0)
		return -ENOMEM;
	/* A thread exactly at the entry runs the new jump: only the bytes
	 * after the first are forbidden. */
	p->busy[p->nbusy].lo = at + 1;
	p->busy[p->nbusy++].hi = at + len;
	return 0;
}

static int add_busy(struct ctx *c, uint64_t at, unsigned len)
{
	return soswap__plan_add_busy(c->p, at, len);
}

static int plan_jump(struct ctx *c, size_t xi, const struct soswap_sym *s)
{
	const struct soswap__module *x = &c->mods->m[xi];
	const struct soswap__module *nm = &c->mods->m[c->in->new_idx];
	const struct soswap_sym *ns = index_find(&c->ms[c->in->new_idx].idx, s->name, s->version);
	if (!ns || (ns->type != STT_FUNC))
		return add_skip(c, s, ns ? "NEW defines it as another type" : "not defined by NEW");
	uint64_t at = x->l_addr + s->value, to = nm->l_addr + ns->value, off;
	unsigned char jmp[14], cur[14];
	unsigned len = soswap__encode_jump(at, to, jmp);
	if (s->size < len)
		return add_skip(c, s, s->size ? "too small for an entry jump" : "size unknown");
	size_t fsize;
	const unsigned char *b = soswap_elf_bytes(x->elf, &fsize);
	if (soswap_elf_vaddr_to_offset(x->elf, s->value, s->size, &off) < 0 ||
	    !soswap__in_bounds(off, s->size, fsize))
		return add_skip(c, s, "code not in the file");
	int br = branch_into_entry(c, b + off, s->size, s->value, len);
	if (br)
		return add_skip(c, s, br > 0 ? "a branch targets its first bytes"
					     : "entry does not decode");
	int r = c->in->rd(c->in->rctx, at, cur, len, c->err);
	if (r < 0)
		return r;
	if (!memcmp(cur, jmp, len))
		return 0;
	c->p->entry_jumps++;
	if ((r = add_busy(c, at, len)) < 0)
		return r;
	return add_write(c, at, cur, jmp, len, SOSWAP__W_JUMP);
}

/* NEW's entries that an earlier swap (away from NEW) patched get their
 * original bytes back from the file. */
static int plan_restore(struct ctx *c, const struct soswap_sym *s)
{
	const struct soswap__module *nm = &c->mods->m[c->in->new_idx];
	size_t fsize;
	uint64_t off, at = nm->l_addr + s->value;
	unsigned char cur[14];
	const unsigned char *b = soswap_elf_bytes(nm->elf, &fsize);
	if (s->size < 5 || soswap_elf_vaddr_to_offset(nm->elf, s->value, 5, &off) < 0 ||
	    !soswap__in_bounds(off, 5, fsize))
		return 0;
	int r = c->in->rd(c->in->rctx, at, cur, 5, c->err);
	if (r < 0 || !memcmp(cur, b + off, 5))
		return r;
	unsigned len = s->size >= 14 ? jump_len(cur) : 5;
	if (!len || !soswap__in_bounds(off, len, fsize))
		return 0;
	if (len > 5 && (r = c->in->rd(c->in->rctx, at, cur, len, c->err)) < 0)
		return r;
	c->p->entries_restored++;
	if ((r = add_busy(c, at, len)) < 0)
		return r;
	return add_write(c, at, cur, b + off, len, SOSWAP__W_RESTORE);
}

static int plan_entries(struct ctx *c)
{
	for (size_t xi = 0; xi < c->mods->n; xi++) {
		if (!c->in->family[xi] || !c->mods->m[xi].elf ||
		    (xi == c->in->new_idx && c->in->new_virtual))
			continue;
		const struct symindex *x = &c->ms[xi].idx;
		for (size_t k = 0; k < x->n; k++) {
			const struct soswap_sym *s = &x->syms[x->by_name[k]];
			if (s->type != STT_FUNC)
				continue;
			int r = xi == c->in->new_idx ? plan_restore(c, s) :
							plan_jump(c, xi, s);
			if (r < 0)
				return r;
		}
	}
	return 0;
}

/* Aliases (weak + strong, several versions) share an entry: write it once. */
static int cmp_write(const void *a, const void *b)
{
	const struct soswap__write *x = a, *y = b;
	return x->addr < y->addr ? -1 : x->addr > y->addr;
}

static int cmp_range(const void *a, const void *b)
{
	const struct soswap__range *x = a, *y = b;
	return x->lo < y->lo ? -1 : x->lo > y->lo;
}

void soswap__plan_sort(struct soswap__plan *p)
{
	/* qsort's array must not be NULL even when empty (UBSan). */
	if (p->nw)
		qsort(p->w, p->nw, sizeof(*p->w), cmp_write);
	if (p->nbusy)
		qsort(p->busy, p->nbusy, sizeof(*p->busy), cmp_range);
}

static void dedup(struct soswap__plan *p)
{
	soswap__plan_sort(p);
	size_t o = 0;
	for (size_t i = 0; i < p->nw; i++) {
		if (o && p->w[i].addr < p->w[o - 1].addr + p->w[o - 1].len) {
			if (p->w[i].kind == SOSWAP__W_JUMP)
				p->entry_jumps--;
			continue;
		}
		p->w[o++] = p->w[i];
	}
	p->nw = o;
}

int soswap__plan_busy(const struct soswap__plan *p, uint64_t addr)
{
	/* Ranges are at most 14 bytes and sorted by lo: find the last lo <=
	 * addr and look back over the few that may still cover it. */
	size_t lo = 0, hi = p->nbusy;
	/* most words of a stack point nowhere near the library's code */
	if (!hi || addr < p->busy[0].lo || addr >= p->busy[hi - 1].lo + MAX_BUSY_LEN)
		return 0;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (p->busy[mid].lo <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (size_t i = lo; i-- > 0;) {
		if (p->busy[i].lo + MAX_BUSY_LEN < addr)
			break;
		if (addr >= p->busy[i].lo && addr < p->busy[i].hi)
			return 1;
	}
	return 0;
}

static int load_module(struct ctx *c, size_t i)
{
	const struct soswap__module *m = &c->mods->m[i];
	struct modsyms *ms = &c->ms[i];
	int need = c->in->family[i] || i == c->in->new_idx;
	soswap_err e;
	if (!m->elf)
		return 0;
	ms->nsyms = soswap_elf_symbols(m->elf, &ms->syms, need ? c->err : &e);
	if (ms->nsyms >= 0)
		ms->nrel = soswap_elf_relocs(m->elf, &ms->rel, need ? c->err : &e);
	if (ms->nsyms < 0 || ms->nrel < 0) {
		/* A corrupt unrelated module is left alone; ours must parse. */
		ms->syms = NULL;
		ms->rel = NULL;
		ms->nsyms = ms->nrel = 0;
		return need ? -ENOEXEC : 0;
	}
	if (need)
		return index_build(&ms->idx, ms->syms, (size_t)ms->nsyms);
	return 0;
}

int soswap__plan_build(struct soswap__plan *p, const struct soswap__plan_in *in,
		       soswap_err *err)
{
	struct ctx c = { .p = p, .in = in, .mods = in->mods, .err = err };
	int r = 0;
	memset(p, 0, sizeof(*p));
	if (in->new_idx >= in->mods->n || in->old_idx >= in->mods->n ||
	    !in->mods->m[in->new_idx].elf || !in->mods->m[in->old_idx].elf)
		return soswap__fail(err, -EINVAL, "pid %d: OLD or NEW not readable",
				    (int)in->mods->pid);
	c.ms = calloc(in->mods->n, sizeof(*c.ms));
	p->mod_slots = calloc(in->mods->n, sizeof(*p->mod_slots));
	if (!c.ms || !p->mod_slots) {
		r = soswap__fail(err, -ENOMEM, "out of memory");
		goto out;
	}
	/* The decoder is needed for entry jumps only. */
	if (!in->no_entry_jumps) {
		if (!(c.cap = soswap__capstone(err))) {
			r = -ENOSYS;
			goto out;
		}
		if (c.cap->open(CS_ARCH_X86, CS_MODE_64, &c.cs) != CS_ERR_OK) {
			r = soswap__fail(err, -ENOMEM, "capstone: cannot open an x86-64 decoder");
			goto out;
		}
		c.cap->option(c.cs, CS_OPT_DETAIL, CS_OPT_ON);
	}
	for (size_t i = 0; i < in->mods->n && r == 0; i++)
		r = load_module(&c, i);
	if (r == 0)
		r = check_objects(&c);
	if (r == 0)
		r = plan_got(&c);
	if (r == 0 && !in->no_entry_jumps)
		r = plan_entries(&c);
	if (r == 0)
		dedup(p);
out:
	if (c.cs)
		c.cap->close(&c.cs);
	for (size_t i = 0; c.ms && i < in->mods->n; i++)
		free(c.ms[i].idx.by_name);
	free(c.ms);
	if (r < 0)
		soswap__plan_free(p);
	return r;
}

void soswap__plan_free(struct soswap__plan *p)
{
	if (!p)
		return;
	for (size_t i = 0; i < p->nskipped; i++)
		free(p->skipped[i].name);
	for (size_t i = 0; i < p->nmissing; i++)
		free(p->missing[i]);
	free(p->skipped);
	free(p->missing);
	free(p->refuse);
	free(p->w);
	free(p->busy);
	free(p->mod_slots);
	memset(p, 0, sizeof(*p));
}
