/* marvin32.c: not written yet. */
#include "vhive.h"
