#pragma once
#include "qemu/qmp.h"
#include "host/sysfs.h"
#include "conf/settings.h"
