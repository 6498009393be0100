#pragma once

#include <string>
#include <vector>

#include "harness/common/result.h"
#include "harness/platform/subnet.h"

struct nl_sock;

// Links, addresses and routes over route netlink (libnl-route-3), so nothing
// depends on parsing the output of `ip`.
namespace faultline::platform {

struct LinkInfo {
  std::string name;
  std::string alias;  // IFLA_IFALIAS; faultline writes its owner token there
  int ifindex = 0;
};

// A route-netlink socket. It acts on the network namespace that the opening
// thread was in when open() was called, wherever the thread is later.
class RouteSocket {
 public:
  static Result<RouteSocket> open();

  RouteSocket(RouteSocket&& other) noexcept;
  RouteSocket& operator=(RouteSocket&& other) noexcept;
  RouteSocket(const RouteSocket&) = delete;
  RouteSocket& operator=(const RouteSocket&) = delete;
  ~RouteSocket();

  Status create_bridge(const std::string& name);
  // A veth pair: `host_name` stays here, enslaved to `master_ifindex`;
  // the peer is created directly inside the namespace `peer_netns_fd` as
  // `peer_name`, so it never appears (or collides) in this namespace.
  Status create_veth(const std::string& host_name, const std::string& peer_name, int peer_netns_fd,
                     int master_ifindex);
  // Deleting one end of a veth pair deletes both. A link that does not
  // exist counts as deleted, so teardown can be repeated.
  Status delete_link(const std::string& name);
  Status set_up(const std::string& name);
  Status set_alias(const std::string& name, const std::string& alias);
  Result<int> ifindex(const std::string& name);
  // As ifindex, but 0 when there is no such link (a namespace gone with
  // its interface).
  Result<int> ifindex_if_present(const std::string& name);
  Status add_address(const std::string& link, uint32_t address, int prefix_len);
  // A route to network/prefix_len (0/0: the default route) via gateway.
  Status add_route(uint32_t network, int prefix_len, uint32_t gateway, const std::string& link);

  Result<std::vector<LinkInfo>> links();
  // Every IPv4 network in use here: the networks of the interface
  // addresses and the destinations of routes (default routes excluded).
  Result<std::vector<Ipv4Net>> ipv4_networks();

  // The libnl socket, for the qdisc requests of tc.h.
  nl_sock* native() const { return sock_; }

 private:
  explicit RouteSocket(nl_sock* sock) : sock_(sock) {}
  nl_sock* sock_ = nullptr;
};

}  // namespace faultline::platform
