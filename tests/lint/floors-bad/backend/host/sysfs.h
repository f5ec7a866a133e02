#pragma once
#include "conf/settings.h"
