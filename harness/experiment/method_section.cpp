#include <fmt/format.h>

#include "harness/experiment/sections.h"

namespace faultline::experiment {

namespace {

const std::vector<std::string> kStepKeys = {"at", "fault", "target", "params", "duration", "note"};
const std::vector<std::string> kFaultOnlyKeys = {"target", "params", "duration"};

class StepReader {
 public:
  StepReader(FieldReader& r, const Stack& stack, const SectionContext& ctx)
      : r_(r), stack_(stack), ctx_(ctx) {}

  std::optional<MethodStep> read(const SourceNode& item, size_t index) {
    const std::string where = fmt::format("method step {}", index + 1);
    if (!item.is_map()) {
      r_.diags().error(item.pos, fmt::format("{} must be a map, not {}", where, describe(item)),
                       "e.g. - { at: 10s, fault: lb_weight, target: lb, params: {...} }");
      return std::nullopt;
    }
    r_.check_keys(item, kStepKeys, where);
    MethodStep step;
    step.pos = item.pos;

    // Whether `at` is known, so checks that build on it can run.
    bool start_ok = false;
    if (const SourceNode* at = item.find("at")) {
      if (auto d = r_.duration(*at, "at")) {
        step.at = *d;
        start_ok = check_start(*at, *d);
      }
    } else {
      r_.missing(item.pos, "at", where);
    }

    const SourceNode* fault = item.find("fault");
    const SourceNode* note = item.find("note");
    if (fault != nullptr && note != nullptr) {
      r_.diags().error(item.pos, fmt::format("{} has both 'fault' and 'note'", where),
                       "a step is either a fault or a note: split it into two steps with the same 'at'");
      return std::nullopt;
    }
    if (fault == nullptr && note == nullptr) {
      r_.diags().error(item.pos, fmt::format("{} has neither 'fault' nor 'note'", where),
                       "a step injects a fault (fault, target, params, duration) or records a note");
      return std::nullopt;
    }
    // A step with other problems stays in the model: the fault registry
    // then still reports an unknown fault name in the same run. A target
    // that is not a service is left empty, which the registry skips.
    if (note != nullptr) {
      read_note(item, *note, step);
    } else {
      read_fault(item, *fault, step, start_ok, where);
    }
    return step;
  }

 private:
  bool check_start(const SourceNode& at, Duration d) {
    if (ctx_.load_duration && d >= *ctx_.load_duration) {
      r_.diags().error(
          at.pos, fmt::format("'at' ({}) is not before the end of the load", format_duration(d)),
          fmt::format("the load runs for {} (load.duration)", format_duration(*ctx_.load_duration)));
      return false;
    }
    return true;
  }

  void read_note(const SourceNode& item, const SourceNode& note, MethodStep& step) {
    for (const auto& key : kFaultOnlyKeys) {
      if (const SourceEntry* e = item.find_entry(key)) {
        r_.diags().error(e->key_pos, fmt::format("'{}' does not apply to a note", key),
                         "a note step takes only 'at' and 'note'");
      }
    }
    if (auto text = r_.non_empty_text(note, "note")) {
      step.note = *text;
    }
  }

  void read_fault(const SourceNode& item, const SourceNode& fault, MethodStep& step, bool start_ok,
                  const std::string& where) {
    // The fault's name and parameters are the fault registry's to check
    // (each fault type knows its own); here only their shape is.
    if (auto name = r_.non_empty_text(fault, "fault")) {
      step.fault = *name;
    }
    step.fault_pos = fault.pos;
    if (const SourceNode* target = item.find("target")) {
      step.target_pos = target->pos;
      if (auto name = r_.text(*target, "target")) {
        if (check_service_ref(r_, stack_, *target, *name, "fault target")) {
          step.target = *name;
        }
      }
    } else {
      r_.missing(item.pos, "target", where);
    }
    if (const SourceNode* params = item.find("params")) {
      if (params->is_map()) {
        step.params = to_yaml(*params);
        step.params_source = *params;
      } else if (params->is_null()) {
        step.params = YAML::Node(YAML::NodeType::Map);
      } else {
        r_.diags().error(params->pos, fmt::format("'params' must be a map, not {}", describe(*params)),
                         "e.g. params: { server: web1, weight: 100 }");
      }
    }
    if (start_ok && ctx_.steady_state && step.at < *ctx_.steady_state) {
      r_.diags().error(item.find("at")->pos,
                       fmt::format("the fault starts at {}, before the steady state is established",
                                   format_duration(step.at)),
                       fmt::format("slo.steady_state requires the objectives to hold for {} before any fault",
                                   format_duration(*ctx_.steady_state)));
    }
    if (const SourceNode* duration = item.find("duration")) {
      if (auto d = r_.duration(*duration, "duration", Duration(0), true)) {
        step.duration = *d;
        if (start_ok && ctx_.load_duration && step.at + *d > *ctx_.load_duration) {
          r_.diags().error(
              duration->pos,
              fmt::format("the fault would end at {}, after the load ends", format_duration(step.at + *d)),
              fmt::format("the load runs for {} (load.duration); shorten 'duration' or leave it "
                          "out to keep the fault until the end",
                          format_duration(*ctx_.load_duration)));
        }
      }
    }
  }

  FieldReader& r_;
  const Stack& stack_;
  const SectionContext& ctx_;
};

}  // namespace

void read_method(const SourceEntry& section, FieldReader& r, const Stack& stack, const SectionContext& ctx,
                 std::vector<MethodStep>& method) {
  const SourceNode& node = section.value;
  if (!r.expect_list(node, "method")) {
    return;
  }
  StepReader reader(r, stack, ctx);
  for (size_t i = 0; i < node.items.size(); ++i) {
    if (auto step = reader.read(node.items[i], i)) {
      method.push_back(std::move(*step));
    }
  }
}

}  // namespace faultline::experiment
