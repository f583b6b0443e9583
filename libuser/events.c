// SPDX-License-Identifier: LGPL-2.1 OR MIT
/*
 * libkcache events: hooks fed from the kernel's generic netlink family
 * "lrucache" (see the uapi header for the protocol and kcache.h for the
 * API), through libnl-3 and libnl-genl-3.
 *
 * One socket per handle, opened by its first hook. It is subscribed with
 * LRUCACHE_CMD_SUBSCRIBE for the handle's cache (none for
 * kcache_watch_all(): every cache) and the union of the masks its hooks
 * need; subscribing again replaces the subscription. The kernel then sends
 * the socket unsolicited LRUCACHE_CMD_EVENT messages (sequence number 0
 * in the netlink header: libnl's sequence check is off), each carrying the
 * socket's own event number LRUCACHE_ATTR_SEQ, whose gaps are the losses.
 *
 * The socket also joins nlctrl's "notify" group, to see the family go
 * away when the module is unloaded (CTRL_CMD_DELFAMILY): a socket of
 * kcache_watch_all() does not pin the module, and would otherwise wait
 * forever in silence.
 *
 * Requests are answered synchronously: the kernel handles a generic
 * netlink request inside the sendmsg() that carries it, and queues the
 * answer (an ack, or an error) on the socket before sendmsg() returns,
 * behind the events already there. So after sending, reading until the
 * socket is empty either finds the answer or proves it was dropped (a
 * full receive buffer: ENOBUFS), and the request is sent again. Events
 * read meanwhile go to the hooks already there.
 *
 * libnl is not linked: its functions are called through the sym_*
 * pointers below, which kcache_dlib_load() (deps.c) fills on the first
 * kcache_add_hook(); without the library that call fails with -ELIBACC.
 * Formatting events and the logging hook need no libnl.
 */
#define _GNU_SOURCE

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include <netlink/errno.h>
#include <netlink/genl/ctrl.h>
#include <netlink/genl/genl.h>
#include <netlink/msg.h>
#include <netlink/netlink.h>
#include <netlink/socket.h>

#include "kcache_internal.h"

/* ---- libnl-3 and libnl-genl-3, loaded on first use */

#define LIBNL_FUNCTIONS(X)						\
	X(genl_connect) X(genl_ctrl_resolve) X(genl_ctrl_resolve_grp)	\
	X(genlmsg_parse) X(genlmsg_put) X(genlmsg_valid_hdr)		\
	X(nl_cb_put) X(nl_recvmsgs_report) X(nl_send_auto)		\
	X(nl_socket_add_membership) X(nl_socket_alloc)			\
	X(nl_socket_disable_seq_check) X(nl_socket_free)		\
	X(nl_socket_get_cb) X(nl_socket_get_fd) X(nl_socket_modify_cb)	\
	X(nl_socket_modify_err_cb) X(nl_socket_set_buffer_size)	\
	X(nl_socket_set_nonblocking) X(nl_syserr2nlerr)		\
	X(nla_data) X(nla_get_u16) X(nla_get_u32) X(nla_get_u64)	\
	X(nla_len) X(nla_put_string) X(nla_put_u32)			\
	X(nlmsg_alloc) X(nlmsg_data) X(nlmsg_free) X(nlmsg_hdr)

#define DECLARE_SYM(fn) static __typeof__(fn) *sym_##fn;
LIBNL_FUNCTIONS(DECLARE_SYM)
#undef DECLARE_SYM

static const struct kcache_dlsym libnl_syms[] = {
#define SYM_ENTRY(fn) { #fn, (void **)&sym_##fn },
	LIBNL_FUNCTIONS(SYM_ENTRY)
#undef SYM_ENTRY
};

/* libnl-genl-3 needs libnl-3: dlsym() finds the functions of both. */
static struct kcache_dlib libnl = KCACHE_DLIB(KCACHE_LIBNL_GENL_SONAME,
					      libnl_syms);

