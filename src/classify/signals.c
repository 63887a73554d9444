/*
 * signals.c - the text rules of incidents.md "Signals".
 *
 * An alert type we do not know still has to be classified, so its signals are
 * read from two texts: the display name ("Access from a Tor exit node") and
 * the alertType ("Storage.Blob_TorAnomaly"). Both are cut into words, and a
 * table of phrases (one or more consecutive words) is matched against them;
 * a few code fragments ("_BF_", "AccountSas") are matched as substrings of
 * the alertType, because that is how Microsoft spells them.
 *
 * Words. The display name is cut at anything that is not an ASCII letter or
 * digit (spaces, brackets, hyphens, quotes, slashes, dots), so "denial-of-
 * service" is three words. The alertType is cut there too ('_' and '.'), and
 * also at case changes: "VM_CoinMiner" is VM, Coin, Miner; an upper-case run
 * ends before its last capital when a lower-case letter follows, so
 * "SSHReset" is SSH, Reset. Digits belong to the word they are in ("K8S",
 * "C2", "Base64"), and an acronym keeps a lone plural 's' ("IPs", "VMs").
 * Whole words are what make "Storage" not "Tor".
 *
 * Phrases. A phrase is written once, the way people write it ("MicroBurst",
 * "Tor exit node"), and matched in two forms: its words as written, and its
 * words cut by the same case-change rule as an alertType. The display name
 * is matched with the first form, the alertType with both: "MicroBurst"
 * matches the display-name word "MicroBurst", and the alertType words
 * Micro, Burst ("ARM_MicroBurst") or microburst ("arm_microburst"), but not
 * the display name "Micro burst of traffic". Words compare ASCII
 * case-insensitively; the last word of a phrase also matches its plural in
 * -s ("miners", "suspicious IPs"). Since a phrase is cut by the same rule
 * as the type, "DDoS" needs no exception: both are cut D, Do, S and match,
 * while "DDOS" and "ddos" are one word each and match the phrase as written.
 *
 * No allocation, no limit on the text length: words are found by an iterator
 * over (pointer, length) input, and matched in place.
 */
#include "classify/signals.h"
#include "util/ascii.h"

#include <stdbool.h>
#include <stdint.h>

#include "model/alert.h"

enum how {
    HOW_WORDS, /* whole words, consecutive, of the display name or the split alertType */
    HOW_CODE,  /* case-insensitive substring of the alertType */
};

struct rule {
    uint32_t signal;
    enum how how;
    const char *text;
};

