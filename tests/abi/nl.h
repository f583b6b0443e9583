/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The event stream spoken raw, for the ABI tests: those that need to know
 * exactly which system calls a step makes (failslab's fail-nth counts
 * them), and those that must see what the kernel itself answers (perm):
 * one send(2) per request, one recv(2) per datagram, no library.
 *
 * Include after abi.h.
 */
#ifndef LRUCACHE_TESTS_NL_H
#define LRUCACHE_TESTS_NL_H

#include <poll.h>
#include <sys/socket.h>

#include <linux/genetlink.h>
#include <linux/netlink.h>

#define NL_WAIT_MS	5000	/* for an answer or an event that must come */

struct nl_sock {
	int fd;
	int family;		/* the lrucache family's id */
	ssize_t len, off;	/* the datagram in buf, and what was read */
	char buf[16384];
};

struct nl_msg {
	struct nlmsghdr nh;
	struct genlmsghdr gh;
	char attrs[128];
};

struct nl_event {
	char cache[LRUCACHE_NAME_MAX];
	uint32_t type;
	char key[LRUCACHE_EVENT_KEY_MAX + 1];	/* "" if sent by hash only */
	uint64_t seq, lost;
};

#define NLA_FIRST(gh)	((struct nlattr *)((char *)(gh) + GENL_HDRLEN))
#define NLA_OK(a, rem)	((rem) >= (int)NLA_HDRLEN && \
			 (a)->nla_len >= NLA_HDRLEN && (a)->nla_len <= (rem))
#define NLA_NEXT(a, rem) ((rem) -= NLA_ALIGN((a)->nla_len), \
			  (struct nlattr *)((char *)(a) + NLA_ALIGN((a)->nla_len)))
#define NLA_DATA(a)	((void *)((char *)(a) + NLA_HDRLEN))

static inline void nl_put(struct nl_msg *m, uint16_t type, const void *data,
			  uint16_t len)
{
	struct nlattr *a = (void *)((char *)m + NLMSG_ALIGN(m->nh.nlmsg_len));

	a->nla_type = type;
	a->nla_len = NLA_HDRLEN + len;
	memcpy((char *)a + NLA_HDRLEN, data, len);
	m->nh.nlmsg_len = NLMSG_ALIGN(m->nh.nlmsg_len) + NLA_ALIGN(a->nla_len);
}

/*
 * Sends one request with NLM_F_ACK to @family (GENL_ID_CTRL: the
 * controller, @name is then the family's name; else @name is the cache,
 * NULL for none) and @events if not 0. One send(2): 0 or -errno.
 */
static inline int nl_request(struct nl_sock *s, uint16_t family, uint8_t cmd,
			     uint32_t seq, const char *name, uint32_t events)
{
	struct nl_msg m;

	memset(&m, 0, sizeof(m));
	m.nh.nlmsg_len = NLMSG_LENGTH(GENL_HDRLEN);
	m.nh.nlmsg_type = family;
	m.nh.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
	m.nh.nlmsg_seq = seq;
	m.gh.cmd = cmd;
	m.gh.version = family == GENL_ID_CTRL ? 1 : LRUCACHE_GENL_VERSION;
	if (name)
		nl_put(&m, family == GENL_ID_CTRL ? CTRL_ATTR_FAMILY_NAME :
			   LRUCACHE_ATTR_CACHE, name, strlen(name) + 1);
	if (events)
		nl_put(&m, LRUCACHE_ATTR_EVENTS, &events, sizeof(events));
	return send(s->fd, &m, m.nh.nlmsg_len, 0) == (ssize_t)m.nh.nlmsg_len ?
	       0 : -errno;
}

/*
 * The next datagram into s->buf, waiting at most @ms (0: not at all):
 * its length, -ETIMEDOUT or -errno.
 */
static inline ssize_t nl_recv(struct nl_sock *s, int ms)
{
	struct pollfd pfd = { .fd = s->fd, .events = POLLIN };
	ssize_t n;
	int ret = poll(&pfd, 1, ms);

	if (ret < 0)
		return -errno;
	if (!ret)
		return -ETIMEDOUT;
	n = recv(s->fd, s->buf, sizeof(s->buf), MSG_DONTWAIT);
	s->len = s->off = 0;
	if (n < 0)
		return -errno;
	s->len = n;
	return n;
}

/*
 * The answer to request @seq: the error its ACK carries (0 for success),
 * or -errno from recv(2) (-ENOBUFS: the kernel could not allocate the
 * ACK). Fills *@family_id from a controller's answer if not NULL.
 * Other messages (events) read meanwhile are dropped.
 */
