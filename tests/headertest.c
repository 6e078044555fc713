/* Compiled with -pedantic -Werror: the public header stands alone. */
#include "neardup.h"
int nd_headertest_dummy(void);
int nd_headertest_dummy(void) { return ND_VERSION_NUMBER > 0; }
