#include "harness/platform/netlink.h"

#include <arpa/inet.h>
#include <fmt/format.h>
#include <linux/if.h>
#include <linux/rtnetlink.h>
#include <netlink/cache.h>
#include <netlink/netlink.h>
#include <netlink/route/addr.h>
#include <netlink/route/link.h>
#include <netlink/route/link/bridge.h>
#include <netlink/route/link/veth.h>
#include <netlink/route/route.h>

#include <cstring>
#include <memory>
#include <optional>

namespace faultline::platform {
namespace {

struct LinkDeleter {
  void operator()(rtnl_link* l) const { rtnl_link_put(l); }
};
struct AddrDeleter {
  void operator()(nl_addr* a) const { nl_addr_put(a); }
};
struct RtAddrDeleter {
  void operator()(rtnl_addr* a) const { rtnl_addr_put(a); }
};
struct RouteDeleter {
  void operator()(rtnl_route* r) const { rtnl_route_put(r); }
};
struct CacheDeleter {
  void operator()(nl_cache* c) const { nl_cache_free(c); }
};
using LinkPtr = std::unique_ptr<rtnl_link, LinkDeleter>;
using AddrPtr = std::unique_ptr<nl_addr, AddrDeleter>;
using RtAddrPtr = std::unique_ptr<rtnl_addr, RtAddrDeleter>;
using RoutePtr = std::unique_ptr<rtnl_route, RouteDeleter>;
using CachePtr = std::unique_ptr<nl_cache, CacheDeleter>;

Error nl_error(const std::string& what, int err) {
  return Error{fmt::format("netlink: {}: {}", what, nl_geterror(err))};
}

AddrPtr ipv4_addr(uint32_t host_order, int prefix_len) {
  const uint32_t be = htonl(host_order);
  AddrPtr a(nl_addr_build(AF_INET, &be, sizeof be));
  if (a) {
    nl_addr_set_prefixlen(a.get(), prefix_len);
  }
  return a;
}

std::optional<uint32_t> to_ipv4(nl_addr* a) {
  if (a == nullptr || nl_addr_get_family(a) != AF_INET || nl_addr_get_len(a) != 4) {
    return std::nullopt;
  }
  uint32_t be = 0;
  std::memcpy(&be, nl_addr_get_binary_addr(a), sizeof be);
  return ntohl(be);
}

}  // namespace

Result<RouteSocket> RouteSocket::open() {
  nl_sock* sock = nl_socket_alloc();
  if (sock == nullptr) {
    return Error{"netlink: cannot allocate a socket"};
  }
  if (int err = nl_connect(sock, NETLINK_ROUTE); err < 0) {
    nl_socket_free(sock);
    return nl_error("connect", err);
  }
  return RouteSocket(sock);
}

RouteSocket::RouteSocket(RouteSocket&& other) noexcept : sock_(other.sock_) {
  other.sock_ = nullptr;
}

RouteSocket& RouteSocket::operator=(RouteSocket&& other) noexcept {
  if (this != &other) {
    if (sock_ != nullptr) {
      nl_socket_free(sock_);
    }
    sock_ = other.sock_;
    other.sock_ = nullptr;
  }
  return *this;
}

RouteSocket::~RouteSocket() {
  if (sock_ != nullptr) {
    nl_socket_free(sock_);
  }
}

Status RouteSocket::create_bridge(const std::string& name) {
  LinkPtr link(rtnl_link_bridge_alloc());
  if (!link) {
    return Error{"netlink: cannot allocate a bridge"};
  }
  rtnl_link_set_name(link.get(), name.c_str());
  if (int err = rtnl_link_add(sock_, link.get(), NLM_F_CREATE | NLM_F_EXCL); err < 0) {
    return nl_error("create bridge " + name, err);
  }
  return {};
}

Status RouteSocket::create_veth(const std::string& host_name, const std::string& peer_name, int peer_netns_fd,
                                int master_ifindex) {
  rtnl_link* veth = rtnl_link_veth_alloc();
  if (veth == nullptr) {
    return Error{"netlink: cannot allocate a veth pair"};
  }
  rtnl_link_set_name(veth, host_name.c_str());
  rtnl_link_set_master(veth, master_ifindex);
  rtnl_link* peer = rtnl_link_veth_get_peer(veth);  // takes a reference
  rtnl_link_set_name(peer, peer_name.c_str());
  rtnl_link_set_ns_fd(peer, peer_netns_fd);
  const int err = rtnl_link_add(sock_, veth, NLM_F_CREATE | NLM_F_EXCL);
  rtnl_link_put(peer);
  rtnl_link_veth_release(veth);
  if (err < 0) {
    return nl_error("create veth " + host_name, err);
  }
  return {};
}

Status RouteSocket::delete_link(const std::string& name) {
  LinkPtr link(rtnl_link_alloc());
  if (!link) {
    return Error{"netlink: cannot allocate a link"};
  }
  rtnl_link_set_name(link.get(), name.c_str());
  if (int err = rtnl_link_delete(sock_, link.get());
      err < 0 && err != -NLE_NODEV && err != -NLE_OBJ_NOTFOUND) {
    return nl_error("delete link " + name, err);
  }
  return {};
}

Status RouteSocket::set_up(const std::string& name) {
  rtnl_link* raw = nullptr;
  if (int err = rtnl_link_get_kernel(sock_, 0, name.c_str(), &raw); err < 0) {
    return nl_error("find link " + name, err);
  }
  LinkPtr current(raw);
  LinkPtr change(rtnl_link_alloc());
  rtnl_link_set_flags(change.get(), IFF_UP);
  if (int err = rtnl_link_change(sock_, current.get(), change.get(), 0); err < 0) {
    return nl_error("set " + name + " up", err);
  }
  return {};
}

Status RouteSocket::set_alias(const std::string& name, const std::string& alias) {
  rtnl_link* raw = nullptr;
  if (int err = rtnl_link_get_kernel(sock_, 0, name.c_str(), &raw); err < 0) {
    return nl_error("find link " + name, err);
  }
  LinkPtr current(raw);
  LinkPtr change(rtnl_link_alloc());
  rtnl_link_set_ifalias(change.get(), alias.c_str());
  if (int err = rtnl_link_change(sock_, current.get(), change.get(), 0); err < 0) {
    return nl_error("set alias of " + name, err);
  }
  return {};
}

Result<int> RouteSocket::ifindex(const std::string& name) {
  rtnl_link* raw = nullptr;
  if (int err = rtnl_link_get_kernel(sock_, 0, name.c_str(), &raw); err < 0) {
    return nl_error("find link " + name, err);
  }
  LinkPtr link(raw);
  return rtnl_link_get_ifindex(link.get());
}

Result<int> RouteSocket::ifindex_if_present(const std::string& name) {
  rtnl_link* raw = nullptr;
  const int err = rtnl_link_get_kernel(sock_, 0, name.c_str(), &raw);
  if (err == -NLE_OBJ_NOTFOUND || err == -NLE_NODEV) {
    return 0;
  }
  if (err < 0) {
    return nl_error("find link " + name, err);
  }
  LinkPtr link(raw);
  return rtnl_link_get_ifindex(link.get());
}

Status RouteSocket::add_address(const std::string& link, uint32_t address, int prefix_len) {
  auto index = ifindex(link);
  if (!index) {
    return index.error();
  }
  RtAddrPtr addr(rtnl_addr_alloc());
  AddrPtr local = ipv4_addr(address, prefix_len);
  if (!addr || !local) {
    return Error{"netlink: cannot allocate an address"};
  }
  rtnl_addr_set_ifindex(addr.get(), *index);
  rtnl_addr_set_family(addr.get(), AF_INET);
  if (int err = rtnl_addr_set_local(addr.get(), local.get()); err < 0) {
    return nl_error("address " + format_ipv4(address), err);
  }
  // Without an explicit broadcast the kernel leaves it unset, which breaks
  // nothing here but makes `ip addr` output differ from a hand-made setup.
  const uint32_t broadcast = network_of(address, prefix_len).last();
  AddrPtr bcast = ipv4_addr(broadcast, prefix_len);
  if (bcast && prefix_len < 31) {
    rtnl_addr_set_broadcast(addr.get(), bcast.get());
  }
  if (int err = rtnl_addr_add(sock_, addr.get(), 0); err < 0) {
    return nl_error(fmt::format("add {}/{} to {}", format_ipv4(address), prefix_len, link), err);
  }
  return {};
}

Status RouteSocket::add_route(uint32_t network, int prefix_len, uint32_t gateway, const std::string& link) {
  auto index = ifindex(link);
  if (!index) {
    return index.error();
  }
  RoutePtr route(rtnl_route_alloc());
  AddrPtr dst = ipv4_addr(network, prefix_len);
  AddrPtr gw = ipv4_addr(gateway, 32);
  rtnl_nexthop* nh = rtnl_route_nh_alloc();
  if (!route || !dst || !gw || nh == nullptr) {
    if (nh != nullptr) {
      rtnl_route_nh_free(nh);
    }
    return Error{"netlink: cannot allocate a route"};
  }
  rtnl_route_set_family(route.get(), AF_INET);
  rtnl_route_set_table(route.get(), RT_TABLE_MAIN);
  rtnl_route_set_protocol(route.get(), RTPROT_BOOT);
  rtnl_route_set_scope(route.get(), RT_SCOPE_UNIVERSE);
  rtnl_route_set_type(route.get(), RTN_UNICAST);
  rtnl_route_set_dst(route.get(), dst.get());
  rtnl_route_nh_set_gateway(nh, gw.get());
  rtnl_route_nh_set_ifindex(nh, *index);
  rtnl_route_add_nexthop(route.get(), nh);  // the route owns nh from here
  if (int err = rtnl_route_add(sock_, route.get(), NLM_F_EXCL); err < 0) {
    return nl_error(
        fmt::format("add route to {}/{} via {}", format_ipv4(network), prefix_len, format_ipv4(gateway)),
        err);
  }
  return {};
}

Result<std::vector<LinkInfo>> RouteSocket::links() {
  nl_cache* raw = nullptr;
  if (int err = rtnl_link_alloc_cache(sock_, AF_UNSPEC, &raw); err < 0) {
    return nl_error("list links", err);
  }
  CachePtr cache(raw);
  std::vector<LinkInfo> out;
  for (nl_object* o = nl_cache_get_first(cache.get()); o != nullptr; o = nl_cache_get_next(o)) {
    auto* link = reinterpret_cast<rtnl_link*>(o);
    LinkInfo info;
    const char* name = rtnl_link_get_name(link);
    const char* alias = rtnl_link_get_ifalias(link);
    info.name = name != nullptr ? name : "";
    info.alias = alias != nullptr ? alias : "";
    info.ifindex = rtnl_link_get_ifindex(link);
    out.push_back(std::move(info));
  }
  return out;
}

Result<std::vector<Ipv4Net>> RouteSocket::ipv4_networks() {
  std::vector<Ipv4Net> out;
  nl_cache* raw = nullptr;
  if (int err = rtnl_addr_alloc_cache(sock_, &raw); err < 0) {
    return nl_error("list addresses", err);
  }
  CachePtr addrs(raw);
  for (nl_object* o = nl_cache_get_first(addrs.get()); o != nullptr; o = nl_cache_get_next(o)) {
    auto* a = reinterpret_cast<rtnl_addr*>(o);
    if (rtnl_addr_get_family(a) != AF_INET) {
      continue;
    }
    if (auto local = to_ipv4(rtnl_addr_get_local(a))) {
      out.push_back(network_of(*local, rtnl_addr_get_prefixlen(a)));
    }
  }
  raw = nullptr;
  if (int err = rtnl_route_alloc_cache(sock_, AF_INET, 0, &raw); err < 0) {
    return nl_error("list routes", err);
  }
  CachePtr routes(raw);
  for (nl_object* o = nl_cache_get_first(routes.get()); o != nullptr; o = nl_cache_get_next(o)) {
    auto* r = reinterpret_cast<rtnl_route*>(o);
    nl_addr* dst = rtnl_route_get_dst(r);
    if (dst == nullptr || nl_addr_get_prefixlen(dst) == 0) {
      continue;
    }
    if (auto d = to_ipv4(dst)) {
      out.push_back(network_of(*d, static_cast<int>(nl_addr_get_prefixlen(dst))));
    }
  }
  return out;
}

}  // namespace faultline::platform
