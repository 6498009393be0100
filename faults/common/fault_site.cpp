#include "faults/common/fault_site.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>

namespace faultline::faults {

std::string Balancer::name_text() const {
  if (names.empty()) {
    return "a load balancer";
  }
  if (names.size() == 1) {
    return names.front();
  }
  const std::vector<std::string> head(names.begin(), names.end() - 1);
  return fmt::format("{} and {}", fmt::join(head, ", "), names.back());
}

namespace {

// The one kind all of `services` share, if they do.
std::optional<experiment::ServiceKind> common_kind(const std::vector<const experiment::Service*>& services) {
  if (services.empty()) {
    return std::nullopt;
  }
  const auto kind = services.front()->kind;
  for (const auto* s : services) {
    if (s->kind != kind) {
      return std::nullopt;
    }
  }
  return kind;
}

Balancer balancer_of(const std::vector<const experiment::Service*>& services) {
  Balancer b;
  b.kind = common_kind(services);
  for (const auto* s : services) {
    b.names.push_back(s->name);
  }
  return b;
}

}  // namespace

Balancer FaultSite::itself() const {
  if (!target_is_lb) {
    return {};
  }
  return Balancer{target_kind, {target}};
}

FaultSite fault_site(const experiment::MethodStep& step, const experiment::Experiment& exp) {
  FaultSite site;
  site.target = step.target;
  const auto* target = exp.stack.find(step.target);
  if (target == nullptr) {
    return site;
  }
  site.target_kind = target->kind;
  site.target_is_lb = target->is_load_balancer();
  site.backends = target->backends;
  std::vector<const experiment::Service*> front;
  for (const auto& s : exp.stack.services) {
    if (std::find(s.backends.begin(), s.backends.end(), step.target) != s.backends.end()) {
      front.push_back(&s);
    }
  }
  site.front = balancer_of(front);
  return site;
}

std::optional<Balancer> balancer_in_front(const FaultSite& site) {
  if (site.front.names.empty() && site.target_is_lb) {
    return std::nullopt;
  }
  return site.front;
}

std::optional<Balancer> balancer_for_traffic(const FaultSite& site, const std::vector<std::string>& peers) {
  const auto is_backend = [&](const std::string& peer) {
    return std::find(site.backends.begin(), site.backends.end(), peer) != site.backends.end();
  };
  if (site.target_is_lb && !peers.empty() && std::all_of(peers.begin(), peers.end(), is_backend)) {
    return site.itself();
  }
  return balancer_in_front(site);
}

}  // namespace faultline::faults
