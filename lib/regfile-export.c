/* regfile-export.c: not written yet. */
#include "vhive.h"
