/* A client that reaches into the daemon. */

#include "objects/objects.h"
