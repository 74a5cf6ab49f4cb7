/*
 * The compiled Suricata EVE decoder (issue 15, the 200,000 events/s per core target).
 *
 * decode(lines) reads each line as one JSON object and sorts it into
 *   FAST  a plain alert: its columns are written straight into arrays (no Python object per
 *         field, but the two address strings the columns keep);
 *   SLOW  anything the general parser (parsers.suricata) must read: an anomaly, an alert with
 *         rule metadata, HTTP, TLS or file fields, an address that is not a dotted quad, a
 *         timestamp not shaped as Suricata writes it, a string with a \u escape or a byte that
 *         is not ASCII, a duplicate key, a value of an unexpected type, a line that is not JSON;
 *   SKIP  other event types (flow, dns, stats ...), read and found valid.
 * Whatever this decoder is unsure of is SLOW, so the general parser stays the reference: the
 * tests check that both ways give the same events (tests/unit/monitoring/test_fast_path.py).
 * The grammar checked is RFC 8259's, every value of the line included, nested ones skipped.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

enum { FAST = 0, SLOW = 1, SKIP = 2 };
#define MAX_DEPTH 64

typedef struct {
    const unsigned char *p, *end;
    int depth;
} Cur;

typedef struct { const unsigned char *s; Py_ssize_t n; } Str;

static inline void ws(Cur *c) {
    while (c->p < c->end && (*c->p == ' ' || *c->p == '\t' || *c->p == '\n' || *c->p == '\r'))
        c->p++;
}

/* The bytes a string scan stops at: a quote, a backslash, a control character or a byte that
 * is not ASCII (set by the module's init). */
static unsigned char STOP[256];

/* The first byte at or after p that is in STOP (end when none): sixteen bytes a step with SSE2
 * (every x86-64 has it; a signed compare below 0x20 takes control and non-ASCII bytes at once),
 * else, and for the tail, a byte a step. */
static inline const unsigned char *scan(const unsigned char *p, const unsigned char *end) {
#ifdef __SSE2__
    const __m128i quote = _mm_set1_epi8('"'), slash = _mm_set1_epi8('\\'),
                  space = _mm_set1_epi8(0x20);
    while (end - p >= 16) {
        __m128i v = _mm_loadu_si128((const __m128i *)p);
        __m128i stop = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, quote),
                                                 _mm_cmpeq_epi8(v, slash)),
                                    _mm_cmplt_epi8(v, space));
        int bits = _mm_movemask_epi8(stop);
        if (bits) return p + __builtin_ctz((unsigned)bits);
        p += 16;
    }
#endif
    while (p < end && !STOP[*p]) p++;
    return p;
}

/* A string at c->p (the opening quote). ASCII only; \u escapes refused; *escaped set when it
 * holds another escape (its bytes then differ from its value). 0 when read, -1 otherwise. */
static int string(Cur *c, Str *out, int *escaped) {
    const unsigned char *p = c->p + 1, *end = c->end;
    int esc = 0;
    for (;;) {
        p = scan(p, end);
        if (p >= end) return -1;
        if (*p == '"') {
            if (out) { out->s = c->p + 1; out->n = p - (c->p + 1); }
            if (escaped) *escaped = esc;
            c->p = p + 1;
            return 0;
        }
        if (*p != '\\' || p + 1 >= end || !p[1] || !strchr("\"\\/bfnrt", p[1]))
            return -1;  /* a control character, a byte that is not ASCII, a bad escape */
        esc = 1;
        p += 2;
    }
}

/* A number (RFC 8259 grammar). *integral set when it has no fraction or exponent, *value to
 * it when integral and within int64. */
