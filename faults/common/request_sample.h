#pragma once

#include <optional>
#include <string>

#include "faults/common/params.h"
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

// ---- path prefix (the `path` parameter of http_delay and http_abort) ----
// Whether `prefix` may be a fault's path prefix: '/' then letters, digits
// and / . _ ~ : @ , = + - only, so that it goes into HAProxy's and nginx's
// config as it is (no quoting) and means the same to both (nothing that
// nginx's $uri would decode or normalise differently).
bool is_path_prefix(const std::string& prefix);

// HAProxy: the condition suffix of an `http-request` rule for `fraction`
// of the requests whose path starts with `prefix` (every path when empty):
// " if { path_beg /checkout } { rand(10000) lt N }". Conditions side by
// side are all required.
std::string haproxy_request_condition(double fraction, const std::string& prefix);

// nginx: the http-context blocks that set `$var` to "1" for `fraction` of
// the requests whose path ($uri) starts with `prefix`, "" for the rest: the
// sample block alone without a prefix; with one, the sample goes to
// `$var_share` and a map of "$var_share:$uri" sets `$var` (nginx's `if`
// cannot join two conditions).
std::string nginx_request_block(const std::string& var, double fraction, const std::string& prefix);

// Reports a `path` parameter that is not a path prefix (is_path_prefix) at
// its position; nothing when it is one or absent.
void check_path_prefix(const std::optional<std::string>& path, ParamReader& params);

// " on paths starting with /checkout", or "" without a prefix.
std::string path_text(const std::string& prefix);
// ---- end of the path prefix ----

}  // namespace faultline::faults