/* How often a request whose answer was dropped is sent. */
#define EV_REQUEST_TRIES	4
/* How long to wait for an answer that is neither there nor dropped. */
#define EV_REPLY_TIMEOUT_MS	5000

struct ev_hook {
	const struct kcache_hook_ops *ops;
	void *arg;
	uint32_t mask;			/* events it wants */
};

struct kcache_events {
	struct nl_sock *sk;
	struct nl_cb *cb;		/* the socket's, referenced */
	int family;			/* the "lrucache" family's id */
	uint32_t mask;			/* subscribed to; 0 before that */
	struct ev_hook *hooks;
	size_t nhooks, cap;
	uint64_t last_seq;		/* of the last event read */
	int dispatched;			/* events read by this dispatch */
	bool busy;			/* in a hook, or reading for a request */
	bool gone;			/* the family was unregistered */
	/* The request waiting for its answer. */
	uint32_t req_seq;
	bool req_done;
	int req_err;
};

/* A libnl error code as a negative errno. */
static int nl_errno(int nlerr)
{
	switch (nlerr < 0 ? -nlerr : nlerr) {
	case 0:
		return 0;
	case NLE_NOMEM:
		return -ENOMEM;
	case NLE_AGAIN:
		return -EAGAIN;
	case NLE_INTR:
		return -EINTR;
	case NLE_BAD_SOCK:
		return -EBADF;
	case NLE_PERM:
		return -EPERM;
	case NLE_NOACCESS:
		return -EACCES;
	case NLE_EXIST:
		return -EEXIST;
	case NLE_INVAL:
	case NLE_MISSING_ATTR:
		return -EINVAL;
	case NLE_RANGE:
		return -ERANGE;
	case NLE_MSGSIZE:
		return -EMSGSIZE;
	case NLE_OPNOTSUPP:
		return -EOPNOTSUPP;
	case NLE_AF_NOSUPPORT:
		return -EAFNOSUPPORT;
	case NLE_OBJ_NOTFOUND:
		return -ENOENT;
	case NLE_BUSY:
		return -EBUSY;
	case NLE_PROTO_MISMATCH:
		return -EPROTONOSUPPORT;
	case NLE_NODEV:
		return -ENODEV;
	case NLE_NOADDR:
		return -EADDRNOTAVAIL;
	case NLE_MSG_TRUNC:
	case NLE_MSG_TOOSHORT:
	case NLE_MSG_OVERFLOW:
	case NLE_PARSE_ERR:
		return -EBADMSG;
	default:
		return -EIO;
	}
}

static void (*const *hook_cb(const struct kcache_hook_ops *ops, int type))
	(const struct kcache_event *, void *)
{
	switch (type) {
	case KCACHE_EVENT_HIT:
		return &ops->on_hit;
	case KCACHE_EVENT_MISS:
		return &ops->on_miss;
	case KCACHE_EVENT_SET:
		return &ops->on_set;
	case KCACHE_EVENT_DELETE:
		return &ops->on_delete;
	case KCACHE_EVENT_EVICT:
		return &ops->on_evict;
	case KCACHE_EVENT_EXPIRE:
		return &ops->on_expire;
	case KCACHE_EVENT_RECLAIM:
		return &ops->on_reclaim;
	default:
		return NULL;
	}
}

/* The events whose callbacks @ops sets. */
static uint32_t ops_mask(const struct kcache_hook_ops *ops)
{
	uint32_t mask = 0;
	int type;

	for (type = 1; type <= KCACHE_EVENT_MAX; type++)
		if (*hook_cb(ops, type))
			mask |= KCACHE_EVENT_BIT(type);
	return mask;
}

static uint32_t logging_mask(const void *arg, int *err);

/* Events to the hooks */

static int event_level(int type)
{
	switch (type) {
	case KCACHE_EVENT_HIT:
	case KCACHE_EVENT_MISS:
	case KCACHE_EVENT_SET:
		return LOG_DEBUG;
	case KCACHE_EVENT_RECLAIM:
		return LOG_NOTICE;
	default:
		return LOG_INFO;
	}
}

