#include "reporters/journal_outcome.h"

#include <string>

namespace faultline::reporters {

JournalOutcome journal_outcome(const journal::Journal& journal) {
  VerdictFacts facts;
  facts.status = journal.status;
  facts.expect_hold = journal.expect != "breach";
  facts.breached_after_fault = journal.analysis.first_breach_s.has_value();
  for (const auto& o : journal.slo.objectives) {
    facts.breached_any = facts.breached_any || o.breached.value_or(false);
  }
  const auto& verdict = journal.verdict;
  if (verdict) {
    facts.breached_after_fault = verdict->breached_after_fault.value_or(facts.breached_after_fault);
    facts.breached_any = verdict->breached_any.value_or(facts.breached_any);
  }
  JournalOutcome out;
  out.breached_after_fault = facts.breached_after_fault;
  out.breached_any = facts.breached_any;
  out.breached = facts.expect_hold ? facts.breached_any : facts.breached_after_fault;
  if (!verdict || !parse_outcome(verdict->outcome, out.outcome)) {
    out.outcome = decide_outcome(facts);
  }
  return out;
}

}  // namespace faultline::reporters
