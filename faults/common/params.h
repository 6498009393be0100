#pragma once

#include <string>
#include <vector>

#include "harness/experiment/field_reader.h"
#include "harness/experiment/model.h"

namespace faultline::faults {

// A fault step's `params:` map as its fault type reads it: the experiment's
// FieldReader over the map the loader read, worded for parameters
// (faults/common/param_wording.h). A fault reads its values through its
// parameter table (faults/common/param_table.h) and adds its own checks
// with error_at; every problem becomes a diagnostic at the offending node.
class ParamReader {
 public:
  // Reports at once every key of the step's params that is not in `known`
  // (with the nearest known name as a hint) and every key given twice.
  ParamReader(const experiment::MethodStep& step, std::string fault, const std::vector<std::string>& known,
              experiment::Diagnostics& diags);

  // The value given for `name`, or null.
  const experiment::SourceNode* find(const std::string& name) const;
  bool given(const std::string& name) const { return find(name) != nullptr; }

  // The typed getters; what they find wrong is worded for a parameter.
  experiment::FieldReader& values() { return values_; }

  // "fault 'latency' needs parameter 'delay'", at the step.
  void missing(const std::string& name);

  // A parameter's position (the step's when it is not given), for errors the
  // fault finds itself (e.g. a server that is not a backend of the target).
  experiment::SourcePos pos_of(const std::string& name) const;
  void error_at(const std::string& name, std::string message, std::string hint = {});

  // Nothing reported so far.
  bool ok() const { return ok_ && values_.ok(); }

  const experiment::MethodStep& step() const { return step_; }
  experiment::Diagnostics& diags() { return diags_; }

 private:
  const experiment::MethodStep& step_;
  std::string fault_;
  experiment::Diagnostics& diags_;
  experiment::FieldReader values_;
  bool ok_ = true;
};

}  // namespace faultline::faults