static void call_lost(struct kcache_events *ev, uint64_t n)
{
	size_t i;

	/* By index: the array is not changed during a dispatch. */
	for (i = 0; i < ev->nhooks; i++)
		if (ev->hooks[i].ops->on_lost)
			ev->hooks[i].ops->on_lost(n, ev->hooks[i].arg);
}

static void call_hooks(struct kcache_events *ev, const struct kcache_event *e)
{
	size_t i;

	for (i = 0; i < ev->nhooks; i++) {
		const struct ev_hook *h = &ev->hooks[i];
		void (*cb)(const struct kcache_event *, void *);

		if (!(h->mask & KCACHE_EVENT_BIT(e->type)))
			continue;
		cb = *hook_cb(h->ops, e->type);
		if (cb)
			cb(e, h->arg);
	}
}

static uint32_t get_u32(struct nlattr *a)
{
	return sym_nla_len(a) >= 4 ? sym_nla_get_u32(a) : 0;
}

/*
 * One LRUCACHE_CMD_EVENT. A message without the attributes every event
 * has is dropped (it cannot be from the module this was written for),
 * though its sequence number still counts.
 */
static void handle_event(struct kcache_events *ev, struct nlmsghdr *nlh)
{
	struct nlattr *a[LRUCACHE_ATTR_MAX + 1];
	char cache[LRUCACHE_NAME_MAX];
	struct kcache_event e;
	uint64_t seq, gap;
	size_t len;

	if (sym_genlmsg_parse(nlh, 0, a, LRUCACHE_ATTR_MAX, NULL) < 0)
		return;
	if (!a[LRUCACHE_ATTR_SEQ] || sym_nla_len(a[LRUCACHE_ATTR_SEQ]) < 8)
		return;
	seq = sym_nla_get_u64(a[LRUCACHE_ATTR_SEQ]);
	/*
	 * The kernel numbers a subscription's events from 1; a number that
	 * does not go up is the first of a renewed subscription.
	 */
	gap = seq > ev->last_seq ? seq - ev->last_seq - 1 : seq - 1;
	ev->last_seq = seq;
	if (gap)
		call_lost(ev, gap);

	if (!a[LRUCACHE_ATTR_CACHE] || !a[LRUCACHE_ATTR_TYPE] ||
	    !a[LRUCACHE_ATTR_KEY_LEN] || !a[LRUCACHE_ATTR_KEY_HASH] ||
	    !a[LRUCACHE_ATTR_VALUE_LEN])
		return;
	len = (size_t)sym_nla_len(a[LRUCACHE_ATTR_CACHE]);
	if (len > sizeof(cache) - 1)
		len = sizeof(cache) - 1;
	memcpy(cache, sym_nla_data(a[LRUCACHE_ATTR_CACHE]), len);
	cache[len] = 0;

	memset(&e, 0, sizeof(e));
	e.cache = cache;
	e.type = (int)get_u32(a[LRUCACHE_ATTR_TYPE]);
	e.key_len = get_u32(a[LRUCACHE_ATTR_KEY_LEN]);
	e.key_hash = get_u32(a[LRUCACHE_ATTR_KEY_HASH]);
	e.value_len = get_u32(a[LRUCACHE_ATTR_VALUE_LEN]);
	e.age_s = a[LRUCACHE_ATTR_AGE_S] ?
		  (int64_t)get_u32(a[LRUCACHE_ATTR_AGE_S]) : -1;
	e.seq = seq;
	if (a[LRUCACHE_ATTR_LOST] && sym_nla_len(a[LRUCACHE_ATTR_LOST]) >= 8)
		e.lost = sym_nla_get_u64(a[LRUCACHE_ATTR_LOST]);
	if (a[LRUCACHE_ATTR_KEY] &&
	    (size_t)sym_nla_len(a[LRUCACHE_ATTR_KEY]) == e.key_len)
		e.key = sym_nla_data(a[LRUCACHE_ATTR_KEY]);
	if (e.type < 1 || e.type > KCACHE_EVENT_MAX)
		return;		/* not asked for: a later module's type */
	if (ev->dispatched < INT_MAX)
		ev->dispatched++;
	call_hooks(ev, &e);
}

