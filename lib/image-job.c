/* image-job.c: not written yet. */
#include "vhive.h"
