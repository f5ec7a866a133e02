/* A client using what it may: its own header and backend/util. */

#include "client.h"
#include "util/log.h"
#include <stdio.h>