/* nlctrl's notifications: only the end of the lrucache family matters. */
static void handle_ctrl(struct kcache_events *ev, struct nlmsghdr *nlh)
{
	struct nlattr *a[CTRL_ATTR_MAX + 1];
	struct genlmsghdr *gh = sym_nlmsg_data(nlh);

	if (gh->cmd != CTRL_CMD_DELFAMILY ||
	    sym_genlmsg_parse(nlh, 0, a, CTRL_ATTR_MAX, NULL) < 0)
		return;
	if (a[CTRL_ATTR_FAMILY_ID] &&
	    sym_nla_get_u16(a[CTRL_ATTR_FAMILY_ID]) == ev->family)
		ev->gone = true;
}

static int valid_cb(struct nl_msg *msg, void *arg)
{
	struct kcache_events *ev = arg;
	struct nlmsghdr *nlh = sym_nlmsg_hdr(msg);

	if (!sym_genlmsg_valid_hdr(nlh, 0))
		return NL_OK;
	if (nlh->nlmsg_type == ev->family) {
		if (((struct genlmsghdr *)sym_nlmsg_data(nlh))->cmd ==
		    LRUCACHE_CMD_EVENT)
			handle_event(ev, nlh);
	} else if (nlh->nlmsg_type == GENL_ID_CTRL) {
		handle_ctrl(ev, nlh);
	}
	return NL_OK;
}

static int ack_cb(struct nl_msg *msg, void *arg)
{
	struct kcache_events *ev = arg;

	if (sym_nlmsg_hdr(msg)->nlmsg_seq == ev->req_seq) {
		ev->req_done = true;
		ev->req_err = 0;
	}
	return NL_OK;
}

static int err_cb(struct sockaddr_nl *nla, struct nlmsgerr *e, void *arg)
{
	struct kcache_events *ev = arg;

	(void)nla;
	if (e->msg.nlmsg_seq == ev->req_seq) {
		ev->req_done = true;
		ev->req_err = e->error < 0 ? e->error : -EIO;
	}
	return NL_SKIP;		/* not an error of the read: go on */
}

/*
 * Read and dispatch what is waiting, up to @max messages, stopping early
 * once the pending request is answered if @for_reply. 1 if the socket was
 * emptied, 0 if the read stopped before, or a negative errno. An overrun
 * (ENOBUFS) is no error: the sequence numbers account for its losses.
 */
static int ev_read(struct kcache_events *ev, unsigned int max, bool for_reply)
{
	unsigned int n = 0;
	int ret;

	while (n < max) {
		if (ev->gone || (for_reply && ev->req_done))
			return 0;
		errno = 0;
		ret = sym_nl_recvmsgs_report(ev->sk, ev->cb);
		if (ret > 0) {
			n += (unsigned int)ret;
			continue;
		}
		if (ret == 0 || ret == -NLE_AGAIN)
			return 1;
		/* libnl reports ENOBUFS as NLE_NOMEM; errno tells them apart. */
		if (ret == -sym_nl_syserr2nlerr(ENOBUFS) && errno == ENOBUFS)
			continue;
		return nl_errno(ret);
	}
	return 0;
}

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/*
 * Send @cmd (LRUCACHE_CMD_SUBSCRIBE with @mask) and wait for its answer,
 * dispatching the events read meanwhile: 0 or the kernel's negative errno.
 */