static int number(Cur *c, int *integral, int64_t *value) {
    const unsigned char *p = c->p, *end = c->end;
    int neg = 0, overflow = 0;
    uint64_t v = 0;
    if (p < end && *p == '-') { neg = 1; p++; }
    if (p >= end) return -1;
    if (*p == '0') {
        p++;
    } else if (*p >= '1' && *p <= '9') {
        while (p < end && *p >= '0' && *p <= '9') {
            if (v > (UINT64_MAX - 9) / 10) overflow = 1;
            v = v * 10 + (uint64_t)(*p - '0');
            p++;
        }
    } else {
        return -1;
    }
    int whole = 1;
    if (p < end && *p == '.') {
        whole = 0;
        p++;
        if (p >= end || *p < '0' || *p > '9') return -1;
        while (p < end && *p >= '0' && *p <= '9') p++;
    }
    if (p < end && (*p == 'e' || *p == 'E')) {
        whole = 0;
        p++;
        if (p < end && (*p == '+' || *p == '-')) p++;
        if (p >= end || *p < '0' || *p > '9') return -1;
        while (p < end && *p >= '0' && *p <= '9') p++;
    }
    c->p = p;
    if (integral) *integral = whole && !overflow && v <= (uint64_t)INT64_MAX;
    if (value) *value = neg ? -(int64_t)v : (int64_t)v;
    return 0;
}

static int literal(Cur *c, const char *word, size_t n) {
    if ((size_t)(c->end - c->p) < n || memcmp(c->p, word, n) != 0) return -1;
    c->p += n;
    return 0;
}

static int value(Cur *c);

static int object_body(Cur *c, int (*member)(Cur *, Str, void *), void *ctx);

static int skip_member(Cur *c, Str key, void *ctx) {
    (void)key; (void)ctx;
    return value(c);
}

static int array(Cur *c) {
    if (++c->depth > MAX_DEPTH) return -1;
    c->p++;
    ws(c);
    if (c->p < c->end && *c->p == ']') { c->p++; c->depth--; return 0; }
    for (;;) {
        if (value(c) < 0) return -1;
        ws(c);
        if (c->p >= c->end) return -1;
        if (*c->p == ',') { c->p++; ws(c); continue; }
        if (*c->p == ']') { c->p++; c->depth--; return 0; }
        return -1;
    }
}

/* Any value at c->p (after whitespace), validated and skipped. */
static int value(Cur *c) {
    if (c->p >= c->end) return -1;
    switch (*c->p) {
    case '"': return string(c, NULL, NULL);
    case '{': return object_body(c, skip_member, NULL);
    case '[': return array(c);
    case 't': return literal(c, "true", 4);
    case 'f': return literal(c, "false", 5);
    case 'n': return literal(c, "null", 4);
    default: return number(c, NULL, NULL);
    }
}

/* An object at c->p; member() is called with each key (unescaped keys only: an escaped key
 * is refused) and must read the value. */
static int object_body(Cur *c, int (*member)(Cur *, Str, void *), void *ctx) {
    if (++c->depth > MAX_DEPTH) return -1;
    c->p++;
    ws(c);
    if (c->p < c->end && *c->p == '}') { c->p++; c->depth--; return 0; }
    for (;;) {
        Str key;
        int escaped;
        if (c->p >= c->end || *c->p != '"' || string(c, &key, &escaped) < 0 || escaped)
            return -1;
        ws(c);
        if (c->p >= c->end || *c->p != ':') return -1;
        c->p++;
        ws(c);
        if (member(c, key, ctx) < 0) return -1;
        ws(c);
        if (c->p >= c->end) return -1;
        if (*c->p == ',') { c->p++; ws(c); continue; }
        if (*c->p == '}') { c->p++; c->depth--; return 0; }
        return -1;
    }
}

static inline int is_key(Str k, const char *name, Py_ssize_t n) {
    return k.n == n && memcmp(k.s, name, (size_t)n) == 0;
}
#define KEY(k, lit) is_key((k), (lit), (Py_ssize_t)(sizeof(lit) - 1))

static inline int is_null(Cur *c) {
    return c->end - c->p >= 4 && memcmp(c->p, "null", 4) == 0;
}

/* What one line holds. */
typedef struct {
    unsigned seen;  /* bit per known key: a key seen twice makes the line SLOW */
    Str timestamp, event_type, src, dst, direction, signature, category;
    int has_src, has_dst, has_direction, has_alert, alert_null;
    int64_t sid, sport, dport;
    int rich;       /* metadata, http, tls, fileinfo or files present */
    int flow_hint;  /* flow.src_ip present and not null */
} Line;

