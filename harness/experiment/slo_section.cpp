#include <fmt/format.h>

#include "harness/experiment/sections.h"

namespace faultline::experiment {

namespace {

using namespace std::chrono_literals;

const std::vector<std::string> kSloKeys = {"window", "objectives", "steady_state"};
const std::vector<std::string> kObjectiveKeys = {"name", "expr"};

// Shorter windows hold too few requests for a percentile to mean anything.
constexpr Duration kMinWindow = 100ms;

void read_objectives(const SourceNode& node, FieldReader& r, Slo& slo) {
  if (!r.expect_list(node, "objectives")) {
    return;
  }
  for (size_t i = 0; i < node.items.size(); ++i) {
    const SourceNode& item = node.items[i];
    const std::string where = fmt::format("objective {}", i + 1);
    if (!item.is_map()) {
      r.diags().error(
          item.pos,
          fmt::format("each objective must be a map with 'name' and 'expr', not {}", describe(item)),
          "e.g. - { name: latency, expr: \"p(99) < 250ms\" }");
      continue;
    }
    r.check_keys(item, kObjectiveKeys, where);
    Objective objective;
    objective.pos = item.pos;
    bool ok = true;
    if (const SourceNode* name = item.find("name")) {
      if (auto n = r.non_empty_text(*name, "name")) {
        for (const auto& earlier : slo.objectives) {
          if (earlier.name == *n) {
            r.diags().error(name->pos, fmt::format("objective '{}' is defined twice", *n),
                            "give each objective its own name");
            ok = false;
          }
        }
        objective.name = *n;
      } else {
        ok = false;
      }
    } else {
      r.missing(item.pos, "name", where);
      ok = false;
    }
    if (const SourceNode* expr = item.find("expr")) {
      // The grammar is checked by the verifier, which reports its errors at
      // `pos` plus the column inside the expression.
      if (auto e = r.non_empty_text(*expr, "expr")) {
        objective.expr = *e;
        objective.pos = expr->pos;
      } else {
        ok = false;
      }
    } else {
      r.missing(item.pos, "expr", where);
      ok = false;
    }
    if (ok) {
      slo.objectives.push_back(std::move(objective));
    }
  }
}

}  // namespace

void read_slo(const SourceEntry& section, FieldReader& r, Slo& slo, SectionContext& ctx) {
  const SourceNode& node = section.value;
  if (!r.expect_map(node, "slo")) {
    return;
  }
  r.check_keys(node, kSloKeys, "slo");
  if (const SourceNode* window = node.find("window")) {
    if (auto d = r.duration(*window, "window", kMinWindow)) {
      slo.window = *d;
    }
  }
  if (const SourceNode* objectives = node.find("objectives")) {
    read_objectives(*objectives, r, slo);
  }
  ctx.steady_state = slo.steady_state;
  if (const SourceNode* steady = node.find("steady_state")) {
    ctx.steady_state.reset();
    if (auto d = r.duration(*steady, "steady_state")) {
      if (ctx.load_duration && *d > *ctx.load_duration) {
        r.diags().error(
            steady->pos, fmt::format("'steady_state' ({}) is longer than the load", format_duration(*d)),
            fmt::format("the load runs for {} (load.duration)", format_duration(*ctx.load_duration)));
      } else {
        slo.steady_state = *d;
        ctx.steady_state = *d;
      }
    }
  }
}

}  // namespace faultline::experiment
