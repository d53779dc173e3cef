/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * rtnetlink on the control lcore, for the kernel path (kernel.c) and the VIPs' routes
 * (app/routing): one request, one acknowledgement, on a socket opened for it. Addresses
 * and routes change a few times in a process's life, never per packet.
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <sys/socket.h>
#include <sys/time.h>

#include "net/net.h"

struct nl_req {
	struct nlmsghdr nh;
	union {
		struct ifaddrmsg ifa;
		struct rtmsg rt;
	};
	char attrs[128];
};

static void
add_attr(struct nl_req *r, uint16_t type, const void *data, uint16_t len)
{
	struct rtattr *a = (struct rtattr *)((char *)r + NLMSG_ALIGN(r->nh.nlmsg_len));

	a->rta_type = type;
	a->rta_len = (uint16_t)RTA_LENGTH(len);
	memcpy(RTA_DATA(a), data, len);
	r->nh.nlmsg_len = NLMSG_ALIGN(r->nh.nlmsg_len) + RTA_ALIGN(a->rta_len);
}

/* Send @r and wait (1 s at most) for the kernel's acknowledgement: 0 or -errno. */
static int
talk(struct nl_req *r)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	struct timeval tv = { .tv_sec = 1 };
	char buf[4096];
	int fd, rc = -EIO;
	ssize_t n;

	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (fd < 0)
		return -errno;
	(void)setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	r->nh.nlmsg_flags |= NLM_F_REQUEST | NLM_F_ACK;
	r->nh.nlmsg_seq = 1;
	if (sendto(fd, r, r->nh.nlmsg_len, 0, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		rc = -errno;
		goto out;
	}
	n = recv(fd, buf, sizeof(buf), 0);
	if (n < 0) {
		rc = errno == EAGAIN ? -ETIMEDOUT : -errno;
		goto out;
	}
	if ((size_t)n >= sizeof(struct nlmsghdr) + sizeof(struct nlmsgerr)) {
		struct nlmsghdr *h = (struct nlmsghdr *)buf;

		if (h->nlmsg_type == NLMSG_ERROR)
			rc = ((struct nlmsgerr *)NLMSG_DATA(h))->error;	/* 0 or -errno */
	}
out:
	close(fd);
	return rc;
}

int
aces_nl_addr(int ifindex, uint32_t addr, uint8_t prefix_len, int add)
{
	struct nl_req r;

	memset(&r, 0, sizeof(r));
	r.nh.nlmsg_len = NLMSG_LENGTH(sizeof(struct ifaddrmsg));
	r.nh.nlmsg_type = add ? RTM_NEWADDR : RTM_DELADDR;
	r.nh.nlmsg_flags = add ? NLM_F_CREATE | NLM_F_REPLACE : 0;
	r.ifa.ifa_family = AF_INET;
	r.ifa.ifa_prefixlen = prefix_len;
	r.ifa.ifa_scope = RT_SCOPE_UNIVERSE;
	r.ifa.ifa_index = (unsigned int)ifindex;
	add_attr(&r, IFA_LOCAL, &addr, 4);
	add_attr(&r, IFA_ADDRESS, &addr, 4);
	return talk(&r);
}

int
aces_nl_route(uint32_t table, uint32_t dst, uint8_t plen, int ifindex, int add)
{
	struct nl_req r;
	uint32_t oif = (uint32_t)ifindex;

	memset(&r, 0, sizeof(r));
	r.nh.nlmsg_len = NLMSG_LENGTH(sizeof(struct rtmsg));
	r.nh.nlmsg_type = add ? RTM_NEWROUTE : RTM_DELROUTE;
	r.nh.nlmsg_flags = add ? NLM_F_CREATE | NLM_F_REPLACE : 0;
	r.rt.rtm_family = AF_INET;
	r.rt.rtm_dst_len = plen;
	r.rt.rtm_table = table < 256 ? (uint8_t)table : RT_TABLE_UNSPEC;
	r.rt.rtm_protocol = ACES_RTPROT;
	r.rt.rtm_scope = RT_SCOPE_LINK;
	r.rt.rtm_type = RTN_UNICAST;
	add_attr(&r, RTA_TABLE, &table, 4);
	if (plen > 0)
		add_attr(&r, RTA_DST, &dst, 4);
	add_attr(&r, RTA_OIF, &oif, 4);
	return talk(&r);
}
