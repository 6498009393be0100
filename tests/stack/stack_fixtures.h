#pragma once

#include <stdlib.h>

#include <filesystem>
#include <string>

#include "harness/experiment/model.h"
#include "harness/stack/stack.h"

// Experiments and scratch directories shared by the stack tests.
namespace faultline::stack::testing {

using namespace std::chrono_literals;

inline experiment::Service backend(const std::string& name) {
  experiment::Service s;
  s.name = name;
  s.kind = experiment::ServiceKind::nginx;
  s.port = 80;
  return s;
}

// A load balancer `lb` over web1 and web2, in that file order.
inline experiment::Experiment lb_experiment(experiment::ServiceKind lb_kind) {
  experiment::Experiment exp;
  exp.title = "stack test";
  experiment::Service lb;
  lb.name = "lb";
  lb.kind = lb_kind;
  lb.port = 80;
  lb.backends = {"web1", "web2"};
  exp.stack.services = {lb, backend("web1"), backend("web2")};
  exp.load.target = "lb";
  return exp;
}

// A plan as make_plan would produce it for lb_experiment on 10.213.7.0/24,
// for rendering tests that must not depend on the host.
inline Plan fixed_plan(const experiment::Experiment& exp) {
  Plan plan;
  plan.subnet = "10.213.7.0/24";
  plan.prefix_len = 24;
  plan.bridge = "flbr-abc123";
  plan.bridge_address = "10.213.7.1";
  int host = 10;
  for (const auto& s : exp.stack.services) {
    PlannedService p;
    p.name = s.name;
    p.kind = s.kind;
    p.address = "10.213.7." + std::to_string(host++);
    p.port = s.port;
    p.netns = "fl-abc123-" + s.name;
    p.health_paths = {"/health"};
    plan.services.push_back(p);
  }
  return plan;
}

// A fresh directory removed (with everything in it) at scope exit.
class ScratchDir {
 public:
  ScratchDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "faultline-stack-test-XXXXXX").string();
    if (::mkdtemp(tmpl.data()) != nullptr) {
      path_ = tmpl;
    }
  }
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;
  ~ScratchDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

}  // namespace faultline::stack::testing
