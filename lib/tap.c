/* SPDX-License-Identifier: ISC */
/* tap.c -- tap devices (TUNSETIFF) and link set-up over rtnetlink (libmnl). */
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <libmnl/libmnl.h>
#include <linux/if_tun.h>
#include <linux/rtnetlink.h>

#include "vnet/tap.h"

/* Offload bits newer than some distributions' headers (Linux 6.2 for
 * USO, 6.17 for UDP tunnels). */
#define TAP_F_USO4 0x20
#define TAP_F_USO6 0x40
#define TAP_F_UDP_TUNNEL_GSO 0x80
#define TAP_F_UDP_TUNNEL_GSO_CSUM 0x100

/* Large enough for any RTM_NEWLINK/RTM_GETLINK exchange on one link: a
 * reply that does not fit would be truncated and refused by libmnl. */
#define NL_BUFSZ 32768

int vnet_tap_open(const char *name)
{
	return vnet_tap_open_flags(name, 0);
}

int vnet_tap_open_flags(const char *name, unsigned flags)
{
	/* What we can take from the kernel: partial checksums and TCP
	 * super-frames (lib/offload.c completes and cuts them); with
	 * VNET_TAP_USO UDP super-frames too, with VNET_TAP_TUNNEL UDP
	 * tunnel super-frames (offload.h), which nothing here cuts. */
	unsigned offloads = TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6 |
			    TUN_F_TSO_ECN;
	int hdrsz = 10; /* struct virtio_net_hdr */
	struct ifreq ifr;
	size_t len;
	int fd, ret;

	if (!name)
		return -EINVAL;
	len = strnlen(name, VNET_IFNAMSIZ);
	if (!vnet_tap_name_valid(name, len))
		return -EINVAL;
	fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	memset(&ifr, 0, sizeof(ifr));
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI;
	if (flags & VNET_TAP_OFFLOAD)
		ifr.ifr_flags |= IFF_VNET_HDR;
	memcpy(ifr.ifr_name, name, len);
	if (ioctl(fd, TUNSETIFF, &ifr) < 0)
		goto fail;
	if (flags & (VNET_TAP_USO | VNET_TAP_TUNNEL))
		offloads |= TAP_F_USO4 | TAP_F_USO6;
	if (flags & VNET_TAP_TUNNEL) {
		offloads |= TAP_F_UDP_TUNNEL_GSO | TAP_F_UDP_TUNNEL_GSO_CSUM;
		hdrsz = 24; /* struct virtio_net_hdr_v1_hash_tunnel */
	}
	if (flags & VNET_TAP_OFFLOAD &&
	    (ioctl(fd, TUNSETVNETHDRSZ, &hdrsz) < 0 ||
	     ioctl(fd, TUNSETOFFLOAD, offloads) < 0)) {
		/* An older kernel refuses the bits it does not know. */
		if (errno == EINVAL && flags & (VNET_TAP_USO | VNET_TAP_TUNNEL))
			errno = EOPNOTSUPP;
		goto fail;
	}
	return fd;
fail:
	ret = -errno;
	close(fd);
	return ret;
}

int vnet_tap_err(struct vnet_err *e, const char *obj, const char *name,
		 int r)
{
	/* TUNSETIFF on a name that a link has: EINVAL unless that link is
	 * a tap (drivers/net/tun.c), EBUSY when the tap is taken. */
	if ((r == -EINVAL || r == -EBUSY) && name &&
	    vnet_tap_name_valid(name, strnlen(name, VNET_IFNAMSIZ)) &&
	    if_nametoindex(name)) {
		vnet_err_set(e, obj, 0,
			     r == -EINVAL ? "%s exists and is not a tap"
					  : "%s is a tap that another program "
					    "holds",
			     name);
		if (e)
			e->errnum = -r;
		return r;
	}
	vnet_err_sys(e, obj, r);
	vnet_err_cap(e, r, "CAP_NET_ADMIN");
	/* Where /dev/net/tun is not open to everyone (mode 0600). */
	if (r == -EACCES)
		vnet_err_hint(e, "needs access to /dev/net/tun and "
			      "CAP_NET_ADMIN (run as root)");
	return r;
}

/* Start a request for link ifname, addressed by IFLA_IFNAME so that no
 * separate name-to-index lookup can race with a rename. */
