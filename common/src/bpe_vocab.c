// bpe_vocab.c - the mapped vocabulary file of the BPE tokenizer (see sl/bpe_vocab.h).
//
// Layout, all integers in the host's byte order (the file is built where it is used, and the
// header's byte_order field rejects a file from a machine of the other order):
//   header      128 bytes, below
//   slots       n_slots x {u32 off, u32 rank << 8 | len}: open addressing, linear probing,
//               indexed by s_hash; len 0 marks an empty slot; at most half the slots are used
//   offsets     (n_ranks + 1) x u32: rank r's bytes are blob[offsets[r] .. offsets[r + 1])
//   blob        every token's bytes, in rank order
//   pattern     the split pattern and a NUL
// A lookup reads one slot and compares the bytes in the blob: two cache lines, no pointers.
#include "sl/bpe_vocab.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sl/err.h"
#include "sl/mem.h"

#define MAGIC      "SLBPEVOC"
#define VERSION    1
#define BYTE_ORDER 0x01020304u
#define HEADER_LEN 128

// The file's first 128 bytes.
typedef struct {
    char magic[8];          // MAGIC, no NUL
    uint32_t byte_order;    // BYTE_ORDER as the writer stored it
    uint32_t version;       // VERSION
    uint32_t n_ranks;       // ranks are below this; gaps have no bytes
    uint32_t n_slots;       // a power of two, at least twice the number of tokens
    uint32_t max_token_len; // longest token, bytes
    uint32_t pattern_len;   // bytes, without the NUL that follows
    uint64_t file_size;     // bytes; a shorter file was cut off
    uint64_t slots_off;     // where each section starts, from the start of the file
    uint64_t offsets_off;
    uint64_t blob_off;
    uint64_t blob_len;
    uint64_t pattern_off;
    char name[SL_BPE_MAX_NAME_LEN + 1]; // the encoding's name, NUL-padded
} s_header_t;

_Static_assert(sizeof(s_header_t) <= HEADER_LEN, "header fits its 128 bytes");

// One hash slot: where the token's bytes are and which rank they have.
typedef struct {
    uint32_t off;      // into the blob
    uint32_t rank_len; // rank << 8 | length; 0 (length 0) when the slot is empty
} s_slot_t;

struct sl_bpe_vocab {
    const uint8_t *map;                 // owned: the whole file, mapped PROT_READ, MAP_SHARED
    size_t map_len;                     // bytes mapped
    const s_slot_t *slots;              // borrowed from map
    uint32_t slot_mask;                 // n_slots - 1
    const uint32_t *offsets;            // borrowed from map: n_ranks + 1 entries
    const uint8_t *blob;                // borrowed from map
    uint32_t n_ranks;                   // from the header
    uint32_t max_token_len;             // from the header
    const char *pattern;                // borrowed from map, NUL-terminated (checked at open)
    char name[SL_BPE_MAX_NAME_LEN + 1]; // copied from the header, NUL-terminated
};

// FNV-1a over the bytes, folded to 32 bits: tokens are short (4 bytes on average, 255 at
// most), so a byte loop costs little next to the cache miss of the slot it picks.
static uint32_t
s_hash(const uint8_t *bytes, size_t len)
{
    uint64_t h = 0xcbf29ce484222325u;
    for (size_t i = 0; i < len; i++) {
        h ^= bytes[i];
        h *= 0x100000001b3u;
    }
    return (uint32_t)(h ^ (h >> 32));
}

static uint64_t
s_align(uint64_t off, uint64_t to)
{
    return (off + to - 1) / to * to;
}

