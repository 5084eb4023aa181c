/* regfile-apply.c: not written yet. */
#include "vhive.h"
