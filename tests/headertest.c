/* Compiled with -pedantic -Werror, as C and (when a C++ compiler is found)
 * as C++: the public header stands alone, and its initializer macros give
 * no warning (missing field initializers included). */
#include "neardup.h"

int nd_headertest_dummy(void);
int nd_headertest_dummy(void)
{
    nd_para_info p = ND_PARA_INFO_INIT;
    nd_doc_info d = ND_DOC_INFO_INIT;
    nd_stream_doc s = ND_STREAM_DOC_INIT;
    const char *v = ND_VERSION_STRING;
    return ND_VERSION_NUMBER > 0 && v[0] != '\0' && p.version == ND_PARA_INFO_VERSION
        && d.version == ND_DOC_INFO_VERSION && s.version == ND_STREAM_DOC_VERSION
        && ND_E_BUFFER < 0 && ND_SEQ_NONE != 0 && ND_NONE != 0;
}
