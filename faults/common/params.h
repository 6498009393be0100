#pragma once

#include <optional>
#include <string>
#include <vector>

#include "faults/fault.h"

namespace faultline::faults {

// Reads a fault's `params:` map against the fault type's ParamSpec list.
// Every problem (unknown key, wrong type, out of range, missing required
// value) becomes a diagnostic at the offending node, so a fault's parser is
// a few typed reads followed by `if (!reader.ok()) return nullptr;`.
class ParamReader {
 public:
  ParamReader(const experiment::MethodStep& step, const FaultType& type, experiment::Diagnostics& diags);

  std::optional<std::string> text(const std::string& name, bool required);
  std::optional<int> integer(const std::string& name, int min, int max, bool required);
  std::optional<double> number(const std::string& name, double min, double max, bool required);
  // "250ms", "1s" ... within [min, max].
  std::optional<Duration> duration(const std::string& name, Duration min, Duration max, bool required);
  // "20%" -> 0.2; within [0, 1].
  std::optional<double> percent(const std::string& name, bool required);
  std::optional<bool> boolean(const std::string& name, bool required);
  // One of `choices`, with a "did you mean" hint for near misses.
  std::optional<std::string> choice(const std::string& name, const std::vector<std::string>& choices,
                                    bool required);
  // A list of strings (`[a, b]`); a single scalar counts as a list of one.
  std::optional<std::vector<std::string>> text_list(const std::string& name, bool required);

  // A node's position, for errors the fault finds itself (e.g. a server that
  // is not a backend of the target).
  experiment::SourcePos pos_of(const std::string& name) const;

  void error_at(const std::string& name, std::string message, std::string hint = {});

  bool ok() const { return ok_; }

 private:
  std::optional<YAML::Node> find(const std::string& name) const;
  void missing(const std::string& name);

  const experiment::MethodStep& step_;
  const FaultType& type_;
  experiment::Diagnostics& diags_;
  bool ok_ = true;
};

}  // namespace faultline::faults