/* incidents.md "Signals", in the order of its table. */
static const struct rule rules[] = {
    {CORRAL_SIG_CRYPTO_MINING, HOW_WORDS, "mining"},
    {CORRAL_SIG_CRYPTO_MINING, HOW_WORDS, "miner"},
    {CORRAL_SIG_CRYPTO_MINING, HOW_WORDS, "coin miner"},
    {CORRAL_SIG_CRYPTO_MINING, HOW_WORDS, "digital currency"},

    {CORRAL_SIG_BRUTE_FORCE, HOW_WORDS, "brute force"},
    {CORRAL_SIG_BRUTE_FORCE, HOW_CODE, "_BF_"},
    {CORRAL_SIG_BRUTE_FORCE, HOW_CODE, "BruteForce"},

    {CORRAL_SIG_EXPLOIT, HOW_WORDS, "exploit"},
    {CORRAL_SIG_EXPLOIT, HOW_WORDS, "exploitation"},

    {CORRAL_SIG_FILELESS, HOW_WORDS, "fileless"},

    {CORRAL_SIG_SAS, HOW_CODE, "AccountSas"},
    {CORRAL_SIG_SAS, HOW_WORDS, "SAS token"},
    {CORRAL_SIG_SAS, HOW_WORDS, "shared access signature"},

    {CORRAL_SIG_GEO, HOW_WORDS, "geo anomaly"},
    {CORRAL_SIG_GEO, HOW_WORDS, "unusual location"},
    {CORRAL_SIG_GEO, HOW_WORDS, "anomalous location"},
    {CORRAL_SIG_GEO, HOW_CODE, "TorAnomaly"},
    {CORRAL_SIG_GEO, HOW_WORDS, "Tor"},

    {CORRAL_SIG_SUSPICIOUS_IP, HOW_WORDS, "suspicious IP"},
    {CORRAL_SIG_SUSPICIOUS_IP, HOW_WORDS, "malicious IP"},
    {CORRAL_SIG_SUSPICIOUS_IP, HOW_WORDS, "threat intelligence IP"},
    {CORRAL_SIG_SUSPICIOUS_IP, HOW_CODE, "SuspiciousIp"},
    {CORRAL_SIG_SUSPICIOUS_IP, HOW_CODE, "TI_"},
    {CORRAL_SIG_SUSPICIOUS_IP, HOW_WORDS, "proxy IP"},
    {CORRAL_SIG_SUSPICIOUS_IP, HOW_WORDS, "Tor exit node"},

    {CORRAL_SIG_DDOS, HOW_WORDS, "DDoS"},
    {CORRAL_SIG_DDOS, HOW_WORDS, "denial of service"},

    {CORRAL_SIG_EXFILTRATION, HOW_WORDS, "exfiltration"},
    {CORRAL_SIG_EXFILTRATION, HOW_WORDS, "data egress"},

    {CORRAL_SIG_PASSWORD_RESET, HOW_WORDS, "password reset"},
    {CORRAL_SIG_PASSWORD_RESET, HOW_CODE, "PasswordReset"},
    {CORRAL_SIG_PASSWORD_RESET, HOW_CODE, "SSHReset"},
    {CORRAL_SIG_PASSWORD_RESET, HOW_CODE, "ConfigReset"},

    {CORRAL_SIG_BOTNET, HOW_WORDS, "botnet"},
    {CORRAL_SIG_BOTNET, HOW_WORDS, "command and control"},
    {CORRAL_SIG_BOTNET, HOW_WORDS, "C2"},
    {CORRAL_SIG_BOTNET, HOW_CODE, "CommonBot"},
    {CORRAL_SIG_BOTNET, HOW_CODE, "IndicatedAsMalicious"},

    {CORRAL_SIG_OUTGOING, HOW_WORDS, "outgoing"},
    {CORRAL_SIG_OUTGOING, HOW_WORDS, "port scanning"},
    {CORRAL_SIG_OUTGOING, HOW_CODE, "PortScanning"},

    {CORRAL_SIG_AZURE_TOOLKIT, HOW_WORDS, "MicroBurst"},
    {CORRAL_SIG_AZURE_TOOLKIT, HOW_WORDS, "PowerZure"},
    {CORRAL_SIG_AZURE_TOOLKIT, HOW_WORDS, "AzureHound"},
    {CORRAL_SIG_AZURE_TOOLKIT, HOW_WORDS, "NetSPI"},
    {CORRAL_SIG_AZURE_TOOLKIT, HOW_WORDS, "Azurite"},
    {CORRAL_SIG_AZURE_TOOLKIT, HOW_WORDS, "Azure toolkit"},
    {CORRAL_SIG_AZURE_TOOLKIT, HOW_WORDS, "exploitation toolkit"},
};

static bool is_upper(char c)
{
    return c >= 'A' && c <= 'Z';
}

static bool is_lower(char c)
{
    return c >= 'a' && c <= 'z';
}

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static bool is_alnum(char c)
{
    return is_upper(c) || is_lower(c) || is_digit(c);
}

static char to_lower(char c)
{
    return is_upper(c) ? (char)(c + ('a' - 'A')) : c;
}

/* An iterator over the words of s[0..len): split at non-alnum, and at case changes when camel. */
struct words {
    const char *s;
    size_t len;
    size_t pos;
    bool camel;
};

static size_t cstr_len(const char *s)
{
    size_t n = 0;
    while (s[n] != '\0') {
        n++;
    }
    return n;
}

/* End (exclusive) of the camel-case word that starts at start, inside an alnum run. */
static size_t camel_word_end(const char *s, size_t len, size_t start)
{
    char last_letter = is_digit(s[start]) ? '\0' : s[start];
    size_t i = start + 1;
    for (; i < len && is_alnum(s[i]); i++) {
        char c = s[i];
        if (is_digit(c)) {
            continue;
        }
        if (is_upper(c) && last_letter != '\0') {
            if (is_lower(last_letter)) {
                break; /* "CoinMiner": a capital after a lower-case letter starts a word */
            }
            if (i + 1 < len && is_lower(s[i + 1])) {
                /* "SSHReset": the last capital of a run starts the next word, except a plural
                 * acronym "IPs", where the 's' ends the word. */
                bool plural = s[i + 1] == 's' && (i + 2 == len || !is_lower(s[i + 2]));
                if (!plural) {
                    break;
                }
            }
        }
        last_letter = c;
    }
    return i;
}

