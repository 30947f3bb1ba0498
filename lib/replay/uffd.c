// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * userfaultfd contexts: which process holds which uffd file descriptor, and
 * which mm each context belongs to.
 *
 * A context is created by userfaultfd() on the caller's mm (it holds
 * mm_count, not mm_users).  Its fd is inherited across fork and may be passed
 * to another process (SCM_RIGHTS, pidfd_getfd): that is invisible here, so a
 * holder found in the snapshot is assumed to own its context, and a fd first
 * seen in a UFFDIO_* ioctl learns its owner from the mmap_lock the ioctl
 * falls back to.  docs/forklock-report.1 lists these limits.
 */
#include <stdlib.h>
#include <string.h>

#include "replay/replay-int.h"

struct uffd_ctx {
	struct fl_mm *owner;	/* NULL: not known yet */
	int fds;		/* fds we know refer to it */
};

struct uffd_fd {
	int fd;
	bool cloexec;
	struct uffd_ctx *ctx;
};

struct fdtab {
	int nr, alloc;
	struct uffd_fd *fds;
};

#define UFFDIO_TYPE		0xAA
#define _UFFDIO_COPY		0x03
#define _UFFDIO_ZEROPAGE	0x04
#define _UFFDIO_MOVE		0x05
#define _UFFDIO_WRITEPROTECT	0x06
#define _UFFDIO_CONTINUE	0x07
#define _UFFDIO_POISON		0x08

bool uffd_is_access_cmd(uint32_t cmd)
{
	if (((cmd >> 8) & 0xff) != UFFDIO_TYPE)
		return false;
	switch (cmd & 0xff) {
	case _UFFDIO_COPY:
	case _UFFDIO_ZEROPAGE:
	case _UFFDIO_MOVE:
	case _UFFDIO_WRITEPROTECT:
	case _UFFDIO_CONTINUE:
	case _UFFDIO_POISON:
		return true;
	}
	return false;
}

static struct fdtab *fdtab(struct replay *rp, int tgid, bool create)
{
	struct fdtab *tab = u64map_get(&rp->fdtabs, (uint64_t)tgid + 1);

	if (tab || !create)
		return tab;
	tab = replay_calloc(rp, 1, sizeof(*tab));
	if (tab && replay_map_put(rp, &rp->fdtabs, (uint64_t)tgid + 1, tab) < 0) {
		free(tab);
		tab = NULL;
	}
	return tab;
}

static struct uffd_fd *find_fd(struct fdtab *tab, int fd)
{
	int i;

	for (i = 0; tab && i < tab->nr; i++)
		if (tab->fds[i].fd == fd)
			return &tab->fds[i];
	return NULL;
}

static void ctx_owner_set(struct uffd_ctx *ctx, struct fl_mm *owner)
{
	if (ctx->owner == owner)
		return;
	ctx->owner = owner;
	if (owner) {
		owner->refs++;
		owner->uffd_ctxs++;
		owner->uffd = FL_UFFD_PRESENT;
	}
}

static void ctx_put_fd(struct replay *rp, struct uffd_ctx *ctx)
{
	if (--ctx->fds > 0)
		return;
	/* last fd we know of: the context is released */
	if (ctx->owner) {
		if (--ctx->owner->uffd_ctxs == 0 && ctx->owner->uffd == FL_UFFD_PRESENT)
			ctx->owner->uffd = FL_UFFD_NONE;
		mm_put(rp, ctx->owner);
	}
	free(ctx);
}

