#include "harness/platform/tc.h"

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

namespace faultline::platform {
namespace {

struct QdiscDeleter {
  void operator()(rtnl_qdisc* q) const { rtnl_qdisc_put(q); }
};
struct CacheDeleter {
  void operator()(nl_cache* c) const { nl_cache_free(c); }
};
using Qdisc = std::unique_ptr<rtnl_qdisc, QdiscDeleter>;

// A route socket and the index of an interface looked up on it (0 when the
// interface does not exist). The socket acts on the namespace of the
// calling thread, which is what lets in_netns() aim it at a service's.
struct Link {
  RouteSocket sock;
  int index = 0;
};

Result<Link> open_link(const std::string& interface) {
  auto sock = RouteSocket::open();
  if (!sock) {
    return Error{"tc: " + sock.error().message};
  }
  auto index = sock->ifindex_if_present(interface);
  if (!index) {
    return Error{"tc: " + index.error().message};
  }
  return Link{std::move(*sock), *index};
}

// A root qdisc of `ifindex` to add or delete.
Result<Qdisc> root_qdisc(int ifindex) {
  Qdisc q(rtnl_qdisc_alloc());
  if (!q) {
    return Error{"cannot allocate a qdisc"};
  }
  rtnl_tc_set_ifindex(TC_CAST(q.get()), ifindex);
  rtnl_tc_set_parent(TC_CAST(q.get()), TC_H_ROOT);
  return q;
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

Status add_root_qdisc(RouteSocket& sock, int ifindex, uint16_t major, const std::string& kind,
                      const std::function<void(rtnl_qdisc*)>& configure, bool replace) {
  auto q = root_qdisc(ifindex);
  if (!q) {
    return q.error();
  }
  rtnl_tc_set_handle(TC_CAST(q->get()), TC_HANDLE(major, 0));
  if (int err = rtnl_tc_set_kind(TC_CAST(q->get()), kind.c_str()); err < 0) {
    return Error{nl_geterror(err)};
  }
  configure(q->get());
  if (int err = rtnl_qdisc_add(sock.native(), q->get(), NLM_F_CREATE | (replace ? NLM_F_REPLACE : 0));
      err < 0) {
    return Error{nl_geterror(err)};
  }
  return {};
}

Status delete_root_qdisc(RouteSocket& sock, int ifindex) {
  auto q = root_qdisc(ifindex);
  if (!q) {
    return q.error();
  }
  const int err = rtnl_qdisc_delete(sock.native(), q->get());
  if (err < 0 && err != -NLE_OBJ_NOTFOUND && err != -NLE_NOADDR && err != -NLE_INVAL) {
    return Error{nl_geterror(err)};
  }
  return {};
}

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
  auto added = add_root_qdisc(
      link->sock, link->index, 1, "tbf",
      [&](rtnl_qdisc* q) {
        // cell_log 0 lets libnl pick the rate table's resolution.
        rtnl_qdisc_tbf_set_rate(q, static_cast<int>(spec.rate_bytes), static_cast<int>(spec.burst_bytes), 0);
        rtnl_qdisc_tbf_set_limit(q, static_cast<int>(spec.limit_bytes));
      },
      true);
  if (!added) {
    return Error{fmt::format("tc: cannot install tbf on {}: {}", interface, added.error().message)};
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
  auto kind = root_kind(link->sock.native(), link->index);
  if (!kind) {
    return kind.error();
  }
  if (*kind != "tbf") {
    return {};
  }
  if (auto st = delete_root_qdisc(link->sock, link->index); !st) {
    return Error{fmt::format("tc: cannot remove tbf from {}: {}", interface, st.error().message)};
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
  return root_kind(link->sock.native(), link->index);
}

}  // namespace faultline::platform
