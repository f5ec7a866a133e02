/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* A text polkit agent (pkttyagent) for the password prompt, as systemctl
 * starts one. */

#include "zvirtctl.h"

/* Starts pkttyagent when not root, stdin is a terminal and the agent is
 * installed, and waits until it has registered. Best effort: without an
 * agent the call is refused by polkit with its reason. */
void polkit_agent_open(Ctl *ctl);
void polkit_agent_close(Ctl *ctl);
