#pragma once

#include <string>

#include "harness/experiment/model.h"

// Choosing a share of requests at a load balancer, for the HTTP faults.
// The choice is made per request, independently (not per client or per
// connection), as an incident that hits "N% of requests" behaves.
namespace faultline::faults {

// A name unique to one fault step of an experiment (its line in the file),
// for the variables, actions and files the step adds to a config, so that
// two HTTP faults on one load balancer never collide.
std::string step_tag(const experiment::MethodStep& step);

// HAProxy: the condition suffix of an `http-request` rule that holds for
// `fraction` (0..1) of requests, at 0.01% resolution: "" when it is every
// request, otherwise " if { rand(10000) lt N }".
std::string haproxy_sample_condition(double fraction);

// nginx: an http-context `split_clients` block that sets `$var` to "1" for
// `fraction` of requests and to "" for the rest, keyed on $request_id (a
// fresh random value per request), at nginx's 0.01% resolution.
std::string nginx_sample_block(const std::string& var, double fraction);

// "20%", "0.5%", "100%".
std::string percent_text(double fraction);

}  // namespace faultline::faults
