/* image-detect.c: not written yet. */
#include "vhive.h"
