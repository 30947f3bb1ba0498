/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef FORKLOCK_SHELL_H
#define FORKLOCK_SHELL_H

/*
 * "@prog ARG ARG..." with each of @argv quoted for sh where it needs to be
 * ("forklock report --format mail 'my file.dat'").  @prog may be "".
 * Returns a malloc()ed string, NULL without memory.
 */
char *fl_shell_join(const char *prog, int argc, char **argv);

#endif
