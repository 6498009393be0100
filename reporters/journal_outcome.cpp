#include "reporters/journal_outcome.h"

#include <string>

namespace faultline::reporters {

namespace {

using json = nlohmann::ordered_json;

std::string text_at(const json& j, const char* key) {
  const auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

const json* object_at(const json& j, const char* key) {
  const auto it = j.find(key);
  return it != j.end() && it->is_object() ? &*it : nullptr;
}

// A boolean the journal recorded; `fallback` when it has none.
bool flag_at(const json* j, const char* key, bool fallback) {
  if (j == nullptr) {
    return fallback;
  }
  const auto it = j->find(key);
  return it != j->end() && it->is_boolean() ? it->get<bool>() : fallback;
}

}  // namespace

JournalOutcome journal_outcome(const json& journal) {
  if (!journal.is_object()) {
    return {};
  }
  VerdictFacts facts;
  facts.status = text_at(journal, "status");
  facts.expect_hold = text_at(journal, "expect") != "breach";
  const json* analysis = object_at(journal, "analysis");
  if (analysis != nullptr) {
    const auto it = analysis->find("first_breach_s");
    facts.breached_after_fault = it != analysis->end() && it->is_number();
  }
  if (const json* slo = object_at(journal, "slo")) {
    const auto objectives = slo->find("objectives");
    if (objectives != slo->end() && objectives->is_array()) {
      for (const auto& o : *objectives) {
        facts.breached_any = facts.breached_any || flag_at(&o, "breached", false);
      }
    }
  }
  const json* verdict = object_at(journal, "verdict");
  facts.breached_after_fault = flag_at(verdict, "breached_after_fault", facts.breached_after_fault);
  facts.breached_any = flag_at(verdict, "breached_any", facts.breached_any);

  JournalOutcome out;
  out.breached_after_fault = facts.breached_after_fault;
  out.breached_any = facts.breached_any;
  out.breached = facts.expect_hold ? facts.breached_any : facts.breached_after_fault;
  if (verdict == nullptr || !parse_outcome(text_at(*verdict, "outcome"), out.outcome)) {
    out.outcome = decide_outcome(facts);
  }
  return out;
}

}  // namespace faultline::reporters
