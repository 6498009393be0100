#include <fmt/format.h>

#include "harness/experiment/sections.h"

namespace faultline::experiment {

namespace {

using namespace std::chrono_literals;

const std::vector<std::string> kSloKeys = {"window", "objectives", "steady_state", "abort_when", "target"};
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

// One condition or a list of them; the grammar is the runner's to check.
void read_abort_when(const SourceNode& node, FieldReader& r, Slo& slo) {
  auto read_one = [&](const SourceNode& item) {
    if (auto e = r.non_empty_text(item, "abort_when")) {
      slo.abort_when.push_back({*e, item.pos});
    }
  };
  if (node.is_sequence()) {
    for (const auto& item : node.items) {
      read_one(item);
    }
  } else if (node.is_scalar()) {
    read_one(node);
  } else if (!node.is_null()) {
    r.diags().error(node.pos,
                    fmt::format("'abort_when' must be a condition or a list of them, not {}", describe(node)),
                    "e.g. abort_when: [\"error_rate > 50% for 5s\"]");
  }
}

// "99.9%": a share of requests that must succeed, strictly between 0 and 100%.
void read_target(const SourceNode& node, FieldReader& r, Slo& slo) {
  auto text = r.text(node, "target");
  if (!text) {
    return;
  }
  const auto fraction = parse_percent(*text);
  if (!fraction || *fraction <= 0 || *fraction >= 1) {
    r.diags().error(node.pos,
                    fmt::format("'target' must be a percentage above 0% and below 100%, not '{}'", *text),
                    "e.g. 99.9%");
    return;
  }
  slo.target = *fraction;
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
  if (const SourceNode* abort_when = node.find("abort_when")) {
    read_abort_when(*abort_when, r, slo);
  }
  if (const SourceNode* target = node.find("target")) {
    read_target(*target, r, slo);
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