static struct ifinfomsg *link_msg(void *buf, uint16_t type, const char *ifname)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct ifinfomsg *ifm;

	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
	ifm = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifm));
	ifm->ifi_family = AF_UNSPEC;
	mnl_attr_put_strz(nlh, IFLA_IFNAME, ifname);
	return ifm;
}

/* Send the request in buf and read replies until the kernel's ACK; cb
 * sees any data messages.  Returns 0 or -errno (the kernel's error). */
static int nl_talk(char *buf, mnl_cb_t cb, void *data)
{
	struct nlmsghdr *nlh = (struct nlmsghdr *)buf;
	struct mnl_socket *nl;
	unsigned int portid, seq;
	ssize_t n;
	int ret = -EIO, r;

	nl = mnl_socket_open2(NETLINK_ROUTE, SOCK_CLOEXEC);
	if (!nl)
		return -errno;
	if (mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		ret = -errno;
		goto out;
	}
	portid = mnl_socket_get_portid(nl);
	seq = 1;
	nlh->nlmsg_seq = seq;
	if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0) {
		ret = -errno;
		goto out;
	}
	for (;;) {
		n = mnl_socket_recvfrom(nl, buf, NL_BUFSZ);
		if (n < 0) {
			ret = -errno;
			goto out;
		}
		r = mnl_cb_run(buf, (size_t)n, seq, portid, cb, data);
		if (r == MNL_CB_ERROR) {
			/* mnl_cb_run sets errno from the NLMSG_ERROR reply */
			ret = errno ? -errno : -EIO;
			goto out;
		}
		if (r == MNL_CB_STOP)
			break;
	}
	ret = 0;
out:
	mnl_socket_close(nl);
	return ret;
}

static int name_ok(const char *ifname)
{
	size_t len;

	if (!ifname)
		return 0;
	len = strnlen(ifname, VNET_IFNAMSIZ);
	return len > 0 && len < VNET_IFNAMSIZ;
}

int vnet_link_setup(const char *ifname, unsigned mtu, const uint8_t *mac,
		    int up)
{
	_Alignas(struct nlmsghdr) char buf[NL_BUFSZ];
	struct ifinfomsg *ifm;

	if (!name_ok(ifname))
		return -EINVAL;
	ifm = link_msg(buf, RTM_NEWLINK, ifname);
	if (up) {
		ifm->ifi_flags = IFF_UP;
		ifm->ifi_change = IFF_UP;
	}
	if (mtu)
		mnl_attr_put_u32((struct nlmsghdr *)buf, IFLA_MTU, mtu);
	if (mac)
		mnl_attr_put((struct nlmsghdr *)buf, IFLA_ADDRESS, 6, mac);
	return nl_talk(buf, NULL, NULL);
}

int vnet_link_set_gso_max(const char *ifname, unsigned size)
{
	_Alignas(struct nlmsghdr) char buf[NL_BUFSZ];

	if (!name_ok(ifname) || !size)
		return -EINVAL;
	link_msg(buf, RTM_NEWLINK, ifname);
	mnl_attr_put_u32((struct nlmsghdr *)buf, IFLA_GSO_MAX_SIZE, size);
	return nl_talk(buf, NULL, NULL);
}

struct mtu_ctx {
	int mtu;
};

static int mtu_attr_cb(const struct nlattr *attr, void *data)
{
	struct mtu_ctx *ctx = data;

	if (mnl_attr_get_type(attr) == IFLA_MTU &&
	    mnl_attr_validate(attr, MNL_TYPE_U32) == 0)
		ctx->mtu = (int)(mnl_attr_get_u32(attr) & 0x7fffffff);
	return MNL_CB_OK;
}

static int mtu_msg_cb(const struct nlmsghdr *nlh, void *data)
{
	if (nlh->nlmsg_type != RTM_NEWLINK)
		return MNL_CB_OK;
	return mnl_attr_parse(nlh, sizeof(struct ifinfomsg), mtu_attr_cb, data);
}

int vnet_link_mtu(const char *ifname)
{
	_Alignas(struct nlmsghdr) char buf[NL_BUFSZ];
	struct mtu_ctx ctx = { .mtu = -1 };
	int ret;

	if (!name_ok(ifname))
		return -EINVAL;
	link_msg(buf, RTM_GETLINK, ifname);
	ret = nl_talk(buf, mtu_msg_cb, &ctx);
	if (ret)
		return ret;
	return ctx.mtu < 0 ? -ENODATA : ctx.mtu;
}
