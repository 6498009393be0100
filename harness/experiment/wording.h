#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "harness/common/units.h"
#include "harness/experiment/source_tree.h"

namespace faultline::experiment {

// A diagnostic's words: the message and an optional hint.
struct Phrase {
  std::string message;
  std::string hint;
};

// How a FieldReader words the problems it finds. The experiment's own keys
// and a fault's parameters are read by the same getters, but users know
// their messages apart ("'rate' must be ...", "parameter 'delay' is ...")
// and tests pin both, so the reading is shared and only the words differ.
// This base class speaks for the experiment's keys; a fault's parameters
// override what they say differently (faults/common/param_wording.h). One
// method per problem a getter can find.
//
// `what` is the name a message gives the value ("rate", "delay"); `where`
// names the map a key belongs to ("load", "service 'lb'", a fault's name),
// empty for the top level.
class Wording {
 public:
  Wording() = default;
  Wording(const Wording&) = delete;
  Wording& operator=(const Wording&) = delete;
  virtual ~Wording() = default;

  // The experiment's words, for readers that are given no others.
  static const Wording& keys();

  virtual Phrase unknown_key(const std::string& key, const std::vector<std::string>& known,
                             const std::string& where) const;
  // `first_line` is where the key was set first (0 when unknown).
  virtual Phrase duplicate_key(const std::string& key, const std::string& where, int first_line) const;
  virtual Phrase missing(const std::string& key, const std::string& where) const;
  virtual Phrase not_map(const SourceNode& node, const std::string& what) const;
  virtual Phrase not_list(const SourceNode& node, const std::string& what) const;

  // A map, a list or nothing where one value belongs.
  virtual Phrase not_single(const SourceNode& node, const std::string& what) const;
  virtual Phrase empty_text(const std::string& what) const;
  virtual Phrase not_whole_number(const std::string& what, const std::string& text) const;
  // `max` is std::numeric_limits<int>::max() when there is no upper bound.
  virtual Phrase integer_out_of_range(const std::string& what, int64_t value, int64_t min, int64_t max) const;
  virtual Phrase not_number(const std::string& what, const std::string& text) const;
  virtual Phrase number_out_of_range(const std::string& what, const std::string& text, double min,
                                     double max) const;
  virtual Phrase not_duration(const std::string& what, const std::string& text) const;
  virtual Phrase zero_duration(const std::string& what) const;
  // `max` is Duration::max() when there is no upper bound.
  virtual Phrase duration_out_of_range(const std::string& what, const std::string& text, Duration value,
                                       Duration min, Duration max) const;
  // Not a percentage, or one outside 0%..100%.
  virtual Phrase not_percent(const std::string& what, const std::string& text) const;
  virtual Phrase not_rate(const std::string& what, const std::string& text) const;
  virtual Phrase zero_rate(const std::string& what) const;
  virtual Phrase not_boolean(const std::string& what, const std::string& text) const;
  virtual Phrase not_choice(const std::string& what, const std::string& text,
                            const std::vector<std::string>& choices) const;
  // Neither one value nor a list of them.
  virtual Phrase not_one_or_list(const SourceNode& node, const std::string& what) const;
  // An item of a list that is not one value.
  virtual Phrase not_single_item(const SourceNode& item, const std::string& what) const;
};

// "did you mean 'x'?" for the nearest of `known`, else "expected one of: ...".
std::string suggestion(const std::string& word, const std::vector<std::string>& known,
                       const std::string& list_intro = "expected one of");

}  // namespace faultline::experiment
