#include "faults/common/tc.h"

#include <fmt/format.h>
#include <linux/pkt_sched.h>
#include <netlink/errno.h>
#include <netlink/netlink.h>
#include <netlink/route/link.h>
#include <netlink/route/qdisc.h>
#include <netlink/route/qdisc/tbf.h>
#include <netlink/route/tc.h>

#include <limits>
#include <memory>

namespace faultline::faults {
namespace {

struct SockDeleter {
  void operator()(nl_sock* s) const { nl_socket_free(s); }
};
struct QdiscDeleter {
  void operator()(rtnl_qdisc* q) const { rtnl_qdisc_put(q); }
};
struct CacheDeleter {
  void operator()(nl_cache* c) const { nl_cache_free(c); }
};
using Sock = std::unique_ptr<nl_sock, SockDeleter>;

// A socket opened here acts on the namespace of the calling thread, which is
// what lets in_netns() aim it at a service's namespace.
Result<Sock> open_socket() {
  Sock sock(nl_socket_alloc());
  if (!sock) {
    return Error{"tc: cannot allocate a netlink socket"};
  }
  if (int err = nl_connect(sock.get(), NETLINK_ROUTE); err < 0) {
    return Error{fmt::format("tc: cannot connect to route netlink: {}", nl_geterror(err))};
  }
  return sock;
}

// 0 when the interface does not exist.
Result<int> ifindex_of(nl_sock* sock, const std::string& interface) {
  rtnl_link* link = nullptr;
  int err = rtnl_link_get_kernel(sock, 0, interface.c_str(), &link);
  if (err == -NLE_OBJ_NOTFOUND || err == -NLE_NODEV) {
    return 0;
  }
  if (err < 0) {
    return Error{fmt::format("tc: cannot look up {}: {}", interface, nl_geterror(err))};
  }
  const int index = rtnl_link_get_ifindex(link);
  rtnl_link_put(link);
  return index;
}

// A route socket and the index of an interface looked up on it (0 when the
// interface does not exist).
struct Link {
  Sock sock;
  int index = 0;
};

Result<Link> open_link(const std::string& interface) {
  auto sock = open_socket();
  if (!sock) {
    return sock.error();
  }
  auto index = ifindex_of(sock->get(), interface);
  if (!index) {
    return index.error();
  }
  return Link{std::move(*sock), *index};
}

Result<std::string> root_kind(nl_sock* sock, int ifindex) {
  nl_cache* raw = nullptr;
  if (int err = rtnl_qdisc_alloc_cache(sock, &raw); err < 0) {
    return Error{fmt::format("tc: cannot list qdiscs: {}", nl_geterror(err))};
  }
  std::unique_ptr<nl_cache, CacheDeleter> cache(raw);
  std::unique_ptr<rtnl_qdisc, QdiscDeleter> q(rtnl_qdisc_get_by_parent(cache.get(), ifindex, TC_H_ROOT));
  if (!q) {
    return std::string{};
  }
  const char* kind = rtnl_tc_get_kind(TC_CAST(q.get()));
  return std::string(kind != nullptr ? kind : "");
}

}  // namespace

Status install_tbf(const std::string& interface, const TbfSpec& spec) {
  if (spec.rate_bytes == 0 || spec.rate_bytes > uint64_t(std::numeric_limits<int>::max())) {
    return Error{fmt::format("tc: rate of {} bytes/s is outside what tbf takes", spec.rate_bytes)};
  }
  auto link = open_link(interface);
  if (!link) {
    return link.error();
  }
  if (link->index == 0) {
    return Error{fmt::format("tc: no interface {} here", interface)};
  }
  std::unique_ptr<rtnl_qdisc, QdiscDeleter> q(rtnl_qdisc_alloc());
  if (!q) {
    return Error{"tc: cannot allocate a qdisc"};
  }
  rtnl_tc_set_ifindex(TC_CAST(q.get()), link->index);
  rtnl_tc_set_parent(TC_CAST(q.get()), TC_H_ROOT);
  rtnl_tc_set_handle(TC_CAST(q.get()), TC_HANDLE(1, 0));
  if (int err = rtnl_tc_set_kind(TC_CAST(q.get()), "tbf"); err < 0) {
    return Error{fmt::format("tc: tbf unknown to libnl: {}", nl_geterror(err))};
  }
  // cell_log 0 lets libnl pick the rate table's resolution.
  rtnl_qdisc_tbf_set_rate(q.get(), static_cast<int>(spec.rate_bytes), static_cast<int>(spec.burst_bytes), 0);
  rtnl_qdisc_tbf_set_limit(q.get(), static_cast<int>(spec.limit_bytes));
  if (int err = rtnl_qdisc_add(link->sock.get(), q.get(), NLM_F_CREATE | NLM_F_REPLACE); err < 0) {
    return Error{fmt::format("tc: cannot install tbf on {}: {}", interface, nl_geterror(err))};
  }
  return {};
}

Status remove_tbf(const std::string& interface) {
  auto link = open_link(interface);
  if (!link) {
    return link.error();
  }
  if (link->index == 0) {
    return {};  // the interface went with its namespace: nothing to undo
  }
  auto kind = root_kind(link->sock.get(), link->index);
  if (!kind) {
    return kind.error();
  }
  if (*kind != "tbf") {
    return {};
  }
  std::unique_ptr<rtnl_qdisc, QdiscDeleter> q(rtnl_qdisc_alloc());
  rtnl_tc_set_ifindex(TC_CAST(q.get()), link->index);
  rtnl_tc_set_parent(TC_CAST(q.get()), TC_H_ROOT);
  if (int err = rtnl_qdisc_delete(link->sock.get(), q.get()); err < 0 && err != -NLE_OBJ_NOTFOUND) {
    return Error{fmt::format("tc: cannot remove tbf from {}: {}", interface, nl_geterror(err))};
  }
  return {};
}

Result<std::string> root_qdisc_kind(const std::string& interface) {
  auto link = open_link(interface);
  if (!link) {
    return link.error();
  }
  if (link->index == 0) {
    return Error{fmt::format("tc: no interface {} here", interface)};
  }
  return root_kind(link->sock.get(), link->index);
}

}  // namespace faultline::faults
