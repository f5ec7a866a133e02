/* Allowed: a *-internal.h from its own directory. */
#include "registry-internal.h"
