// Fuzz target: `--set path=value` overrides (parse_override and
// apply_override through load_string). Each input line is one override,
// applied to a small valid experiment; the last line, if it does not parse
// as an override, is ignored like a rejected `--set` would be.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "harness/experiment/loader.h"

namespace {

// A minimal valid experiment (tests/data/experiments/good_minimal.yaml in
// spirit): the overrides mutate it before it is checked.
constexpr const char* kBase = R"(version: 1
title: fuzz base
stack:
  services:
    lb:
      kind: nginx
      upstreams: [web1, web2]
    web1:
      kind: app
    web2:
      kind: app
load:
  target: lb
  rate: 100/s
  duration: 10s
slo:
  window: 1s
  objectives:
    - name: errors
      expr: "error_rate < 1%"
  abort_when: ["error_rate > 50% for 5s"]
method:
  - at: 2s
    fault: latency
    target: web1
    params:
      delay: 100ms
expect: hold
)";

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace faultline::experiment;
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  std::vector<Override> overrides;
  size_t start = 0;
  while (start <= input.size() && overrides.size() < 16) {
    size_t end = input.find('\n', start);
    if (end == std::string_view::npos) {
      end = input.size();
    }
    if (auto o = parse_override(std::string(input.substr(start, end - start)))) {
      overrides.push_back(std::move(*o));
    }
    start = end + 1;
  }
  Diagnostics diags;
  const Experiment exp = load_string(kBase, "fuzz.yaml", overrides, diags);
  const std::string text = diags.format();
  (void)text;
  (void)exp;
  return 0;
}
