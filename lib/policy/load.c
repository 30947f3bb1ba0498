// SPDX-License-Identifier: GPL-2.0-or-later
/* Loading policy plugins with dlopen(). */
#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "forklock-exit.h"
#include "log.h"
#include "policy/policy.h"

static bool valid_name(const char *name)
{
	const char *p;

	if (!name || !*name || strlen(name) > 48)
		return false;
	for (p = name; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '-'))
			return false;
	return true;
}

/* @shown: the path the user gave, or NULL for the plugin directory's (its name says it) */
static int load_one(struct fl_policy_set *set, const char *path, const char *shown)
{
	const struct forklock_policy *(*reg)(void);
	const struct forklock_policy *p;
	struct fl_policy *n;
	void *dl;
	int i;

	if (access(path, R_OK) < 0)
		return fl_err(FL_EXIT_PLUGIN, "policy plugin %s: %s", path, strerror(errno));
	dl = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	if (!dl)
		return fl_err(FL_EXIT_PLUGIN, "policy plugin %s cannot be loaded: %s", path, dlerror());
	*(void **)&reg = dlsym(dl, FORKLOCK_POLICY_SYMBOL);
	if (!reg) {
		dlclose(dl);
		return fl_err(FL_EXIT_PLUGIN, "policy plugin %s has no %s() symbol",
			      path, FORKLOCK_POLICY_SYMBOL);
	}
	p = reg();
	if (!p) {
		dlclose(dl);
		return fl_err(FL_EXIT_PLUGIN, "policy plugin %s registered no policy", path);
	}
	if (p->abi != FORKLOCK_POLICY_ABI) {
		unsigned int abi = p->abi;	/* p is gone after dlclose() */

		dlclose(dl);
		return fl_err(FL_EXIT_PLUGIN, "policy plugin %s is built for policy ABI %u; "
			      "this forklock has ABI %d", path, abi, FORKLOCK_POLICY_ABI);
	}
	if (!valid_name(p->name) || !p->decide) {
		dlclose(dl);
		return fl_err(FL_EXIT_PLUGIN, "policy plugin %s: bad name or no decide()", path);
	}
	for (i = 0; i < set->nr; i++) {
		if (!strcmp(set->v[i].p->name, p->name)) {
			dlclose(dl);
			return fl_err(FL_EXIT_PLUGIN, "policy plugin %s: a policy named %s is "
				      "already loaded from %s", path, p->name,
				      set->v[i].path ? set->v[i].path : "the plugin directory");
		}
	}
	n = realloc(set->v, (set->nr + 1) * sizeof(*n));
	if (!n) {
		dlclose(dl);
		return fl_err(FL_EXIT_FAILURE, "out of memory");
	}
	set->v = n;
	set->v[set->nr].p = p;
	*(void **)&set->v[set->nr].decide_vma = dlsym(dl, FORKLOCK_POLICY_VMA_SYMBOL);
	set->v[set->nr].dl = dl;
	set->v[set->nr].path = shown ? strdup(shown) : NULL;
	if (shown && !set->v[set->nr].path) {
		dlclose(dl);
		return fl_err(FL_EXIT_FAILURE, "out of memory");
	}
	set->nr++;
	return 0;
}

int fl_policy_load_path(struct fl_policy_set *set, const char *path)
{
	return load_one(set, path, path);
}

/* "single-user.so" before "single-user-no-uffd.so": compare without ".so" */
static int cmp_str(const void *a, const void *b)
{
	const char *x = *(char *const *)a, *y = *(char *const *)b;
	size_t lx = strlen(x) - 3, ly = strlen(y) - 3;
	int c = strncmp(x, y, lx < ly ? lx : ly);

	return c ? c : (lx > ly) - (lx < ly);
}

static int load_dir(struct fl_policy_set *set, const char *dir)
{
	char **names = NULL;
	struct dirent *d;
	size_t nr = 0, i;
	int ret = 0;
	DIR *dh;

	dh = opendir(dir);
	if (!dh)
		return fl_err(FL_EXIT_PLUGIN, "policy plugin directory %s: %s", dir, strerror(errno));
	while ((d = readdir(dh))) {
		size_t len = strlen(d->d_name);
		char **n;

		if (len < 4 || strcmp(d->d_name + len - 3, ".so"))
			continue;
		n = realloc(names, (nr + 1) * sizeof(*n));
		if (!n)
			break;
		names = n;
		names[nr++] = strdup(d->d_name);
	}
	closedir(dh);
	/* a stable order for the report */
	qsort(names, nr, sizeof(*names), cmp_str);
	for (i = 0; i < nr; i++) {
		char path[PATH_MAX];

		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		if (!ret)
			ret = load_one(set, path, NULL);
		free(names[i]);
	}
	free(names);
	return ret;
}

static bool is_dir(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

int fl_policy_load_default(struct fl_policy_set *set)
{
	const char *env = getenv("FORKLOCK_PLUGIN_DIR");
	char exe[PATH_MAX], dir[PATH_MAX + 16];
	ssize_t n;

	if (env && *env)
		return load_dir(set, env);
	/* running from the build tree: build/cmd/forklock -> build/plugins */
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n > 0) {
		exe[n] = '\0';
		snprintf(dir, sizeof(dir), "%s/../plugins", dirname(exe));
		if (is_dir(dir) && access(dir, R_OK) == 0) {
			char probe[PATH_MAX + 64];

			snprintf(probe, sizeof(probe), "%s/single-user.so", dir);
			if (access(probe, R_OK) == 0)
				return load_dir(set, dir);
		}
	}
	if (is_dir(FORKLOCK_PLUGINDIR))
		return load_dir(set, FORKLOCK_PLUGINDIR);
	fl_warn("no policy plugin directory (looked for %s): no policies judged; "
		"set FORKLOCK_PLUGIN_DIR or use --policy-plugin", FORKLOCK_PLUGINDIR);
	return 0;
}

int fl_policy_select(struct fl_policy_set *set, const char *names)
{
	char *copy = strdup(names), *tok, *save = NULL;
	struct fl_policy *keep;
	int nr = 0, i;

	keep = calloc(set->nr ? set->nr : 1, sizeof(*keep));
	if (!copy || !keep) {
		free(copy);
		free(keep);
		return fl_err(FL_EXIT_FAILURE, "out of memory");
	}
	for (tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		bool again = false;

		for (i = 0; i < nr; i++)
			again |= !strcmp(keep[i].p->name, tok);
		if (again)
			continue;	/* named twice */
		for (i = 0; i < set->nr; i++)
			if (set->v[i].p && !strcmp(set->v[i].p->name, tok))
				break;
		if (i == set->nr) {
			int ret = fl_err(FL_EXIT_USAGE, "no policy named '%s' is loaded", tok);

			free(copy);
			free(keep);
			return ret;
		}
		keep[nr++] = set->v[i];
		set->v[i].p = NULL;	/* taken */
	}
	for (i = 0; i < set->nr; i++) {
		if (set->v[i].p) {
			dlclose(set->v[i].dl);
			free(set->v[i].path);
		}
	}
	free(set->v);
	set->v = keep;
	set->nr = nr;
	free(copy);
	return 0;
}

void fl_policy_set_free(struct fl_policy_set *set)
{
	int i;

	for (i = 0; i < set->nr; i++) {
		dlclose(set->v[i].dl);
		free(set->v[i].path);
	}
	free(set->v);
	set->v = NULL;
	set->nr = 0;
}
