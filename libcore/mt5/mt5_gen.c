/*
 * mt5_gen.c — the MQL5 include and the document's tables, written from
 * the description's tables (mt5_gen.h).  Everything here walks
 * mt5_desc_consts/enums/records/messages; nothing restates a layout.
 *
 * The MQL5 it writes calls the Expert Advisor's hand-written wire helpers
 * (tools/mt5/DreamMakerBridge_wire.mqh): DmPutU8..DmPutI64, DmPutBytes,
 * DmPutText, DmGetU8..DmGetI64, DmGetBytes, DmGetText.  Names: a record
 * or message book_level is the struct DmBookLevel with DmEncBookLevel,
 * DmDecBookLevel (and for a message DmSizeBookLevel); constants and values
 * are DM_<NAME>, DM_<ENUM>_<VALUE>, message types DM_T_<MSG>.
 */
#include "libcore/mt5/mt5_gen.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "libcore/mt5/mt5_proto.h"

struct sb {
	char *p;
	size_t cap;
	size_t len;
};

static void sbf(struct sb *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void sbf(struct sb *b, const char *fmt, ...)
{
	size_t room = b->len < b->cap ? b->cap - b->len : 0;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(room ? b->p + b->len : NULL, room, fmt, ap);
	va_end(ap);
	if (n > 0)
		b->len += (size_t)n;
}

static size_t sb_done(struct sb *b)
{
	if (b->cap && b->len >= b->cap)
		b->p[b->cap - 1] = '\0';
	return b->len;
}

/* book_level -> BookLevel */
static const char *camel(const char *name, char out[64])
{
	size_t o = 0;
	int up = 1;

	for (const char *s = name; *s && o + 1 < 64; s++) {
		if (*s == '_') {
			up = 1;
			continue;
		}
		out[o++] = up && *s >= 'a' && *s <= 'z' ? (char)(*s - 'a' + 'A') : *s;
		up = 0;
	}
	out[o] = '\0';
	return out;
}

/* book_level -> BOOK_LEVEL */
static const char *upper(const char *name, char out[64])
{
	size_t o = 0;

	for (const char *s = name; *s && o + 1 < 64; s++)
		out[o++] = *s >= 'a' && *s <= 'z' ? (char)(*s - 'a' + 'A') : *s;
	out[o] = '\0';
	return out;
}

/* u16 -> U16 (the wire helpers' suffix) */
static const char *suffix(const char *type, char out[8])
{
	snprintf(out, 8, "%c%s", type[0] - 'a' + 'A', type + 1);
	return out;
}

/* a constant as written: hex from 0x10000 on (the magic), else decimal */
static const char *show(int64_t v, char out[32])
{
	if (v >= 0x10000)
		snprintf(out, 32, "0x%08" PRIx64, (uint64_t)v);
	else
		snprintf(out, 32, "%" PRId64, v);
	return out;
}

static const char *mql_type(const char *type)
{
	static const struct { const char *t, *m; } map[] = {
		{ "u8", "uchar" }, { "u16", "ushort" }, { "u32", "uint" }, { "u64", "ulong" },
		{ "i32", "int" }, { "i64", "long" },
	};

	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (!strcmp(map[i].t, type))
			return map[i].m;
	return "?";
}

static const char *dir_name(int dir)
{
	return dir == MT5_DIR_E2D ? "EA" : dir == MT5_DIR_D2E ? "DreamMaker" : "both";
}

/* ------------------------------------------------------------ MQL5 */

static void mqh_struct(struct sb *b, const struct mt5_rec_desc *r)
{
	char cn[64], sub[64];

	sbf(b, "// %s%s: %s\n", r->upper, r->type ? "" : " (record)", r->doc);
	sbf(b, "struct Dm%s\n  {\n", camel(r->name, cn));
	for (const struct mt5_field_desc *f = r->fields; f->name; f++) {
		switch (f->kind) {
		case MT5_FK_INT:
			sbf(b, "   %-7s %s;", mql_type(f->type), f->name);
			break;
		case MT5_FK_BYTES:
			sbf(b, "   %-7s %s[%u];", "uchar", f->name, f->size);
			break;
		case MT5_FK_TEXT:
			sbf(b, "   %-7s %s;", "string", f->name);
			break;
		case MT5_FK_ARRAY:
			sbf(b, "   Dm%s %s[%u];", camel(f->type, sub), f->name, f->max);
			break;
		}
		if (f->kind == MT5_FK_TEXT)
			sbf(b, " // %s (at most %u bytes of UTF-8)\n", f->doc, f->size - 1u);
		else
			sbf(b, " // %s\n", f->doc);
	}
	sbf(b, "  };\n\n");
}

static void mqh_encoder(struct sb *b, const struct mt5_rec_desc *r)
{
	char cn[64], sx[8], sub[64];

	camel(r->name, cn);
	if (r->type) {
		sbf(b, "// payload bytes of m\nint DmSize%s(const Dm%s &m)\n  {\n", cn, cn);
		sbf(b, "   int n=DM_FIXED_%s;\n", r->upper);
		for (const struct mt5_field_desc *f = r->fields; f->name; f++)
			if (f->kind == MT5_FK_ARRAY)
				sbf(b, "   n+=(int)m.%s*DM_SIZE_%s;\n", f->count, upper(f->type, sub));
		sbf(b, "   return(n);\n  }\n\n");
	}
	sbf(b, "// m at b[p]: the position after it, or -1 for a value DreamMaker refuses\n");
	sbf(b, "int DmEnc%s(uchar &b[],int p,const Dm%s &m)\n  {\n", cn, cn);
	for (const struct mt5_field_desc *f = r->fields; f->name; f++) {
		switch (f->kind) {
		case MT5_FK_INT:
			if (f->en->name)
				sbf(b, "   if(!DmOk%s(m.%s))\n      return(-1);\n",
				    camel(f->en->name, sub), f->name);
			sbf(b, "   p=DmPut%s(b,p,m.%s);\n", suffix(f->type, sx), f->name);
			break;
		case MT5_FK_BYTES:
			sbf(b, "   p=DmPutBytes(b,p,m.%s,%u);\n", f->name, f->size);
			break;
		case MT5_FK_TEXT:
			sbf(b, "   p=DmPutText(b,p,m.%s,%u);\n", f->name, f->size);
			break;
		case MT5_FK_ARRAY:
			sbf(b, "   if(m.%s>DM_%s)\n      return(-1);\n", f->count, f->max_name);
			sbf(b, "   for(int i=0; i<(int)m.%s; i++)\n     {\n", f->count);
			sbf(b, "      p=DmEnc%s(b,p,m.%s[i]);\n", camel(f->type, sub), f->name);
			sbf(b, "      if(p<0)\n         return(-1);\n     }\n");
			break;
		}
	}
	sbf(b, "   return(p);\n  }\n\n");
}

static void mqh_decoder(struct sb *b, const struct mt5_rec_desc *r)
{
	char cn[64], sx[8], sub[64], sx2[64];

	camel(r->name, cn);
	if (r->type) {
		sbf(b, "// the n payload bytes at b[p] into m: false for a payload DreamMaker would not send\n");
		sbf(b, "bool DmDec%s(const uchar &b[],int p,int n,Dm%s &m)\n  {\n", cn, cn);
		sbf(b, "   if(n<DM_FIXED_%s)\n      return(false);\n   int e=p+n;\n", r->upper);
	} else {
		sbf(b, "// the DM_SIZE_%s bytes at b[p] into m: false for a value out of range\n",
		    r->upper);
		sbf(b, "bool DmDec%s(const uchar &b[],int p,Dm%s &m)\n  {\n", cn, cn);
	}
	for (const struct mt5_field_desc *f = r->fields; f->name; f++) {
		switch (f->kind) {
		case MT5_FK_INT:
			sbf(b, "   m.%s=DmGet%s(b,p);\n   p+=%u;\n", f->name, suffix(f->type, sx),
			    f->size);
			if (f->en->name)
				sbf(b, "   if(!DmOk%s(m.%s))\n      return(false);\n",
				    camel(f->en->name, sub), f->name);
			break;
		case MT5_FK_BYTES:
			sbf(b, "   DmGetBytes(b,p,%u,m.%s);\n   p+=%u;\n", f->size, f->name, f->size);
			break;
		case MT5_FK_TEXT:
			sbf(b, "   if(!DmGetText(b,p,%u,m.%s))\n      return(false);\n   p+=%u;\n",
			    f->size, f->name, f->size);
			break;
		case MT5_FK_ARRAY:
			upper(f->type, sx2);
			sbf(b, "   if(m.%s>DM_%s || e-p!=(int)m.%s*DM_SIZE_%s)\n      return(false);\n",
			    f->count, f->max_name, f->count, sx2);
			sbf(b, "   for(int i=0; i<(int)m.%s; i++)\n     {\n", f->count);
			sbf(b, "      if(!DmDec%s(b,p,m.%s[i]))\n         return(false);\n",
			    camel(f->type, sub), f->name);
			sbf(b, "      p+=DM_SIZE_%s;\n     }\n", sx2);
			break;
		}
	}
	sbf(b, r->type ? "   return(p==e);\n  }\n\n" : "   return(true);\n  }\n\n");
}

size_t mt5_gen_mqh(char *out, size_t cap)
{
	struct sb b = { out, cap, 0 };
	const struct mt5_const_desc *c;
	const struct mt5_enum_desc *e;
	const struct mt5_rec_desc *r, *m;
	size_t nc, ne, nr, nm;
	char cn[64];

	c = mt5_desc_consts(&nc);
	e = mt5_desc_enums(&ne);
	r = mt5_desc_records(&nr);
	m = mt5_desc_messages(&nm);
	if (cap)
		out[0] = '\0';
	sbf(&b, "//+------------------------------------------------------------------+\n"
	        "//| DreamMakerBridge_msgs.mqh                                         |\n"
	        "//| The bridge's messages: written by `dm-mt5 gen-mqh` from           |\n"
	        "//| libcore/mt5/mt5_msgs.def, the description DreamMaker's C code is  |\n"
	        "//| made from.  Do not edit: change the description and run           |\n"
	        "//| `make mt5-gen` (a test fails while this file differs).            |\n"
	        "//| Byte layouts: docs/mt5-bridge.md.  Needs DreamMakerBridge_wire.mqh |\n"
	        "//+------------------------------------------------------------------+\n"
	        "#ifndef DREAMMAKER_BRIDGE_MSGS_MQH\n#define DREAMMAKER_BRIDGE_MSGS_MQH\n\n");
	sbf(&b, "//--- constants\n");
	for (size_t i = 0; i < nc; i++) {
		char v[32];

		sbf(&b, "#define DM_%-20s %-12s // %s\n", c[i].name, show(c[i].value, v), c[i].doc);
	}
	sbf(&b, "#define DM_%-20s ((uint)0x%08" PRIx32 ") // hash of the description: "
	        "HELLO and CHALLENGE carry it\n\n", "SCHEMA_HASH", mt5_schema_hash());

	sbf(&b, "//--- enumerations and their checks\n");
	for (size_t i = 0; i < ne; i++) {
		sbf(&b, "// %s: %s\n", e[i].name, e[i].doc);
		for (uint32_t v = 0; v < e[i].n_vals; v++) {
			char nm_[64];

			snprintf(nm_, sizeof(nm_), "%s_%s", e[i].upper, e[i].vals[v].name);
			sbf(&b, "#define DM_%-24s %-4" PRId64 " // %s\n", nm_, e[i].vals[v].value,
			    e[i].vals[v].doc);
		}
		sbf(&b, "bool DmOk%s(const long v)\n  {\n   return(", camel(e[i].name, cn));
		for (uint32_t v = 0; v < e[i].n_vals; v++)
			sbf(&b, "%sv==%" PRId64, v ? " || " : "", e[i].vals[v].value);
		sbf(&b, ");\n  }\n\n");
	}

	sbf(&b, "//--- message types, sizes, directions\n");
	for (size_t i = 0; i < nm; i++)
		sbf(&b, "#define DM_T_%-16s %-4u // %s to %s, %s\n", m[i].upper, m[i].type,
		    dir_name(m[i].dir), m[i].dir == MT5_DIR_E2D ? "DreamMaker" :
		    m[i].dir == MT5_DIR_D2E ? "EA" : "either",
		    m[i].seq ? "sequenced" : "unsequenced");
	for (size_t i = 0; i < nr; i++)
		sbf(&b, "#define DM_SIZE_%-16s %u\n", r[i].upper, r[i].fixed);
	for (size_t i = 0; i < nm; i++)
		sbf(&b, "#define DM_FIXED_%-16s %u\n", m[i].upper, m[i].fixed);
	sbf(&b, "\n// \"HELLO\", \"TICK\"... (\"?\" for another type)\nstring DmMsgName(const ushort type)\n  {\n   switch(type)\n     {\n");
	for (size_t i = 0; i < nm; i++)
		sbf(&b, "      case DM_T_%s:\n         return(\"%s\");\n", m[i].upper, m[i].upper);
	sbf(&b, "     }\n   return(\"?\");\n  }\n\n");
	sbf(&b, "// true for a sequenced type (acknowledged, kept and resent)\nbool DmMsgSequenced(const ushort type)\n  {\n   switch(type)\n     {\n");
	for (size_t i = 0; i < nm; i++)
		if (m[i].seq)
			sbf(&b, "      case DM_T_%s:\n", m[i].upper);
	sbf(&b, "         return(true);\n     }\n   return(false);\n  }\n\n");

	sbf(&b, "//--- records and messages\n");
	for (size_t i = 0; i < nr; i++)
		mqh_struct(&b, &r[i]);
	for (size_t i = 0; i < nm; i++)
		mqh_struct(&b, &m[i]);

	sbf(&b, "//--- encoders and decoders\n");
	for (size_t i = 0; i < nr; i++) {
		mqh_encoder(&b, &r[i]);
		mqh_decoder(&b, &r[i]);
	}
	for (size_t i = 0; i < nm; i++) {
		mqh_encoder(&b, &m[i]);
		mqh_decoder(&b, &m[i]);
	}
	sbf(&b, "#endif // DREAMMAKER_BRIDGE_MSGS_MQH\n");
	return sb_done(&b);
}

/* ------------------------------------------------------------ the document */

static void doc_type(struct sb *b, const struct mt5_field_desc *f)
{
	switch (f->kind) {
	case MT5_FK_INT:
		if (f->en->name)
			sbf(b, "%s ([%s](#enum-%s))", f->type, f->en->name, f->en->name);
		else
			sbf(b, "%s", f->type);
		break;
	case MT5_FK_BYTES:
		sbf(b, "bytes[%u]", f->size);
		break;
	case MT5_FK_TEXT:
		sbf(b, "text[%u]", f->size);
		break;
	case MT5_FK_ARRAY:
		sbf(b, "%s x [%s](#record-%s)", f->count, f->type, f->type);
		break;
	}
}

/* "| offset | size | field | type | meaning |" rows of r's fields */
static void doc_fields(struct sb *b, const struct mt5_rec_desc *r)
{
	uint32_t off = 0;

	sbf(b, "| offset | size | field | type | meaning |\n|---:|---:|---|---|---|\n");
	for (const struct mt5_field_desc *f = r->fields; f->name; f++) {
		if (f->kind == MT5_FK_ARRAY) {
			sbf(b, "| %u | %s x %u | %s | ", off, f->count, f->size, f->name);
			doc_type(b, f);
			sbf(b, " | %s; at most %s (%u) |\n", f->doc, f->max_name, f->max);
			continue;
		}
		sbf(b, "| %u | %u | %s | ", off, f->size, f->name);
		doc_type(b, f);
		sbf(b, " | %s |\n", f->doc);
		off += f->size;
	}
	if (r->fixed == r->max)
		sbf(b, "\n%u bytes.\n", r->fixed);
	else
		sbf(b, "\n%u bytes and the entries: %u to %u bytes.\n", r->fixed, r->fixed,
		    r->max);
}

size_t mt5_gen_doc(char *out, size_t cap)
{
	struct sb b = { out, cap, 0 };
	const struct mt5_const_desc *c;
	const struct mt5_enum_desc *e;
	const struct mt5_rec_desc *r, *m;
	size_t nc, ne, nr, nm;

	c = mt5_desc_consts(&nc);
	e = mt5_desc_enums(&ne);
	r = mt5_desc_records(&nr);
	m = mt5_desc_messages(&nm);
	if (cap)
		out[0] = '\0';
	sbf(&b, "\n### Constants\n\n| name | value | meaning |\n|---|---:|---|\n");
	for (size_t i = 0; i < nc; i++) {
		char v[32];

		sbf(&b, "| %s | %s | %s |\n", c[i].name, show(c[i].value, v), c[i].doc);
	}
	sbf(&b, "\nSchema hash of this description: `%08" PRIx32 "` (HELLO.schema_hash, "
	        "CHALLENGE.schema_hash).\n", mt5_schema_hash());

	sbf(&b, "\n### Messages\n\n| type | message | sent by | sequenced | payload bytes | what |\n"
	        "|---:|---|---|---|---|---|\n");
	for (size_t i = 0; i < nm; i++) {
		sbf(&b, "| %u | [%s](#msg-%s) | %s | %s | ", m[i].type, m[i].upper, m[i].name,
		    dir_name(m[i].dir), m[i].seq ? "yes" : "no");
		if (m[i].fixed == m[i].max)
			sbf(&b, "%u", m[i].fixed);
		else
			sbf(&b, "%u..%u", m[i].fixed, m[i].max);
		sbf(&b, " | %s |\n", m[i].doc);
	}

	sbf(&b, "\n### Records\n");
	for (size_t i = 0; i < nr; i++) {
		sbf(&b, "\n#### <a id=\"record-%s\"></a>%s\n\n%s.\n\n", r[i].name, r[i].name,
		    r[i].doc);
		doc_fields(&b, &r[i]);
	}

	sbf(&b, "\n### Payloads\n");
	for (size_t i = 0; i < nm; i++) {
		sbf(&b, "\n#### <a id=\"msg-%s\"></a>%s (type %u, from %s, %s)\n\n%s.\n\n",
		    m[i].name, m[i].upper, m[i].type, dir_name(m[i].dir),
		    m[i].seq ? "sequenced" : "unsequenced", m[i].doc);
		doc_fields(&b, &m[i]);
	}

	sbf(&b, "\n### Enumerations\n");
	for (size_t i = 0; i < ne; i++) {
		sbf(&b, "\n#### <a id=\"enum-%s\"></a>%s\n\n%s.\n\n| value | name | meaning |\n"
		        "|---:|---|---|\n", e[i].name, e[i].name, e[i].doc);
		for (uint32_t v = 0; v < e[i].n_vals; v++)
			sbf(&b, "| %" PRId64 " | %s_%s | %s |\n", e[i].vals[v].value, e[i].upper,
			    e[i].vals[v].name, e[i].vals[v].doc);
	}
	sbf(&b, "\n");
	return sb_done(&b);
}

int mt5_gen_doc_section(const char *doc, size_t n, size_t *at, size_t *len)
{
	const char *b = memmem(doc, n, MT5_GEN_DOC_BEGIN, strlen(MT5_GEN_DOC_BEGIN));
	const char *nl, *e;

	if (!b)
		return -1;
	nl = memchr(b, '\n', n - (size_t)(b - doc));
	if (!nl)
		return -1;
	nl++;
	e = memmem(nl, n - (size_t)(nl - doc), MT5_GEN_DOC_END, strlen(MT5_GEN_DOC_END));
	if (!e)
		return -1;
	*at = (size_t)(nl - doc);
	*len = (size_t)(e - nl);
	return 0;
}