/* The next word as s[*start..*start+*n); false at the end. */
static bool words_next(struct words *it, size_t *start, size_t *n)
{
    while (it->pos < it->len && !is_alnum(it->s[it->pos])) {
        it->pos++;
    }
    if (it->pos >= it->len) {
        return false;
    }
    size_t b = it->pos;
    size_t e;
    if (it->camel) {
        e = camel_word_end(it->s, it->len, b);
    } else {
        e = b;
        while (e < it->len && is_alnum(it->s[e])) {
            e++;
        }
    }
    it->pos = e;
    *start = b;
    *n = e - b;
    return true;
}

/* The text word t equals the phrase word p, or, for a phrase's last word, p + "s". */
static bool word_matches(const char *t, size_t tn, const char *p, size_t pn, bool last)
{
    if (corral_ascii_same_nocase(t, tn, p, pn)) {
        return true;
    }
    return last && tn == pn + 1 && to_lower(t[pn]) == 's' && corral_ascii_same_nocase(t, pn, p, pn);
}

/* Do the words of the phrase match the words that t yields next, one for one? */
static bool phrase_at(const char *text, struct words *t, const char *phrase, bool phrase_camel)
{
    struct words p = {phrase, cstr_len(phrase), 0, phrase_camel};
    size_t ps;
    size_t pn;
    if (!words_next(&p, &ps, &pn)) {
        return false;
    }
    for (;;) {
        size_t ts;
        size_t tn;
        if (!words_next(t, &ts, &tn)) {
            return false;
        }
        struct words peek = p;
        size_t qs;
        size_t qn;
        bool last = !words_next(&peek, &qs, &qn);
        if (!word_matches(text + ts, tn, phrase + ps, pn, last)) {
            return false;
        }
        if (last) {
            return true;
        }
        p = peek;
        ps = qs;
        pn = qn;
    }
}

/* Does the phrase occur as consecutive whole words of the text? */
static bool phrase_in(const char *text, size_t text_len, bool text_camel, const char *phrase,
                      bool phrase_camel)
{
    struct words at = {text, text_len, 0, text_camel};
    for (;;) {
        struct words t = at;
        size_t ts;
        size_t tn;
        if (!words_next(&at, &ts, &tn)) {
            return false;
        }
        if (phrase_at(text, &t, phrase, phrase_camel)) {
            return true;
        }
    }
}

static bool contains_nocase(const char *s, size_t len, const char *needle)
{
    size_t n = cstr_len(needle);
    if (n == 0 || n > len) {
        return n == 0;
    }
    for (size_t i = 0; i + n <= len; i++) {
        if (corral_ascii_same_nocase(s + i, n, needle, n)) {
            return true;
        }
    }
    return false;
}

static bool rule_matches(const struct rule *r, const char *type, size_t type_len, const char *name,
                         size_t name_len)
{
    if (r->how == HOW_CODE) {
        return contains_nocase(type, type_len, r->text);
    }
    /* The display name has the words as written; the alertType has them cut at case changes
     * ("ARM_MicroBurst"), or not when it is all one case ("arm_microburst"). */
    return phrase_in(name, name_len, false, r->text, false) ||
           phrase_in(type, type_len, true, r->text, true) ||
           phrase_in(type, type_len, true, r->text, false);
}

/*
 * The fast path. Every rule used to cut both texts into words again for each
 * of its phrases and each starting word, which cost a few hundred thousand
 * instructions per alert type the catalog does not know. The texts are now
 * cut once into word lists (on the stack: a text of more than MAX_WORDS
 * words takes the slow path above, so there is still no length limit), a
 * rule is skipped at once when no text word has its phrase's first word's
 * initial and length (or, for a code fragment, when a character of it is
 * missing from the alertType), and only the phrases that remain are cut into
 * words. The answers are those of rule_matches() for every input;
 * test_signals.c compares the two on every catalog row and many variations.
 */
