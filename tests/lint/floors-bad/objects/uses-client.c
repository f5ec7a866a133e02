/* The daemon must not use a client. */

#include "zvirtctl/client.h"