static int ev_request(struct kcache *c, uint8_t cmd, uint32_t mask)
{
	struct kcache_events *ev = c->ev;
	struct nl_msg *msg;
	long long deadline;
	int tries, ret;

	for (tries = 0; tries < EV_REQUEST_TRIES; tries++) {
		/* Make room for the answer first. */
		ret = ev_read(ev, KCACHE_EVENTS_DISPATCH_MAX, false);
		if (ret < 0)
			return ret;
		if (ev->gone)
			return -ENODEV;

		msg = sym_nlmsg_alloc();
		if (!msg)
			return -ENOMEM;
		if (!sym_genlmsg_put(msg, NL_AUTO_PORT, NL_AUTO_SEQ,
				     ev->family, 0, 0, cmd,
				     LRUCACHE_GENL_VERSION) ||
		    (cmd == LRUCACHE_CMD_SUBSCRIBE && c->name[0] &&
		     sym_nla_put_string(msg, LRUCACHE_ATTR_CACHE, c->name)) ||
		    (cmd == LRUCACHE_CMD_SUBSCRIBE &&
		     sym_nla_put_u32(msg, LRUCACHE_ATTR_EVENTS, mask))) {
			sym_nlmsg_free(msg);
			return -ENOMEM;
		}
		/* Completes the header: our port, a sequence number, an ack. */
		ret = sym_nl_send_auto(ev->sk, msg);
		ev->req_seq = sym_nlmsg_hdr(msg)->nlmsg_seq;
		sym_nlmsg_free(msg);
		if (ret < 0)
			return nl_errno(ret);
		ev->req_done = false;

		deadline = now_ms() + EV_REPLY_TIMEOUT_MS;
		for (;;) {
			struct pollfd pfd = {
				.fd = sym_nl_socket_get_fd(ev->sk),
				.events = POLLIN,
			};
			long long left;

			ret = ev_read(ev, KCACHE_EVENTS_DISPATCH_MAX, true);
			if (ret < 0)
				return ret;
			if (ev->req_done)
				return ev->req_err;
			if (ev->gone)
				return -ENODEV;
			if (ret == 1)
				break;	/* emptied without it: it was dropped */
			left = deadline - now_ms();
			if (left <= 0)
				return -ETIMEDOUT;
			/* Events keep coming: read on, within the bound. */
			if (poll(&pfd, 1, (int)left) < 0 && errno != EINTR)
				return -errno;
		}
	}
	return -ENOBUFS;
}

/* A family that cannot be found: no module, or a module without events. */
static int family_missing(void)
{
	return access("/sys/module/lrucache", F_OK) ? -ENODEV : -EOPNOTSUPP;
}

static void ev_close(struct kcache_events *ev)
{
	if (ev->cb)
		sym_nl_cb_put(ev->cb);
	ev->cb = NULL;
	sym_nl_socket_free(ev->sk);
	ev->sk = NULL;
	ev->mask = 0;
	ev->last_seq = 0;
	ev->gone = false;
}