#define MAX_WORDS 64
#define MAX_PHRASE_WORDS 16

struct wordlist {
    size_t n;
    size_t start[MAX_WORDS];
    size_t len[MAX_WORDS];
};

/* Cut s into words into out (at most cap of them); false when there are more. */
static bool split_words(const char *s, size_t len, bool camel, struct wordlist *out, size_t cap)
{
    struct words it = {s, len, 0, camel};
    size_t start;
    size_t n;
    out->n = 0;
    while (words_next(&it, &start, &n)) {
        if (out->n == cap) {
            return false;
        }
        out->start[out->n] = start;
        out->len[out->n] = n;
        out->n++;
    }
    return true;
}

/* phrase_in() over word lists: the phrase's words match consecutive words of the text. */
static bool phrase_in_list(const char *text, const struct wordlist *tw, const char *phrase,
                           const struct wordlist *pw)
{
    if (pw->n == 0) {
        return false;
    }
    /* Cheap rejections first: the first word's length (or its plural's) and initial. */
    const size_t first_len = pw->len[0];
    const size_t plural_len = pw->n == 1 ? first_len + 1 : first_len;
    const char initial = to_lower(phrase[pw->start[0]]);
    for (size_t k = 0; k + pw->n <= tw->n; k++) {
        if ((tw->len[k] != first_len && tw->len[k] != plural_len) ||
            to_lower(text[tw->start[k]]) != initial) {
            continue;
        }
        size_t j = 0;
        while (j < pw->n && word_matches(text + tw->start[k + j], tw->len[k + j],
                                         phrase + pw->start[j], pw->len[j], j + 1 == pw->n)) {
            j++;
        }
        if (j == pw->n) {
            return true;
        }
    }
    return false;
}

/* 0..35 for a letter (case folded) or digit: the first character of a word. */
static unsigned alnum_index(char c)
{
    c = to_lower(c);
    return is_digit(c) ? (unsigned)(c - '0') : 10u + (unsigned)(c - 'a');
}

/* Bit min(len, 63): word lengths as a set. */
static uint64_t len_bit(size_t len)
{
    return UINT64_C(1) << (len < 63 ? len : 63);
}

/* by_initial[c] |= the lengths of the words of text that start with c. */
static void word_lengths(const char *text, const struct wordlist *w, uint64_t by_initial[36])
{
    for (size_t i = 0; i < w->n; i++) {
        by_initial[alnum_index(text[w->start[i]])] |= len_bit(w->len[i]);
    }
}

/*
 * Could the phrase match at all? Its first word, cut either way, must be a
 * word of the text with the same initial and the same length (or one more:
 * the plural of a one-word phrase). A superset of the matches, at no cost
 * of cutting the phrase into words.
 */
static bool phrase_may_match(const char *phrase, const uint64_t name_lengths[36],
                             const uint64_t type_lengths[36])
{
    size_t len = cstr_len(phrase);
    size_t b = 0;
    while (b < len && !is_alnum(phrase[b])) {
        b++;
    }
    if (b == len) {
        return false; /* no words: never matches */
    }
    size_t e = b;
    while (e < len && is_alnum(phrase[e])) {
        e++;
    }
    const size_t camel_e = camel_word_end(phrase, len, b);
    const unsigned c = alnum_index(phrase[b]);
    const uint64_t written = len_bit(e - b) | len_bit(e - b + 1);
    const uint64_t cut = len_bit(camel_e - b) | len_bit(camel_e - b + 1);
    return (name_lengths[c] & written) != 0 || (type_lengths[c] & (written | cut)) != 0;
}

static uint32_t signals_slow(const char *alert_type, size_t type_len, const char *display_name,
                             size_t name_len)
{
    uint32_t flags = 0;
    for (size_t i = 0; i < sizeof(rules) / sizeof(rules[0]); i++) {
        if ((flags & rules[i].signal) != 0) {
            continue;
        }
        if (rule_matches(&rules[i], alert_type, type_len, display_name, name_len)) {
            flags |= rules[i].signal;
        }
    }
    return flags;
}

