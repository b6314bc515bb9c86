// SPDX-License-Identifier: GPL-2.0
/*
 * p2pctl dump: being written.
 */
#include "p2pctl.h"

int p2pctl_dump(int argc, char **argv)
{
	(void)argc;
	p2pctl_usage_err(argv[0], "not implemented yet");
	return P2PCTL_EXIT_USAGE;
}