static int once(Line *l, unsigned bit) {
    if (l->seen & bit) return -1;
    l->seen |= bit;
    return 0;
}

/* A plain string value (no escapes), or -1. */
static int plain_string(Cur *c, Str *out) {
    int escaped;
    if (c->p >= c->end || *c->p != '"' || string(c, out, &escaped) < 0 || escaped) return -1;
    return 0;
}

/* A string, or null (*present 0). */
static int string_or_null(Cur *c, Str *out, int *present) {
    if (is_null(c)) { c->p += 4; *present = 0; return 0; }
    *present = 1;
    return plain_string(c, out);
}

/* A port (0..65535) or null (-1). */
static int port(Cur *c, int64_t *out) {
    if (is_null(c)) { c->p += 4; *out = -1; return 0; }
    int integral;
    int64_t v;
    if (c->p >= c->end || (*c->p != '-' && (*c->p < '0' || *c->p > '9'))) return -1;
    if (number(c, &integral, &v) < 0 || !integral || v < 0 || v > 65535) return -1;
    *out = v;
    return 0;
}

static int alert_member(Cur *c, Str k, void *ctx) {
    Line *l = ctx;
    if (KEY(k, "signature_id")) {
        int integral;
        if (once(l, 1u << 10) < 0) return -1;
        if (c->p >= c->end || (*c->p != '-' && (*c->p < '0' || *c->p > '9'))) return -1;
        if (number(c, &integral, &l->sid) < 0 || !integral) return -1;
        return 0;
    }
    if (KEY(k, "signature")) return once(l, 1u << 11) < 0 ? -1 : plain_string(c, &l->signature);
    if (KEY(k, "category")) return once(l, 1u << 12) < 0 ? -1 : plain_string(c, &l->category);
    if (KEY(k, "metadata")) { l->rich = 1; return value(c); }
    return value(c);
}

static int flow_member(Cur *c, Str k, void *ctx) {
    Line *l = ctx;
    if (KEY(k, "src_ip")) {
        if (once(l, 1u << 13) < 0) return -1;
        if (!is_null(c)) l->flow_hint = 1;
    }
    return value(c);
}

static int line_member(Cur *c, Str k, void *ctx) {
    Line *l = ctx;
    switch (k.n) {
    case 4:
        if (KEY(k, "flow")) {
            if (once(l, 1u << 0) < 0 || c->p >= c->end || *c->p != '{') return -1;
            return object_body(c, flow_member, l);
        }
        if (KEY(k, "http")) { l->rich = 1; return value(c); }
        break;
    case 3:
        if (KEY(k, "tls")) { l->rich = 1; return value(c); }
        break;
    case 5:
        if (KEY(k, "files")) { l->rich = 1; return value(c); }
        if (KEY(k, "alert")) {
            if (once(l, 1u << 1) < 0) return -1;
            if (is_null(c)) { c->p += 4; l->alert_null = 1; return 0; }
            if (c->p >= c->end || *c->p != '{') return -1;
            l->has_alert = 1;
            return object_body(c, alert_member, l);
        }
        break;
    case 6:
        if (KEY(k, "src_ip")) {
            if (once(l, 1u << 2) < 0) return -1;
            if (string_or_null(c, &l->src, &l->has_src) < 0) return -1;
            return l->has_src && l->src.n > 45 ? -1 : 0;
        }
        break;
    case 7:
        if (KEY(k, "dest_ip")) {
            if (once(l, 1u << 3) < 0) return -1;
            if (string_or_null(c, &l->dst, &l->has_dst) < 0) return -1;
            return l->has_dst && l->dst.n > 45 ? -1 : 0;
        }
        break;
    case 8:
        if (KEY(k, "src_port")) return once(l, 1u << 4) < 0 ? -1 : port(c, &l->sport);
        if (KEY(k, "fileinfo")) { l->rich = 1; return value(c); }
        break;
    case 9:
        if (KEY(k, "timestamp")) return once(l, 1u << 5) < 0 ? -1 : plain_string(c, &l->timestamp);
        if (KEY(k, "dest_port")) return once(l, 1u << 6) < 0 ? -1 : port(c, &l->dport);
        if (KEY(k, "direction")) {
            if (once(l, 1u << 7) < 0) return -1;
            return string_or_null(c, &l->direction, &l->has_direction);
        }
        break;
    case 10:
        if (KEY(k, "event_type")) return once(l, 1u << 8) < 0 ? -1 : plain_string(c, &l->event_type);
        break;
    }
    return value(c);
}

