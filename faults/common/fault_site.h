#pragma once

#include <optional>
#include <string>
#include <vector>

#include "harness/experiment/model.h"

// Where in the stack a fault strikes, as its corrective measures need to
// know it: a measure must name the settings of the server that can act on
// the fault (HAProxy's `check`, nginx's `max_fails`), and never a feature
// that server lacks. Read from the experiment when the fault is parsed.
namespace faultline::faults {

// The load balancer(s) that can act on a fault: the fault's own target for
// a load-balancer fault, those in front of it for a backend fault.
struct Balancer {
  // Their one kind (haproxy or nginx) when all share it; nullopt when there
  // is none or they differ, and a measure is then worded for any load
  // balancer.
  std::optional<experiment::ServiceKind> kind;
  std::vector<std::string> names;  // in the stack's order; empty: none

  bool is(experiment::ServiceKind k) const { return kind == k; }
  // For a sentence: "lb", "lb and lb2", or "a load balancer" when none is
  // named.
  std::string name_text() const;
};

struct FaultSite {
  std::string target;
  experiment::ServiceKind target_kind = experiment::ServiceKind::nginx;
  bool target_is_lb = false;
  std::vector<std::string> backends;  // the target's own, when it is a load balancer
  // The load balancers whose `backends` list the target: those that can
  // send its share elsewhere when it fails.
  Balancer front;

  // The target as a balancer (for load-balancer faults); no kind when the
  // target is not a load balancer.
  Balancer itself() const;
};

// The site of `step`'s fault in `exp`'s stack. A target the stack does not
// have (already reported by the loader) gives a site with no balancer.
FaultSite fault_site(const experiment::MethodStep& step, const experiment::Experiment& exp);

// The balancer that can send a failing backend's share elsewhere: those in
// front of the target; a Balancer with no names (and so general words,
// "a load balancer") for a target nothing fronts, where putting one in
// front is itself the remedy; nullopt for the stack's entry load balancer,
// which no load balancer routes around.
std::optional<Balancer> balancer_in_front(const FaultSite& site);

// The balancer that can steer around the traffic a network fault impairs
// on the target, towards `peers` (all of its traffic when empty): the
// target itself when it is a load balancer and every peer is one of its
// backends (only its paths to them suffer), else balancer_in_front.
std::optional<Balancer> balancer_for_traffic(const FaultSite& site, const std::vector<std::string>& peers);

}  // namespace faultline::faults
