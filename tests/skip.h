// Skipping a test so that the skip is seen. Catch2 v2 has no SKIP, and a
// test that returns early counts as passed; these print a marker instead,
// which CTest turns into "Not Run (Skipped)" (SKIP_REGULAR_EXPRESSION in
// tests/CMakeLists.txt).
//
// Two kinds of skip:
//   FAULTLINE_SKIP("needs root ..."): the machine lacks something CI
//     provides (root, an installed server). In CI (CI=true, running as
//     root) this fails the test instead: a CI run that skipped it would
//     pass without having looked.
//   FAULTLINE_SKIP_KERNEL("sch_netem missing ..."): the kernel lacks a
//     feature. Allowed everywhere: CI cannot install a kernel module that
//     its kernel does not ship.
// Both return from the calling function (the test case), so use them in
// the test case's body; from a helper, call skip_test() and return.

#pragma once

#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <iostream>
#include <sstream>
#include <string>

namespace faultline::testing {

// What CTest looks for. Printed only by a skip that is allowed: a failing
// skip must not carry it, or CTest would report the failure as a skip.
inline constexpr const char* kSkipMarker = "FAULTLINE-SKIP: ";

// CI services (GitHub Actions, GitLab CI, ...) set CI=true.
inline bool in_ci() {
  const char* ci = std::getenv("CI");
  return ci != nullptr && (std::string(ci) == "true" || std::string(ci) == "1");
}

// Whether a skip for anything but a missing kernel feature fails here.
inline bool generic_skip_fails() {
  return in_ci() && ::geteuid() == 0;
}

// Marks the running test as skipped for `reason`; in CI as root, fails it
// instead (FAIL throws, so the caller's return is not reached).
inline void skip_test(const std::string& reason) {
  if (generic_skip_fails()) {
    FAIL("not skippable in CI (CI=true, running as root): " << reason << "; give CI what the test needs");
  }
  std::cout << kSkipMarker << reason << std::endl;
}

// Marks the running test as skipped because the kernel lacks `feature`;
// allowed everywhere.
inline void skip_test_for_kernel(const std::string& feature) {
  std::cout << kSkipMarker << "kernel feature missing: " << feature << std::endl;
}

}  // namespace faultline::testing

// `reason` may be a stream expression: FAULTLINE_SKIP("no " << name).
#define FAULTLINE_SKIP(reason)                                     \
  do {                                                             \
    std::ostringstream faultline_skip_reason_;                     \
    faultline_skip_reason_ << reason;                              \
    ::faultline::testing::skip_test(faultline_skip_reason_.str()); \
    return;                                                        \
  } while (false)

#define FAULTLINE_SKIP_KERNEL(feature)                                         \
  do {                                                                         \
    std::ostringstream faultline_skip_feature_;                                \
    faultline_skip_feature_ << feature;                                        \
    ::faultline::testing::skip_test_for_kernel(faultline_skip_feature_.str()); \
    return;                                                                    \
  } while (false)