/* A dotted quad as glibc's inet_pton reads it (no leading zeros), or -1. */
static int ipv4(Str a, uint32_t *out) {
    uint32_t v = 0;
    int parts = 0;
    Py_ssize_t i = 0;
    while (parts < 4) {
        Py_ssize_t start = i;
        unsigned part = 0;
        while (i < a.n && a.s[i] >= '0' && a.s[i] <= '9' && i - start < 3) {
            part = part * 10 + (unsigned)(a.s[i] - '0');
            i++;
        }
        if (i == start || part > 255 || (i - start > 1 && a.s[start] == '0')) return -1;
        v = (v << 8) | part;
        parts++;
        if (parts < 4) {
            if (i >= a.n || a.s[i] != '.') return -1;
            i++;
        }
    }
    if (i != a.n) return -1;
    *out = v;
    return 0;
}

static int digits(const unsigned char *s, int n, int *out) {
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9') return -1;
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return 0;
}

static int64_t days_from_civil(int y, int m, int d) {  /* days since 1970-01-01 */
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

/* UTC microseconds of 2026-11-30T08:01:02.123456+0800 (exactly that shape), or -1. */
static int stamp(Str t, int64_t *out) {
    static const int mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    const unsigned char *s = t.s;
    int y, mo, d, h, mi, se, us, oh, om;
    if (t.n != 31 || s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' ||
        s[16] != ':' || s[19] != '.' || (s[26] != '+' && s[26] != '-'))
        return -1;
    if (digits(s, 4, &y) || digits(s + 5, 2, &mo) || digits(s + 8, 2, &d) ||
        digits(s + 11, 2, &h) || digits(s + 14, 2, &mi) || digits(s + 17, 2, &se) ||
        digits(s + 20, 6, &us) || digits(s + 27, 2, &oh) || digits(s + 29, 2, &om))
        return -1;
    int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    if (y < 1 || mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] + (mo == 2 && leap) ||
        h > 23 || mi > 59 || se > 59 || oh > 23 || om > 59)
        return -1;
    int64_t local = ((days_from_civil(y, mo, d) * 24 + h) * 60 + mi) * 60 + se;
    int64_t shift = ((int64_t)oh * 60 + om) * 60 * (s[26] == '+' ? 1 : -1);
    *out = (local - shift) * 1000000 + us;
    return 0;
}

static int classify_line(const unsigned char *p, Py_ssize_t n, Line *l) {
    memset(l, 0, sizeof *l);
    l->sport = l->dport = -1;
    Cur c = {p, p + n, 0};
    ws(&c);
    if (c.p >= c.end || *c.p != '{') return SLOW;
    if (object_body(&c, line_member, l) < 0) return SLOW;
    ws(&c);
    if (c.p != c.end) return SLOW;
    int alert = KEY(l->event_type, "alert");
    if (alert && l->has_alert && !l->rich) return FAST;
    if (alert || KEY(l->event_type, "anomaly") || l->event_type.n == 0) return SLOW;
    return SKIP;
}

typedef struct {
    int32_t *idx, *shape, *sport, *dport;
    int64_t *time;
    uint32_t *src4, *dst4;
    uint8_t *src_is4, *dst_is4, *hint;
} Out;

static void out_free(Out *o) {
    free(o->idx); free(o->sport); free(o->dport); free(o->time); free(o->shape);
    free(o->src4); free(o->dst4); free(o->src_is4); free(o->dst_is4); free(o->hint);
}

