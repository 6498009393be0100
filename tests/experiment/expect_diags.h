#pragma once

// Checks of the diagnostics a load gave: where each one is (line and
// column), what it says and what its hint suggests. Shared by the loader's
// test files, which each pin the messages of their part of the format.

#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "harness/experiment/diagnostics.h"

namespace faultline::testing {

// The diagnostic at exactly line:col whose message contains `message`, or
// nullptr.
inline const experiment::Diagnostic* find(const experiment::Diagnostics& diags, int line, int col,
                                          const std::string& message) {
  for (const auto& d : diags.items()) {
    if (d.pos.line == line && d.pos.col == col && d.message.find(message) != std::string::npos) {
      return &d;
    }
  }
  return nullptr;
}

// One diagnostic a test expects: at line:col, with `message` in its text
// and `hint` in its hint.
struct Expected {
  int line;
  int col;
  std::string message;
  std::string hint = {};
};

// Checks that `diags` holds each of the `expected` diagnostics and no other.
inline void expect_diags(const experiment::Diagnostics& diags, const std::vector<Expected>& expected) {
  for (const auto& e : expected) {
    INFO("expected " << e.line << ":" << e.col << " '" << e.message << "' in:\n" << diags.format());
    const experiment::Diagnostic* d = find(diags, e.line, e.col, e.message);
    REQUIRE(d != nullptr);
    CHECK(d->hint.find(e.hint) != std::string::npos);
  }
  INFO(diags.format());
  CHECK(diags.items().size() == expected.size());
}

}  // namespace faultline::testing
