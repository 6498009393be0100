// The journal's record of a fault (activities[]): its description says what
// happened to the stack, `mechanism` how it was done, `kernel_path` the
// kernel feature it took, and `suggested_measures` are typed objects.

#include <catch2/catch.hpp>
#include <optional>

#include "harness/runner/journal.h"
#include "harness/runner/validate.h"

using namespace faultline;

namespace {

using json = nlohmann::ordered_json;

// A fault whose words and paths the test chooses.
class ScriptedFault final : public faults::Fault {
 public:
  ScriptedFault(std::string mechanism, std::optional<faults::KernelPath> path)
      : mechanism_(std::move(mechanism)), path_(std::move(path)) {}
  std::string describe() const override { return "web1 answered nothing"; }
  Status inject(stack::RunningStack& /*stack*/) override { return {}; }
  Status revert(stack::RunningStack& /*stack*/) override { return {}; }
  std::optional<faults::KernelPath> kernel_path() const override { return path_; }
  std::string mechanism() const override { return mechanism_; }
  std::vector<faults::Measure> suggested_measures() const override {
    return {{"Alert on p99 per backend", faults::MeasureType::detect},
            {"Cap each server with `maxconn`", faults::MeasureType::mitigate}};
  }

 private:
  std::string mechanism_;
  std::optional<faults::KernelPath> path_;
};

// The journal's first activity for one such fault, applied or not.
json activity_of(std::unique_ptr<faults::Fault> fault, bool applied) {
  runner::ValidatedExperiment v;
  experiment::MethodStep step;
  step.fault = "scripted";
  step.target = "web1";
  v.exp.method.push_back(step);
  v.faults.push_back(faults::BoundFault{&v.exp.method[0], nullptr, std::move(fault)});
  runner::RunRecord rec;
  runner::FaultRecord f;
  f.bound = &v.faults[0];
  if (applied) {
    f.inject_called_ns = f.injected_ns = 0;
    f.inject_done_ns = 1000;
    f.revert_called_ns = 2000;
    f.reverted_ns = 3000;
  }
  rec.faults.push_back(f);
  return journal::to_json(runner::make_journal(v, rec))["activities"][0];
}

}  // namespace

TEST_CASE("the journal writes each suggested measure as an action and its type", "[runner][journal]") {
  const json a = activity_of(std::make_unique<ScriptedFault>("SIGSTOP to web1", std::nullopt), true);
  CHECK(a["suggested_measures"] == json::parse(R"([
    {"action": "Alert on p99 per backend", "type": "detect"},
    {"action": "Cap each server with `maxconn`", "type": "mitigate"}
  ])"));
}

TEST_CASE("the journal keeps how a fault was done apart from what it did", "[runner][journal]") {
  SECTION("a fault that needs no kernel feature: a mechanism, no kernel path") {
    const json a = activity_of(std::make_unique<ScriptedFault>("SIGSTOP to web1", std::nullopt), true);
    CHECK(a["description"] == "web1 answered nothing");
    CHECK(a["mechanism"] == "SIGSTOP to web1");
    CHECK(a["kernel_path"].is_null());
  }
  SECTION("a kernel fault: the path it took is its mechanism too") {
    const json a = activity_of(
        std::make_unique<ScriptedFault>("", faults::KernelPath{"a netem qdisc on web1's eth0", true, "", ""}),
        true);
    CHECK(a["mechanism"] == "a netem qdisc on web1's eth0");
    CHECK(a["kernel_path"] == "a netem qdisc on web1's eth0");
  }
  SECTION("a fault that never applied took no path") {
    const json a = activity_of(
        std::make_unique<ScriptedFault>("SIGSTOP to web1", faults::KernelPath{"a netem qdisc", true, "", ""}),
        false);
    CHECK(a["mechanism"].is_null());
    CHECK(a["kernel_path"].is_null());
    CHECK(a["suggested_measures"].size() == 2);
  }
}
