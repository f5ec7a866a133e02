#pragma once
#include <syslog.h>
/*
#include "service/config.h" in a comment is not an include
*/
static const char *const glob = "/*.xml"; /* a string, not a comment */
/* Offence: util is the bottom floor. */
#include "conf/settings.h"
#include "../qemu/qmp.h"