static int ev_open(struct kcache_events *ev)
{
	int ret, grp, fd, tries;

	ev->sk = sym_nl_socket_alloc();
	if (!ev->sk)
		return -ENOMEM;
	/* Events come unsolicited, with sequence number 0. */
	sym_nl_socket_disable_seq_check(ev->sk);
	ret = sym_genl_connect(ev->sk);
	if (ret < 0) {
		/*
		 * libnl folds the errnos it has no code for (ENFILE, EMFILE,
		 * ...) into NLE_FAILURE; socket(2)'s or bind(2)'s is still
		 * in errno.
		 */
		ret = ret == -NLE_FAILURE && errno ? -errno : nl_errno(ret);
		goto fail;
	}
	fd = sym_nl_socket_get_fd(ev->sk);
	if (fcntl(fd, F_SETFD, FD_CLOEXEC) < 0) {
		ret = -errno;
		goto fail;
	}
	/* Best effort: the kernel caps it at net.core.rmem_max. */
	sym_nl_socket_set_buffer_size(ev->sk, KCACHE_EVENTS_RCVBUF, 0);

	/*
	 * libnl reports any failure of its probe (no memory, an answer
	 * lost) as "not found": only a family missing at every try, with
	 * the module loaded, is missing.
	 */
	for (tries = 0; tries < 4; tries++) {
		ret = sym_genl_ctrl_resolve(ev->sk, LRUCACHE_GENL_NAME);
		if (ret != -NLE_OBJ_NOTFOUND ||
		    access("/sys/module/lrucache", F_OK))
			break;
	}
	if (ret < 0) {
		ret = ret == -NLE_OBJ_NOTFOUND ? family_missing() :
						 nl_errno(ret);
		goto fail;
	}
	ev->family = ret;
	/* Without it only an unload goes unnoticed: not worth failing. */
	grp = sym_genl_ctrl_resolve_grp(ev->sk, "nlctrl", "notify");
	if (grp >= 0)
		sym_nl_socket_add_membership(ev->sk, grp);

	ret = sym_nl_socket_modify_cb(ev->sk, NL_CB_VALID, NL_CB_CUSTOM,
				  valid_cb, ev);
	if (!ret)
		ret = sym_nl_socket_modify_cb(ev->sk, NL_CB_ACK, NL_CB_CUSTOM,
					  ack_cb, ev);
	if (!ret)
		ret = sym_nl_socket_modify_err_cb(ev->sk, NL_CB_CUSTOM, err_cb,
					      ev);
	if (!ret)
		ret = sym_nl_socket_set_nonblocking(ev->sk);
	if (ret < 0) {
		ret = nl_errno(ret);
		goto fail;
	}
	ev->cb = sym_nl_socket_get_cb(ev->sk);
	ev->mask = 0;
	ev->last_seq = 0;
	ev->gone = false;
	return 0;

fail:
	ev_close(ev);
	return ret;
}

static uint32_t hooks_mask(const struct kcache_events *ev)
{
	uint32_t mask = 0;
	size_t i;

	for (i = 0; i < ev->nhooks; i++)
		mask |= ev->hooks[i].mask;
	return mask;
}

static ssize_t find_hook(const struct kcache_events *ev,
			 const struct kcache_hook_ops *ops, void *arg)
{
	size_t i;

	for (i = 0; i < ev->nhooks; i++)
		if (ev->hooks[i].ops == ops && ev->hooks[i].arg == arg)
			return (ssize_t)i;
	return -1;
}

int kcache_add_hook(struct kcache *c, const struct kcache_hook_ops *ops,
		    void *arg)
{
	struct kcache_events *ev;
	uint32_t mask, want;
	size_t i;
	int ret;

	if (!c || !ops)
		return -EINVAL;
	for (i = 0; i < sizeof(ops->reserved) / sizeof(ops->reserved[0]); i++)
		if (ops->reserved[i])
			return -EINVAL;
	mask = ops_mask(ops);
	if (ops == &kcache_logging_hook) {
		mask &= logging_mask(arg, &ret);
		if (ret)
			return ret;
	}
	if (!mask)
		return -EINVAL;
	ret = kcache_dlib_load(&libnl);
	if (ret)
		return ret;

	if (!c->ev) {
		c->ev = calloc(1, sizeof(*c->ev));
		if (!c->ev)
			return -ENOMEM;
	}
	ev = c->ev;
	if (ev->busy)
		return -EBUSY;
	if (find_hook(ev, ops, arg) >= 0)
		return -EEXIST;
	if (ev->nhooks == ev->cap) {
		size_t cap = ev->cap ? ev->cap * 2 : 4;
		struct ev_hook *hooks = realloc(ev->hooks,
						cap * sizeof(*hooks));

		if (!hooks)
			return -ENOMEM;
		ev->hooks = hooks;
		ev->cap = cap;
	}

	if (!ev->sk) {
		ret = ev_open(ev);
		if (ret)
			return ret;
	} else if (ev->gone) {
		return -ENODEV;
	}
	want = ev->mask | mask;
	if (want != ev->mask) {
		ev->busy = true;
		ret = ev_request(c, LRUCACHE_CMD_SUBSCRIBE, want);
		ev->busy = false;
		if (ret) {
			if (!ev->nhooks)
				ev_close(ev);
			return ret;
		}
		ev->mask = want;
	}
	ev->hooks[ev->nhooks++] = (struct ev_hook){
		.ops = ops, .arg = arg, .mask = mask,
	};
	return 0;
}

