/* Error codes to messages, and version queries. */
#include "internal.h"

const char *nd_strerror(int code)
{
    switch (code) {
    case ND_OK: return "no error";
    case ND_E_NOMEM: return "out of memory";
    case ND_E_INVALID: return "invalid argument";
    case ND_E_PARAM: return "invalid parameter";
    case ND_E_TOO_LARGE: return "input too large";
    case ND_E_VERSION: return "unsupported version";
    case ND_E_STATE: return "call out of order";
    case ND_E_IO: return "input/output error";
    case ND_E_CORRUPT: return "corrupt data";
    case ND_E_CHECKSUM: return "checksum mismatch";
    case ND_E_PARAM_MISMATCH: return "parameters differ";
    case ND_E_LOCKED: return "resource is locked by another writer";
    case ND_E_BUFFER: return "output buffer too small";
    default: return "unknown error";
    }
}

unsigned nd_version_number(void) { return ND_VERSION_NUMBER; }
const char *nd_version_string(void) { return ND_VERSION_STRING; }
unsigned nd_normalization_version(void) { return ND_NORMALIZATION_VERSION; }

const char *nd_kind_name(nd_kind kind)
{
    switch (kind) {
    case ND_KIND_CONTENT: return "content";
    case ND_KIND_REPEAT: return "repeat";
    case ND_KIND_BOILERPLATE: return "boilerplate";
    default: return "unknown";
    }
}