// Header, rank table, blob and pattern into file; the caller fills the slots, checking for
// duplicates as it goes.
static void
s_fill(uint8_t *file,
       const s_header_t *h,
       const uint8_t *const *tokens,
       const uint32_t *lens,
       const char *pattern)
{
    memcpy(file, h, sizeof *h);
    uint32_t *offsets = (uint32_t *)(void *)(file + h->offsets_off);
    uint8_t *blob = file + h->blob_off;
    uint32_t off = 0;
    for (uint32_t r = 0; r < h->n_ranks; r++) {
        offsets[r] = off;
        memcpy(blob + off, tokens[r], lens[r]);
        off += lens[r];
    }
    offsets[h->n_ranks] = off;
    memcpy(file + h->pattern_off, pattern, h->pattern_len + 1);
}

int
sl_bpe_vocab_write(const char *path,
                   const char *name,
                   const char *pattern,
                   const uint8_t *const *tokens,
                   const uint32_t *lens,
                   uint32_t n_ranks,
                   char *err,
                   size_t err_size)
{
    if (strlen(name) > SL_BPE_MAX_NAME_LEN || strlen(pattern) > SL_BPE_MAX_PATTERN_LEN) {
        snprintf(err, err_size, "%s: name or pattern too long", path);
        return SL_EINVAL;
    }
    if (n_ranks == 0 || n_ranks >= SL_BPE_MAX_RANKS) {
        snprintf(err, err_size, "%s: %u ranks (1 to %u)", path, n_ranks, SL_BPE_MAX_RANKS - 1);
        return SL_EINVAL;
    }
    s_header_t h;
    memset(&h, 0, sizeof h);
    memcpy(h.magic, MAGIC, sizeof h.magic);
    h.byte_order = BYTE_ORDER;
    h.version = VERSION;
    h.n_ranks = n_ranks;
    uint32_t n_tokens = 0;
    for (uint32_t r = 0; r < n_ranks; r++) {
        if (lens[r] > SL_BPE_MAX_TOKEN_LEN) {
            snprintf(err, err_size, "%s: rank %u is %u bytes long (at most %d)", path, r, lens[r],
                     SL_BPE_MAX_TOKEN_LEN);
            return SL_EINVAL;
        }
        if (lens[r] > h.max_token_len)
            h.max_token_len = lens[r];
        h.blob_len += lens[r];
        n_tokens += lens[r] ? 1 : 0;
    }
    h.n_slots = 16;
    while (h.n_slots < 2 * (uint64_t)n_tokens)
        h.n_slots *= 2;
    h.pattern_len = (uint32_t)strlen(pattern);
    snprintf(h.name, sizeof h.name, "%s", name);
    h.slots_off = HEADER_LEN;
    h.offsets_off = h.slots_off + (uint64_t)h.n_slots * sizeof(s_slot_t);
    h.blob_off = h.offsets_off + ((uint64_t)n_ranks + 1) * sizeof(uint32_t);
    h.pattern_off = h.blob_off + h.blob_len;
    h.file_size = s_align(h.pattern_off + h.pattern_len + 1, 8);
    if (h.blob_len > UINT32_MAX) {
        snprintf(err, err_size, "%s: tokens too long in all", path);
        return SL_EINVAL;
    }

    uint8_t *file = sl_xcalloc(1, h.file_size);
    s_fill(file, &h, tokens, lens, pattern);
    s_slot_t *slots = (s_slot_t *)(void *)(file + h.slots_off);
    const uint32_t *offsets = (const uint32_t *)(const void *)(file + h.offsets_off);
    const uint8_t *blob = file + h.blob_off;
    for (uint32_t r = 0; r < n_ranks; r++) {
        if (lens[r] == 0)
            continue;
        uint32_t i = s_hash(tokens[r], lens[r]) & (h.n_slots - 1);
        while (slots[i].rank_len != 0) {
            const s_slot_t *s = &slots[i];
            if ((s->rank_len & 0xff) == lens[r] && memcmp(blob + s->off, tokens[r], lens[r]) == 0) {
                snprintf(err, err_size, "%s: ranks %u and %u have the same bytes", path,
                         s->rank_len >> 8, r);
                free(file);
                return SL_EINVAL;
            }
            i = (i + 1) & (h.n_slots - 1);
        }
        slots[i].off = offsets[r];
        slots[i].rank_len = r << 8 | lens[r];
    }

    // A new inode, renamed over the old one: a process that maps the old file keeps it whole.
    char tmp[4096];
    if ((size_t)snprintf(tmp, sizeof tmp, "%s.tmp.%ld", path, (long)getpid()) >= sizeof tmp) {
        snprintf(err, err_size, "%s: path too long", path);
        free(file);
        return SL_EINVAL;
    }
    FILE *f = fopen(tmp, "wb");
    bool ok = f && fwrite(file, 1, h.file_size, f) == h.file_size;
    ok = f && fclose(f) == 0 && ok;
    ok = ok && rename(tmp, path) == 0;
    free(file);
    if (!ok) {
        snprintf(err, err_size, "%s: cannot write: %s", path, strerror(errno));
        (void)unlink(tmp); // it may not be there; the error above is what matters
        return SL_ESYS;
    }
    return 0;
}