static inline int nl_answer(struct nl_sock *s, uint32_t seq, int *family_id)
{
	struct nlmsghdr *nh;
	struct nlattr *a;
	ssize_t n;
	int rem;

	for (;;) {
		n = nl_recv(s, NL_WAIT_MS);
		if (n < 0)
			return n;
		s->off = s->len;
		for (nh = (void *)s->buf; NLMSG_OK(nh, n);
		     nh = NLMSG_NEXT(nh, n)) {
			if (nh->nlmsg_seq != seq)
				continue;
			if (nh->nlmsg_type == NLMSG_ERROR)
				return ((struct nlmsgerr *)NLMSG_DATA(nh))->error;
			if (!family_id || nh->nlmsg_type != GENL_ID_CTRL)
				continue;
			rem = nh->nlmsg_len - NLMSG_LENGTH(GENL_HDRLEN);
			for (a = NLA_FIRST(NLMSG_DATA(nh)); NLA_OK(a, rem);
			     a = NLA_NEXT(a, rem))
				if ((a->nla_type & NLA_TYPE_MASK) ==
				    CTRL_ATTR_FAMILY_ID)
					*family_id = *(uint16_t *)NLA_DATA(a);
		}
	}
}

/*
 * Opens a generic netlink socket into @s and looks up the lrucache
 * family: 0, or -errno (-ENOENT: no such family, the module is not
 * loaded); the socket is closed on failure.
 */
static inline int nl_open(struct nl_sock *s)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	int ret;

	s->len = s->off = 0;
	s->family = -1;
	s->fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_GENERIC);
	if (s->fd < 0)
		return -errno;
	ret = bind(s->fd, (struct sockaddr *)&sa, sizeof(sa)) ? -errno : 0;
	if (!ret)
		ret = nl_request(s, GENL_ID_CTRL, CTRL_CMD_GETFAMILY, 1,
				 LRUCACHE_GENL_NAME, 0);
	if (!ret)
		ret = nl_answer(s, 1, &s->family);
	if (!ret && s->family < 0)
		ret = -EPROTO;
	if (ret) {
		close(s->fd);
		s->fd = -1;
	}
	return ret;
}

/*
 * The next event, waiting at most @ms for it: 0, -ETIMEDOUT or -errno.
 * Messages other than events are skipped.
 */
static inline int nl_next_event(struct nl_sock *s, struct nl_event *ev,
				int ms)
{
	struct genlmsghdr *gh;
	struct nlmsghdr *nh;
	struct nlattr *a;
	ssize_t n;
	int rem;

	for (;;) {
		if (s->off >= s->len) {
			n = nl_recv(s, ms);
			if (n < 0)
				return n;
		}
		nh = (void *)(s->buf + s->off);
		n = s->len - s->off;
		if (!NLMSG_OK(nh, n)) {
			s->off = s->len;
			continue;
		}
		s->off += NLMSG_ALIGN(nh->nlmsg_len);
		gh = NLMSG_DATA(nh);
		if (nh->nlmsg_type != s->family ||
		    gh->cmd != LRUCACHE_CMD_EVENT)
			continue;
		memset(ev, 0, sizeof(*ev));
		rem = nh->nlmsg_len - NLMSG_LENGTH(GENL_HDRLEN);
		for (a = NLA_FIRST(gh); NLA_OK(a, rem); a = NLA_NEXT(a, rem)) {
			switch (a->nla_type & NLA_TYPE_MASK) {
			case LRUCACHE_ATTR_CACHE:
				snprintf(ev->cache, sizeof(ev->cache), "%.*s",
					 (int)(a->nla_len - NLA_HDRLEN),
					 (char *)NLA_DATA(a));
				break;
			case LRUCACHE_ATTR_TYPE:
				memcpy(&ev->type, NLA_DATA(a), 4);
				break;
			case LRUCACHE_ATTR_KEY:
				if (a->nla_len - NLA_HDRLEN <=
				    LRUCACHE_EVENT_KEY_MAX)
					memcpy(ev->key, NLA_DATA(a),
					       a->nla_len - NLA_HDRLEN);
				break;
			case LRUCACHE_ATTR_SEQ:
				memcpy(&ev->seq, NLA_DATA(a), 8);
				break;
			case LRUCACHE_ATTR_LOST:
				memcpy(&ev->lost, NLA_DATA(a), 8);
				break;
			}
		}
		return 0;
	}
}

#endif /* LRUCACHE_TESTS_NL_H */
