/* keypath.c: not written yet. */
#include "vhive.h"