int kcache_remove_hook(struct kcache *c, const struct kcache_hook_ops *ops,
		       void *arg)
{
	struct kcache_events *ev;
	ssize_t idx;
	uint32_t want;

	if (!c || !ops)
		return -EINVAL;
	ev = c->ev;
	if (!ev)
		return -ENOENT;
	if (ev->busy)
		return -EBUSY;
	idx = find_hook(ev, ops, arg);
	if (idx < 0)
		return -ENOENT;
	memmove(&ev->hooks[idx], &ev->hooks[idx + 1],
		(ev->nhooks - (size_t)idx - 1) * sizeof(ev->hooks[0]));
	ev->nhooks--;

	if (!ev->nhooks) {
		/* Closing the socket ends the subscription. */
		ev_close(ev);
		return 0;
	}
	want = hooks_mask(ev);
	if (want != ev->mask && !ev->gone) {
		ev->busy = true;
		if (!ev_request(c, LRUCACHE_CMD_SUBSCRIBE, want))
			ev->mask = want;
		ev->busy = false;
	}
	return 0;
}

int kcache_events_fd(struct kcache *c)
{
	if (!c)
		return -EINVAL;
	if (!c->ev || !c->ev->sk)
		return -ENOENT;
	if (c->ev->busy)
		return -EBUSY;
	return sym_nl_socket_get_fd(c->ev->sk);
}

int kcache_events_dispatch(struct kcache *c)
{
	struct kcache_events *ev;
	int ret;

	if (!c)
		return -EINVAL;
	ev = c->ev;
	if (!ev || !ev->sk)
		return -ENOENT;
	if (ev->busy)
		return -EBUSY;
	if (ev->gone)
		return -ENODEV;
	ev->busy = true;
	ev->dispatched = 0;
	ret = ev_read(ev, KCACHE_EVENTS_DISPATCH_MAX, false);
	ev->busy = false;
	if (ret < 0)
		return ret;
	if (ev->gone)
		return -ENODEV;
	return ev->dispatched;
}

void kcache_events_free(struct kcache *c)
{
	if (!c->ev)
		return;
	if (c->ev->sk)
		ev_close(c->ev);
	free(c->ev->hooks);
	free(c->ev);
	c->ev = NULL;
}

int kcache_watch_all(struct kcache **out)
{
	struct kcache *c;

	if (!out)
		return -EINVAL;
	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->fd = -1;
	*out = c;
	return 0;
}

const char *kcache_event_type_name(int type)
{
	static const char *const names[] = {
		[KCACHE_EVENT_HIT]	= "hit",
		[KCACHE_EVENT_MISS]	= "miss",
		[KCACHE_EVENT_SET]	= "set",
		[KCACHE_EVENT_DELETE]	= "delete",
		[KCACHE_EVENT_EVICT]	= "evict",
		[KCACHE_EVENT_EXPIRE]	= "expire",
		[KCACHE_EVENT_RECLAIM]	= "reclaim",
	};

	if (type < 1 || type > KCACHE_EVENT_MAX)
		return "unknown";
	return names[type];
}

/* Append to a bounded buffer, snprintf-style: @len counts what would be. */
struct fmt {
	char *buf;
	size_t size;
	size_t len;
};