static int out_alloc(Out *o, Py_ssize_t n) {
    size_t k = (size_t)(n ? n : 1);
    o->idx = malloc(k * 4); o->sport = malloc(k * 4); o->dport = malloc(k * 4);
    o->time = malloc(k * 8); o->shape = malloc(k * 4);
    o->src4 = malloc(k * 4); o->dst4 = malloc(k * 4);
    o->src_is4 = malloc(k); o->dst_is4 = malloc(k); o->hint = malloc(k);
    return o->idx && o->sport && o->dport && o->time && o->shape && o->src4 && o->dst4 &&
           o->src_is4 && o->dst_is4 && o->hint ? 0 : -1;
}

/* An address side: (value, is-IPv4) written, the Python text (or None) returned; -1 when the
 * address is present and not a dotted quad (the line is then SLOW). */
static int side(int present, Str a, uint32_t *v, uint8_t *is4) {
    if (!present) { *v = 0; *is4 = 0; return 0; }
    if (ipv4(a, v) < 0) return -1;
    *is4 = 1;
    return 0;
}

static PyObject *text_or_none(int present, Str a) {
    if (!present) Py_RETURN_NONE;
    PyObject *s = PyUnicode_New(a.n, 127);  /* ASCII: a dotted quad */
    if (s) memcpy(PyUnicode_DATA(s), a.s, (size_t)a.n);
    return s;
}

/* The signatures met: (signature id, signature, category) → its index in a list of such
 * tuples, in an open-addressing table (the texts point into the lines, valid during a call).
 * A shape per distinct triple, not per id: two rule revisions may word one id differently. */
typedef struct {
    int64_t sid;
    Str sig, cat;
    uint64_t hash;
    int32_t index;  /* -1: empty */
} Slot;

typedef struct {
    Slot *slots;
    size_t cap, used;
} Table;

static uint64_t fnv(uint64_t h, Str s) {
    for (Py_ssize_t i = 0; i < s.n; i++) h = (h ^ s.s[i]) * 0x100000001b3ULL;
    return (h ^ (uint64_t)s.n) * 0x100000001b3ULL;
}

static int table_grow(Table *t) {
    size_t cap = t->cap ? t->cap * 2 : 1024;
    Slot *slots = malloc(sizeof *slots * cap);
    if (!slots) return -1;
    for (size_t i = 0; i < cap; i++) slots[i].index = -1;
    for (size_t i = 0; i < t->cap; i++) {
        if (t->slots[i].index < 0) continue;
        size_t j = t->slots[i].hash & (cap - 1);
        while (slots[j].index >= 0) j = (j + 1) & (cap - 1);
        slots[j] = t->slots[i];
    }
    free(t->slots);
    t->slots = slots;
    t->cap = cap;
    return 0;
}

static inline int same(Str a, Str b) {
    return a.n == b.n && memcmp(a.s, b.s, (size_t)a.n) == 0;
}

/* The index of the line's signature triple, added to texts when first met; -1 on error. */
static int32_t shape_of(Table *t, const Line *l, PyObject *texts) {
    if ((t->used + 1) * 2 > t->cap && table_grow(t) < 0) {
        PyErr_NoMemory();
        return -1;
    }
    uint64_t h = fnv(fnv(0xcbf29ce484222325ULL ^ (uint64_t)l->sid, l->signature), l->category);
    size_t j = h & (t->cap - 1);
    for (; t->slots[j].index >= 0; j = (j + 1) & (t->cap - 1)) {
        Slot *e = &t->slots[j];
        if (e->hash == h && e->sid == l->sid && same(e->sig, l->signature) &&
            same(e->cat, l->category))
            return e->index;
    }
    PyObject *triple = Py_BuildValue("(Ls#s#)", (long long)l->sid,
                                     (const char *)l->signature.s, l->signature.n,
                                     (const char *)l->category.s, l->category.n);
    if (!triple || PyList_Append(texts, triple) < 0) {
        Py_XDECREF(triple);
        return -1;
    }
    Py_DECREF(triple);
    Slot *e = &t->slots[j];
    e->sid = l->sid;
    e->sig = l->signature;
    e->cat = l->category;
    e->hash = h;
    e->index = (int32_t)t->used++;
    return e->index;
}

