/* regfile-parse.c: not written yet. */
#include "vhive.h"
