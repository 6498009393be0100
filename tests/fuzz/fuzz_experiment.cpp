// Fuzz target: the experiment loader (harness/experiment/loader.h).
// The input is the text of an experiment file. load_string must report
// every problem as a diagnostic; it must never crash, hang or throw.

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "harness/experiment/loader.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace faultline::experiment;
  const std::string yaml(reinterpret_cast<const char*>(data), size);
  Diagnostics diags;
  const Experiment exp = load_string(yaml, "fuzz.yaml", {}, diags);
  // Formatting the diagnostics is what `faultline validate` prints.
  const std::string text = diags.format();
  (void)text;
  (void)exp;
  return 0;
}
