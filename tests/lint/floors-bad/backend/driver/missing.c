#include "registry.h"
/* Offence: nothing in the tree answers this one. */
#include "util/nonexistent.h"
#include "zvirtd-config.h"
