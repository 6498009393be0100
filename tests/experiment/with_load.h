#pragma once

// The experiment the load section's tests write their keys into: shared by
// the loader's test files that each pin one part of that section.

#include <string>

namespace faultline::testing {

// A valid experiment (one nginx service `web`, the load sent to it at
// `rate` for 60 s) whose load section gets `load_extra` after its duration,
// from line 9 on, and whose file ends with `after`.
inline std::string with_load(const std::string& load_extra, const std::string& rate = "300/s",
                             const std::string& after = {}) {
  return "title: t\n"
         "stack:\n"
         "  services:\n"
         "    web: { kind: nginx }\n"
         "load:\n"
         "  target: web\n"
         "  rate: " +
         rate +
         "\n"
         "  duration: 60s\n" +
         load_extra + "expect: hold\n" + after;
}

}  // namespace faultline::testing