// Whether [off, off + len) lies inside a file of size bytes.
static bool
s_inside(uint64_t off, uint64_t len, uint64_t size)
{
    return off <= size && len <= size - off;
}

// Check every field and table entry that a lookup trusts; NULL when all is well, else why not.
static const char *
s_check(const uint8_t *map, size_t size)
{
    s_header_t h;
    if (size < HEADER_LEN)
        return "too short for a vocabulary file";
    memcpy(&h, map, sizeof h);
    if (memcmp(h.magic, MAGIC, sizeof h.magic) != 0)
        return "not a vocabulary file (bad magic; build it with sluice-bpe-convert)";
    if (h.byte_order != BYTE_ORDER)
        return "written on a machine of the other byte order";
    if (h.version != VERSION)
        return "unknown format version";
    if (h.file_size != size)
        return "size differs from its header (cut off?)";
    if (h.n_ranks == 0 || h.n_ranks >= SL_BPE_MAX_RANKS || h.n_slots < 16
        || (h.n_slots & (h.n_slots - 1)) != 0 || h.max_token_len > SL_BPE_MAX_TOKEN_LEN
        || h.pattern_len > SL_BPE_MAX_PATTERN_LEN)
        return "header out of range";
    if (h.slots_off % 8 || h.offsets_off % 4
        || !s_inside(h.slots_off, (uint64_t)h.n_slots * sizeof(s_slot_t), size)
        || !s_inside(h.offsets_off, ((uint64_t)h.n_ranks + 1) * sizeof(uint32_t), size)
        || !s_inside(h.blob_off, h.blob_len, size) || h.blob_len > UINT32_MAX
        || !s_inside(h.pattern_off, (uint64_t)h.pattern_len + 1, size))
        return "a section lies outside the file";
    if (map[h.pattern_off + h.pattern_len] != '\0' || memchr(h.name, '\0', sizeof h.name) == NULL)
        return "pattern or name not terminated";
    const uint32_t *offsets = (const uint32_t *)(const void *)(map + h.offsets_off);
    if (offsets[0] != 0 || offsets[h.n_ranks] != h.blob_len)
        return "rank table does not cover the tokens";
    for (uint32_t r = 0; r < h.n_ranks; r++)
        if (offsets[r + 1] < offsets[r] || offsets[r + 1] - offsets[r] > h.max_token_len)
            return "rank table out of order";
    const s_slot_t *slots = (const s_slot_t *)(const void *)(map + h.slots_off);
    uint32_t used = 0;
    for (uint32_t i = 0; i < h.n_slots; i++) {
        uint32_t len = slots[i].rank_len & 0xff, rank = slots[i].rank_len >> 8;
        if (len == 0)
            continue;
        used++;
        if (rank >= h.n_ranks || slots[i].off != offsets[rank]
            || offsets[rank + 1] - offsets[rank] != len)
            return "hash slot does not match its rank";
    }
    // Linear probing ends at an empty slot: there must be one.
    if (used > h.n_slots / 2)
        return "hash table too full";
    return NULL;
}