/* The lines (pointer and length each) decoded; see decode() for what is returned. */
static PyObject *decode_core(Py_ssize_t n, const unsigned char *const *ptrs,
                             const Py_ssize_t *lens) {
    Py_ssize_t k = 0;
    PyObject *status = PyBytes_FromStringAndSize(NULL, n);
    PyObject *sources = PyList_New(0), *dests = PyList_New(0), *sigs = PyList_New(0);
    Out o = {0};
    Table table = {0};
    PyObject *result = NULL;
    if (!status || !sources || !dests || !sigs || out_alloc(&o, n) < 0) {
        if (!PyErr_Occurred()) PyErr_NoMemory();
        goto done;
    }
    char *st = PyBytes_AS_STRING(status);
    for (Py_ssize_t i = 0; i < n; i++) {
        Line l;
        int kind = classify_line(ptrs[i], lens[i], &l);
        if (kind == FAST) {
            if (stamp(l.timestamp, &o.time[k]) < 0 ||
                side(l.has_src, l.src, &o.src4[k], &o.src_is4[k]) < 0 ||
                side(l.has_dst, l.dst, &o.dst4[k], &o.dst_is4[k]) < 0)
                kind = SLOW;
        }
        st[i] = (char)kind;
        if (kind != FAST) continue;
        o.idx[k] = (int32_t)i;
        o.sport[k] = (int32_t)l.sport;
        o.dport[k] = (int32_t)l.dport;
        o.hint[k] = l.flow_hint || (l.has_direction && KEY(l.direction, "to_client"));
        PyObject *s = text_or_none(l.has_src, l.src), *d = text_or_none(l.has_dst, l.dst);
        int bad = !s || !d || PyList_Append(sources, s) < 0 || PyList_Append(dests, d) < 0;
        Py_XDECREF(s);
        Py_XDECREF(d);
        if (bad) goto done;
        if ((o.shape[k] = shape_of(&table, &l, sigs)) < 0) goto done;
        k++;
    }
#define BYTES(ptr, size) PyByteArray_FromStringAndSize((const char *)(ptr), (Py_ssize_t)(size))
    result = Py_BuildValue(
        "(NNNNNNNNNNNNOOO)", status, BYTES(o.idx, k * 4), BYTES(o.time, k * 8),
        BYTES(o.shape, k * 4), BYTES(o.src4, k * 4), BYTES(o.src_is4, k),
        BYTES(o.dst4, k * 4), BYTES(o.dst_is4, k), BYTES(o.sport, k * 4),
        BYTES(o.dport, k * 4), BYTES(o.hint, k), PyLong_FromSsize_t(k), sources, dests, sigs);
#undef BYTES
    status = NULL;  /* stolen by N */
done:
    out_free(&o);
    free(table.slots);
    Py_XDECREF(status);
    Py_XDECREF(sources);
    Py_XDECREF(dests);
    Py_XDECREF(sigs);
    return result;
}

/* decode(lines): lines a sequence of bytes. */
static PyObject *decode(PyObject *self, PyObject *arg) {
    (void)self;
    PyObject *seq = PySequence_Fast(arg, "decode() takes a sequence of bytes");
    if (!seq) return NULL;
    Py_ssize_t n = PySequence_Fast_GET_SIZE(seq);
    PyObject **items = PySequence_Fast_ITEMS(seq), *result = NULL;
    const unsigned char **ptrs = malloc(sizeof *ptrs * (size_t)(n ? n : 1));
    Py_ssize_t *lens = malloc(sizeof *lens * (size_t)(n ? n : 1));
    if (!ptrs || !lens) {
        PyErr_NoMemory();
        goto done;
    }
    for (Py_ssize_t i = 0; i < n; i++) {
        if (!PyBytes_Check(items[i])) {
            PyErr_SetString(PyExc_TypeError, "decode() takes a sequence of bytes");
            goto done;
        }
        ptrs[i] = (const unsigned char *)PyBytes_AS_STRING(items[i]);
        lens[i] = PyBytes_GET_SIZE(items[i]);
    }
    result = decode_core(n, ptrs, lens);
done:
    free(ptrs);
    free(lens);
    Py_DECREF(seq);
    return result;
}