static void add_fd(struct replay *rp, int tgid, int fd, bool cloexec, struct uffd_ctx *ctx)
{
	struct fdtab *tab = fdtab(rp, tgid, true);
	struct uffd_fd *slot;

	if (!tab)
		return;
	slot = find_fd(tab, fd);
	if (slot) {		/* a close we did not see: replace */
		ctx_put_fd(rp, slot->ctx);
	} else {
		if (tab->nr == tab->alloc) {
			int alloc = tab->alloc ? tab->alloc * 2 : 4;
			struct uffd_fd *n = replay_realloc(rp, tab->fds, alloc, sizeof(*n));

			if (!n)
				return;
			tab->fds = n;
			tab->alloc = alloc;
		}
		slot = &tab->fds[tab->nr++];
	}
	slot->fd = fd;
	slot->cloexec = cloexec;
	slot->ctx = ctx;
	ctx->fds++;
}

static struct uffd_ctx *ctx_new(struct replay *rp, struct fl_mm *owner)
{
	struct uffd_ctx *ctx = replay_calloc(rp, 1, sizeof(*ctx));

	if (ctx)
		ctx_owner_set(ctx, owner);
	return ctx;
}

void uffd_created(struct replay *rp, struct task *t, int fd, bool cloexec)
{
	struct uffd_ctx *ctx;

	if (t->tgid <= 0)
		return;
	ctx = ctx_new(rp, t->mm);
	if (ctx)
		add_fd(rp, t->tgid, fd, cloexec, ctx);
}

void uffd_snapshot_fd(struct replay *rp, int tgid, struct fl_mm *owner, int fd)
{
	struct uffd_ctx *ctx = ctx_new(rp, owner);

	if (ctx)
		add_fd(rp, tgid, fd, false, ctx);
}

struct fl_mm *uffd_owner(struct replay *rp, int tgid, int fd)
{
	struct uffd_fd *f = find_fd(fdtab(rp, tgid, false), fd);

	return f ? f->ctx->owner : NULL;
}

void uffd_learn_owner(struct replay *rp, int tgid, int fd, struct fl_mm *owner)
{
	struct uffd_fd *f = find_fd(fdtab(rp, tgid, false), fd);
	struct uffd_ctx *ctx;

	if (f) {
		if (!f->ctx->owner)
			ctx_owner_set(f->ctx, owner);
		return;
	}
	/* a uffd that reached this process unseen (SCM_RIGHTS, pidfd_getfd) */
	ctx = ctx_new(rp, owner);
	if (ctx)
		add_fd(rp, tgid, fd, false, ctx);
}

void uffd_closed(struct replay *rp, int tgid, int fd)
{
	struct fdtab *tab = fdtab(rp, tgid, false);
	struct uffd_fd *f = find_fd(tab, fd);

	if (!f)
		return;
	ctx_put_fd(rp, f->ctx);
	*f = tab->fds[--tab->nr];
}

void uffd_fork(struct replay *rp, int parent_tgid, int child_tgid)
{
	struct fdtab *tab = fdtab(rp, parent_tgid, false);
	int i;

	for (i = 0; tab && i < tab->nr; i++)
		add_fd(rp, child_tgid, tab->fds[i].fd, tab->fds[i].cloexec, tab->fds[i].ctx);
}

void uffd_exec(struct replay *rp, int tgid)
{
	struct fdtab *tab = fdtab(rp, tgid, false);
	int i = 0;

	while (tab && i < tab->nr) {
		if (tab->fds[i].cloexec)
			uffd_closed(rp, tgid, tab->fds[i].fd);
		else
			i++;
	}
}

void uffd_exit(struct replay *rp, int tgid)
{
	struct fdtab *tab = u64map_del(&rp->fdtabs, (uint64_t)tgid + 1);
	int i;

	if (!tab)
		return;
	for (i = 0; i < tab->nr; i++)
		ctx_put_fd(rp, tab->fds[i].ctx);
	free(tab->fds);
	free(tab);
}

void uffd_free(struct replay *rp)
{
	size_t it = 0;
	uint64_t key;

	while (u64map_next(&rp->fdtabs, &it, &key, NULL)) {
		uffd_exit(rp, (int)(key - 1));
		it = 0;
	}
	u64map_free(&rp->fdtabs);
}
