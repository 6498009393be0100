#pragma once

#include <string>
#include <vector>

#include "harness/experiment/wording.h"

namespace faultline::faults {

// How a fault's parameters are worded in diagnostics: "parameter 'delay'
// is 2m, outside 1ms..60s", "unknown parameter 'delya' for fault
// 'latency'". The reading itself is the experiment's FieldReader; `where`
// is the fault type's name. What fault parameters are never read as (a
// rate of requests, a non-empty text) keeps the experiment's words.
class ParamWording final : public experiment::Wording {
 public:
  static const ParamWording& instance();

  experiment::Phrase unknown_key(const std::string& key, const std::vector<std::string>& known,
                                 const std::string& where) const override;
  experiment::Phrase duplicate_key(const std::string& key, const std::string& where,
                                   int first_line) const override;
  experiment::Phrase missing(const std::string& key, const std::string& where) const override;
  experiment::Phrase not_map(const experiment::SourceNode& node, const std::string& what) const override;
  experiment::Phrase not_single(const experiment::SourceNode& node, const std::string& what) const override;
  experiment::Phrase not_whole_number(const std::string& what, const std::string& text) const override;
  experiment::Phrase integer_out_of_range(const std::string& what, int64_t value, int64_t min,
                                          int64_t max) const override;
  experiment::Phrase not_number(const std::string& what, const std::string& text) const override;
  experiment::Phrase number_out_of_range(const std::string& what, const std::string& text, double min,
                                         double max) const override;
  experiment::Phrase not_duration(const std::string& what, const std::string& text) const override;
  experiment::Phrase duration_out_of_range(const std::string& what, const std::string& text, Duration value,
                                           Duration min, Duration max) const override;
  experiment::Phrase not_percent(const std::string& what, const std::string& text) const override;
  experiment::Phrase not_boolean(const std::string& what, const std::string& text) const override;
  experiment::Phrase not_choice(const std::string& what, const std::string& text,
                                const std::vector<std::string>& choices) const override;
  experiment::Phrase not_one_or_list(const experiment::SourceNode& node,
                                     const std::string& what) const override;
  experiment::Phrase not_single_item(const experiment::SourceNode& item,
                                     const std::string& what) const override;
};

}  // namespace faultline::faults