uint32_t corral_signals_from_text(const char *alert_type, size_t type_len, const char *display_name,
                                  size_t name_len)
{
    if (alert_type == NULL) {
        type_len = 0;
        alert_type = "";
    }
    if (display_name == NULL) {
        name_len = 0;
        display_name = "";
    }
    struct wordlist name_words;
    struct wordlist type_words;
    uint32_t flags = 0;
    if (!split_words(display_name, name_len, false, &name_words, MAX_WORDS) ||
        !split_words(alert_type, type_len, true, &type_words, MAX_WORDS)) {
        flags = signals_slow(alert_type, type_len, display_name, name_len);
    } else {
        uint64_t name_lengths[36] = {0};
        uint64_t type_lengths[36] = {0};
        word_lengths(display_name, &name_words, name_lengths);
        word_lengths(alert_type, &type_words, type_lengths);
        uint64_t type_chars[4] = {0, 0, 0, 0}; /* every byte of the alertType, case folded */
        for (size_t i = 0; i < type_len; i++) {
            const unsigned char c = (unsigned char)to_lower(alert_type[i]);
            type_chars[c >> 6] |= UINT64_C(1) << (c & 63);
        }
        for (size_t i = 0; i < sizeof(rules) / sizeof(rules[0]); i++) {
            const struct rule *r = &rules[i];
            if ((flags & r->signal) != 0) {
                continue;
            }
            if (r->how == HOW_CODE) {
                /* Every character of the fragment must occur in the alertType. */
                bool possible = true;
                for (const char *t = r->text; *t != '\0' && possible; t++) {
                    const unsigned char c = (unsigned char)to_lower(*t);
                    possible = (type_chars[c >> 6] & (UINT64_C(1) << (c & 63))) != 0;
                }
                if (possible && contains_nocase(alert_type, type_len, r->text)) {
                    flags |= r->signal;
                }
                continue;
            }
            if (!phrase_may_match(r->text, name_lengths, type_lengths)) {
                continue;
            }
            struct wordlist as_written;
            struct wordlist cut;
            const size_t plen = cstr_len(r->text);
            if (!split_words(r->text, plen, false, &as_written, MAX_PHRASE_WORDS) ||
                !split_words(r->text, plen, true, &cut, MAX_PHRASE_WORDS)) {
                if (rule_matches(r, alert_type, type_len, display_name, name_len)) {
                    flags |= r->signal;
                }
                continue;
            }
            if (phrase_in_list(display_name, &name_words, r->text, &as_written) ||
                phrase_in_list(alert_type, &type_words, r->text, &cut) ||
                phrase_in_list(alert_type, &type_words, r->text, &as_written)) {
                flags |= r->signal;
            }
        }
    }
    /* "MicroBurst exploitation toolkit" names a toolkit, not an exploit of the resource. */
    if ((flags & CORRAL_SIG_AZURE_TOOLKIT) != 0) {
        flags &= ~(uint32_t)CORRAL_SIG_EXPLOIT;
    }
    return flags;
}

static bool is_blank(char c)
{
    return c == ' ' || c == '\t';
}

int corral_signals_parse(const char *s, size_t len, uint32_t *out)
{
    if (s == NULL) {
        return -1;
    }
    size_t b = 0;
    size_t e = len;
    while (b < e && is_blank(s[b])) {
        b++;
    }
    while (e > b && is_blank(s[e - 1])) {
        e--;
    }
    if (e - b == 1 && s[b] == '-') {
        *out = 0;
        return 0;
    }
    uint32_t flags = 0;
    size_t i = b;
    for (;;) {
        size_t j = i;
        while (j < e && s[j] != ',') {
            j++;
        }
        size_t ib = i;
        size_t ie = j;
        while (ib < ie && is_blank(s[ib])) {
            ib++;
        }
        while (ie > ib && is_blank(s[ie - 1])) {
            ie--;
        }
        bool found = false;
        for (unsigned k = 0; k < CORRAL_SIG_COUNT && ie > ib; k++) {
            const char *name = corral_signal_name((enum corral_signal)(1u << k));
            if (corral_ascii_same_nocase(s + ib, ie - ib, name, cstr_len(name))) {
                flags |= 1u << k;
                found = true;
                break;
            }
        }
        if (!found) {
            return -1;
        }
        if (j >= e) {
            break;
        }
        i = j + 1;
    }
    *out = flags;
    return 0;
}