static void fmt_add(struct fmt *f, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void fmt_add(struct fmt *f, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(f->len < f->size ? f->buf + f->len : NULL,
		      f->len < f->size ? f->size - f->len : 0, fmt, ap);
	va_end(ap);
	if (n > 0)
		f->len += (size_t)n;
}

int kcache_event_format(const struct kcache_event *ev, char *buf,
			size_t size)
{
	struct fmt f = { .buf = buf, .size = size };
	const unsigned char *k = ev ? ev->key : NULL;
	bool printable = true;
	size_t i;

	if (!ev || (!buf && size))
		return -EINVAL;
	if (size)
		buf[0] = 0;
	fmt_add(&f, "%s %s ", ev->cache ? ev->cache : "",
		kcache_event_type_name(ev->type));
	if (!k) {
		fmt_add(&f, "key_hash=%08x", (unsigned int)ev->key_hash);
	} else {
		for (i = 0; i < ev->key_len; i++)
			if (k[i] < 0x20 || k[i] > 0x7e)
				printable = false;
		fmt_add(&f, "key=%s", printable ? "\"" : "0x");
		for (i = 0; i < ev->key_len; i++) {
			if (!printable)
				fmt_add(&f, "%02x", k[i]);
			else if (k[i] == '"' || k[i] == '\\')
				fmt_add(&f, "\\%c", k[i]);
			else
				fmt_add(&f, "%c", k[i]);
		}
		if (printable)
			fmt_add(&f, "\"");
	}
	fmt_add(&f, " key_len=%zu value_len=%zu", ev->key_len, ev->value_len);
	if (ev->age_s >= 0)
		fmt_add(&f, " age_s=%lld", (long long)ev->age_s);
	fmt_add(&f, " seq=%llu", (unsigned long long)ev->seq);
	return f.len > INT_MAX ? INT_MAX : (int)f.len;
}

/* kcache_logging_hook */

/* Options with the defaults filled in; 0 or -EINVAL in *@err. */
static struct kcache_logging_opts logging_opts(const void *arg, int *err)
{
	struct kcache_logging_opts o;

	*err = KCACHE_OPTS_GET(arg, &o, flags);
	if (*err)
		return o;
	if (!arg)
		o.stream = stderr;
	if (!o.level)
		o.level = LOG_DEBUG;
	if (!o.events)
		o.events = KCACHE_EVENT_ALL;
	if (o.flags || o.level < LOG_EMERG || o.level > LOG_DEBUG ||
	    (o.events & ~(uint32_t)KCACHE_EVENT_ALL))
		*err = -EINVAL;
	return o;
}

static uint32_t logging_mask(const void *arg, int *err)
{
	struct kcache_logging_opts o = logging_opts(arg, err);
	uint32_t mask = 0;
	int type;

	if (*err)
		return 0;
	for (type = 1; type <= KCACHE_EVENT_MAX; type++)
		if ((o.events & KCACHE_EVENT_BIT(type)) &&
		    event_level(type) <= o.level)
			mask |= KCACHE_EVENT_BIT(type);
	return mask;
}

static void log_line(const struct kcache_logging_opts *o, int level,
		     const char *text)
{
	struct timespec ts;
	struct tm tm;

	if (!o->stream) {
		syslog(level, "lrucache: %s", text);
		return;
	}
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	fprintf(o->stream,
		"%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ lrucache: %s\n",
		tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
		tm.tm_min, tm.tm_sec, ts.tv_nsec / 1000000, text);
	fflush(o->stream);
}

static void log_event(const struct kcache_event *ev, void *arg)
{
	char text[512];
	int err;
	struct kcache_logging_opts o = logging_opts(arg, &err);

	if (err || !(o.events & KCACHE_EVENT_BIT(ev->type)) ||
	    event_level(ev->type) > o.level)
		return;
	kcache_event_format(ev, text, sizeof(text));
	log_line(&o, event_level(ev->type), text);
}

static void log_lost(uint64_t n, void *arg)
{
	char text[64];
	int err;
	struct kcache_logging_opts o = logging_opts(arg, &err);

	if (err || o.level < LOG_WARNING)
		return;
	snprintf(text, sizeof(text), "%llu events lost",
		 (unsigned long long)n);
	log_line(&o, LOG_WARNING, text);
}

const struct kcache_hook_ops kcache_logging_hook = {
	.on_hit		= log_event,
	.on_miss	= log_event,
	.on_set		= log_event,
	.on_delete	= log_event,
	.on_evict	= log_event,
	.on_expire	= log_event,
	.on_reclaim	= log_event,
	.on_lost	= log_lost,
};
