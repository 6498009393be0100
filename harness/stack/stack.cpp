#include "harness/stack/stack.h"

#include <filesystem>

#include "harness/stack/config_edit.h"

namespace faultline::stack {

const PlannedService* Plan::find(const std::string& name) const {
  for (const auto& s : services) {
    if (s.name == name) {
      return &s;
    }
  }
  return nullptr;
}

const ServiceInstance* RunningStack::find(const std::string& name) const {
  for (const auto& s : services()) {
    if (s.planned.name == name) {
      return &s;
    }
  }
  return nullptr;
}

Status RunningStack::restart(const std::string& service) {
  return Error{"service " + service + ": this stack runtime cannot restart a service"};
}

Status RunningStack::check_config(const std::string& service, const std::string& text) {
  const ServiceInstance* inst = find(service);
  if (inst == nullptr || inst->config_path.empty()) {
    return Error{"service " + service + ": it runs no config faultline could check"};
  }
  const auto kind = inst->planned.kind;
  const std::string dir = std::filesystem::path(inst->config_path).parent_path().string();
  return in_netns(service, [&] { return check_config_text(kind, text, dir); });
}

}  // namespace faultline::stack
