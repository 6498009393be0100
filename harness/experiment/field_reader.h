#pragma once

#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include "harness/common/units.h"
#include "harness/experiment/diagnostics.h"
#include "harness/experiment/source_tree.h"
#include "harness/experiment/wording.h"

namespace faultline::experiment {

// Reads typed values out of a SourceNode tree. Every getter either returns
// the value or reports why not (at the node's position, with a hint showing
// the expected form) and returns nullopt, so a caller checks one field after
// another and every problem of a file ends up reported.
//
// The experiment's sections and the faults' parameters (through
// faults/common/params.h) share these getters; a Wording gives each its own
// words, so the reader itself says nothing but through it.
class FieldReader {
 public:
  explicit FieldReader(Diagnostics& diags, const Wording& wording = Wording::keys())
      : diags_(diags), wording_(wording) {}

  Diagnostics& diags() { return diags_; }
  // Whether this reader has reported nothing yet.
  bool ok() const { return ok_; }

  // Reports every key of `map` that is not in `known` (hinting at the nearest
  // known key) and every key written twice. `where` names the map in
  // messages ("stack", "service 'lb'"); empty means the top level.
  void check_keys(const SourceNode& map, const std::vector<std::string>& known, const std::string& where);

  // A section or nested map. An empty value counts as an empty map.
  bool expect_map(const SourceNode& node, const std::string& what);
  // A list. An empty value counts as an empty list.
  bool expect_list(const SourceNode& node, const std::string& what);

  // "missing required key 'rate' in load", pointing at `at` (the key that
  // owns the map, or the map itself).
  void missing(const SourcePos& at, const std::string& key, const std::string& where);

  std::optional<std::string> text(const SourceNode& node, const std::string& what);
  // A text that must not be empty.
  std::optional<std::string> non_empty_text(const SourceNode& node, const std::string& what);
  std::optional<int64_t> integer(const SourceNode& node, const std::string& what, int64_t min,
                                 int64_t max = std::numeric_limits<int>::max());
  // A decimal number within [min, max].
  std::optional<double> number(const SourceNode& node, const std::string& what, double min, double max);
  std::optional<bool> boolean(const SourceNode& node, const std::string& what);
  // A duration of at least `min`; with `positive`, also longer than zero.
  std::optional<Duration> duration(const SourceNode& node, const std::string& what,
                                   Duration min = Duration(0), bool positive = false);
  // A duration within [min, max].
  std::optional<Duration> duration_within(const SourceNode& node, const std::string& what, Duration min,
                                          Duration max);
  // "20%" -> 0.2, within 0%..100%.
  std::optional<double> percent(const SourceNode& node, const std::string& what);
  // Requests per second from "600/s", "30/m", "1.5k/s"; more than zero.
  std::optional<double> rate(const SourceNode& node, const std::string& what);
  // One of `choices`; a near miss gets a "did you mean" hint.
  std::optional<std::string> choice(const SourceNode& node, const std::string& what,
                                    const std::vector<std::string>& choices);
  // A list of single values.
  std::optional<std::vector<std::string>> text_list(const SourceNode& node, const std::string& what);
  // One value, read as a list of one, or a list of single values.
  std::optional<std::vector<std::string>> one_or_list(const SourceNode& node, const std::string& what);

 private:
  // A single value, or a report that `what` needs one.
  bool expect_scalar(const SourceNode& node, const std::string& what);
  std::optional<Duration> read_duration(const SourceNode& node, const std::string& what, Duration min,
                                        Duration max, bool positive);
  // The items of a list, every one that is not a single value reported.
  std::optional<std::vector<std::string>> items(const SourceNode& node, const std::string& what);
  void report(const SourcePos& pos, Phrase phrase);

  Diagnostics& diags_;
  const Wording& wording_;
  bool ok_ = true;
};

}  // namespace faultline::experiment
