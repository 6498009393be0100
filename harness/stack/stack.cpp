#include "harness/stack/stack.h"

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

}  // namespace faultline::stack
