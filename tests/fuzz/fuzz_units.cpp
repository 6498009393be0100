// Fuzz target: the unit parsers of harness/common/units.h. The first byte
// picks the parser (0: parse_duration, 1: parse_rate, 2: parse_percent,
// 3: all three); the rest is the text. A parsed duration is formatted back
// with format_duration, as reports do, and must parse back unchanged.

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>

#include "harness/common/units.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) {
    return 0;
  }
  const int which = data[0] % 4;
  const std::string_view text(reinterpret_cast<const char*>(data + 1), size - 1);

  if (which == 0 || which == 3) {
    if (auto d = faultline::parse_duration(text)) {
      // format_duration promises "the shortest exact form with one unit":
      // what it writes must parse back to the same duration.
      const std::string formatted = faultline::format_duration(*d);
      const auto again = faultline::parse_duration(formatted);
      if (!again || *again != *d) {
        std::fprintf(stderr, "fuzz_units: format_duration(%lldns) = '%s' does not parse back\n",
                     static_cast<long long>(d->count()), formatted.c_str());
        __builtin_trap();
      }
      faultline::format_ms(static_cast<double>(d->count()) / 1e6);
    }
  }
  if (which == 1 || which == 3) {
    if (auto r = faultline::parse_rate(text)) {
      (void)*r;
    }
  }
  if (which == 2 || which == 3) {
    if (auto p = faultline::parse_percent(text)) {
      (void)*p;
    }
  }
  return 0;
}