/* decode_joined(data, ends): the lines of data (bytes), line i ending at ends[i] (int64, in a
 * buffer) and starting after the newline that ends line i - 1. */
static PyObject *decode_joined(PyObject *self, PyObject *args) {
    (void)self;
    Py_buffer data, ends;
    if (!PyArg_ParseTuple(args, "y*y*:decode_joined", &data, &ends)) return NULL;
    PyObject *result = NULL;
    Py_ssize_t n = ends.len / 8;
    const int64_t *end = ends.buf;
    const unsigned char **ptrs = malloc(sizeof *ptrs * (size_t)(n ? n : 1));
    Py_ssize_t *lens = malloc(sizeof *lens * (size_t)(n ? n : 1));
    if (!ptrs || !lens) {
        PyErr_NoMemory();
        goto done;
    }
    int64_t start = 0;
    for (Py_ssize_t i = 0; i < n; i++) {
        if (end[i] < start || end[i] > data.len) {
            PyErr_SetString(PyExc_ValueError, "line ends out of order or beyond the data");
            goto done;
        }
        ptrs[i] = (const unsigned char *)data.buf + start;
        lens[i] = (Py_ssize_t)(end[i] - start);
        start = end[i] + 1;
    }
    result = decode_core(n, ptrs, lens);
done:
    free(ptrs);
    free(lens);
    PyBuffer_Release(&data);
    PyBuffer_Release(&ends);
    return result;
}

/* newlines(data): the offsets of every newline of data, as int64 in a bytearray. */
static PyObject *newlines(PyObject *self, PyObject *arg) {
    (void)self;
    Py_buffer data;
    if (PyObject_GetBuffer(arg, &data, PyBUF_SIMPLE) < 0) return NULL;
    const char *base = data.buf, *p = base, *end = base + data.len;
    Py_ssize_t cap = data.len / 256 + 16, n = 0;
    int64_t *out = malloc(sizeof *out * (size_t)cap);
    while (out && p < end && (p = memchr(p, '\n', (size_t)(end - p))) != NULL) {
        if (n == cap) {
            int64_t *more = realloc(out, sizeof *out * (size_t)(cap *= 2));
            if (!more) { free(out); out = NULL; break; }
            out = more;
        }
        out[n++] = p - base;
        p++;
    }
    PyBuffer_Release(&data);
    if (!out) return PyErr_NoMemory();
    PyObject *result = PyByteArray_FromStringAndSize((const char *)out, n * 8);
    free(out);
    return result;
}

static PyMethodDef methods[] = {
    {"decode", decode, METH_O,
     "decode(lines) -> (status, idx, time_us, shape, src4, src_is4, dst4, dst_is4, sport, dport,"
     " hint, count, sources, destinations, signatures): each line's status (0 fast, 1 for the"
     " general parser, 2 skipped), the fast lines' columns as native arrays (bytearrays) and"
     " the (signature id, signature, category) each shape index stands for."},
    {"decode_joined", decode_joined, METH_VARARGS,
     "decode_joined(data, ends) -> as decode(), of the lines of data ending at ends (int64)."},
    {"newlines", newlines, METH_O, "newlines(data) -> the offsets of its newlines (int64)."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "fenghuo.monitoring._eve",
    "The compiled Suricata EVE decoder of the monitoring fast path.", -1, methods,
    NULL, NULL, NULL, NULL,
};

PyMODINIT_FUNC PyInit__eve(void) {
    for (int ch = 0; ch < 256; ch++) STOP[ch] = ch == '"' || ch == '\\' || ch < 0x20 || ch >= 0x80;
    return PyModule_Create(&module);
}