sl_bpe_vocab_t *
sl_bpe_vocab_open(const char *path, char *err, size_t err_size)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        snprintf(err, err_size, "%s: cannot open: %s", path, strerror(errno));
        return NULL;
    }
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        snprintf(err, err_size, "%s: not a regular file", path);
        close(fd);
        return NULL;
    }
    if (st.st_size < HEADER_LEN) {
        snprintf(err, err_size, "%s: too short for a vocabulary file (%lld bytes)", path,
                 (long long)st.st_size);
        close(fd);
        return NULL;
    }
    // Shared and read-only: every process that opens the file reads the same page-cache pages.
    void *map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_SHARED, fd, 0);
    int map_errno = errno;
    close(fd); // the mapping holds the file
    if (map == MAP_FAILED) {
        snprintf(err, err_size, "%s: cannot map: %s", path, strerror(map_errno));
        return NULL;
    }
    const char *why = s_check(map, (size_t)st.st_size);
    if (why) {
        snprintf(err, err_size, "%s: %s", path, why);
        munmap(map, (size_t)st.st_size);
        return NULL;
    }
    s_header_t h;
    memcpy(&h, map, sizeof h);
    sl_bpe_vocab_t *self = sl_xcalloc(1, sizeof *self);
    self->map = map;
    self->map_len = (size_t)st.st_size;
    self->slots = (const s_slot_t *)(const void *)(self->map + h.slots_off);
    self->slot_mask = h.n_slots - 1;
    self->offsets = (const uint32_t *)(const void *)(self->map + h.offsets_off);
    self->blob = self->map + h.blob_off;
    self->n_ranks = h.n_ranks;
    self->max_token_len = h.max_token_len;
    self->pattern = (const char *)self->map + h.pattern_off;
    memcpy(self->name, h.name, sizeof self->name);
    return self;
}

void
sl_bpe_vocab_close(sl_bpe_vocab_t **self_p)
{
    if (self_p && *self_p) {
        sl_bpe_vocab_t *self = *self_p;
        munmap((void *)self->map, self->map_len);
        free(self);
        *self_p = NULL;
    }
}

uint32_t
sl_bpe_vocab_rank(const sl_bpe_vocab_t *self, const uint8_t *bytes, size_t len)
{
    if (len == 0 || len > self->max_token_len)
        return SL_BPE_NO_RANK;
    uint32_t i = s_hash(bytes, len) & self->slot_mask;
    for (;;) {
        const s_slot_t *s = &self->slots[i];
        uint32_t slot_len = s->rank_len & 0xff;
        if (slot_len == 0)
            return SL_BPE_NO_RANK;
        if (slot_len == len && memcmp(self->blob + s->off, bytes, len) == 0)
            return s->rank_len >> 8;
        i = (i + 1) & self->slot_mask;
    }
}

const uint8_t *
sl_bpe_vocab_token(const sl_bpe_vocab_t *self, uint32_t rank, size_t *len_out)
{
    *len_out = 0;
    if (rank >= self->n_ranks || self->offsets[rank + 1] == self->offsets[rank])
        return NULL;
    *len_out = self->offsets[rank + 1] - self->offsets[rank];
    return self->blob + self->offsets[rank];
}

uint32_t
sl_bpe_vocab_n_ranks(const sl_bpe_vocab_t *self)
{
    return self->n_ranks;
}

size_t
sl_bpe_vocab_max_token_len(const sl_bpe_vocab_t *self)
{
    return self->max_token_len;
}

const char *
sl_bpe_vocab_name(const sl_bpe_vocab_t *self)
{
    return self->name;
}

const char *
sl_bpe_vocab_pattern(const sl_bpe_vocab_t *self)
{
    return self->pattern;
}

const void *
sl_bpe_vocab_map(const sl_bpe_vocab_t *self, size_t *len_out)
{
    *len_out = self->map_len;
    return self->map;
}
