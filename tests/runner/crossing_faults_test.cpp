// validate refuses two faults that restore the same state (a load
// balancer's configuration, a server's admin state or weight) when the
// first one in would be reverted first while the other is in force; nested
// and disjoint windows, and faults on different state, are fine.

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <string>

#include "harness/runner/validate.h"

namespace {

namespace fs = std::filesystem;
using faultline::experiment::Diagnostics;

// `lb_kind` in front of web1 and web2, 10 s of load; the method's steps
// start on line 15.
std::string write_experiment(const std::string& name, const std::string& lb_kind, const std::string& method) {
  const std::string dir = std::string(FAULTLINE_BINARY_DIR).append("/test-output/crossing_faults");
  fs::create_directories(dir);
  const std::string path = dir + "/" + name + ".yaml";
  std::ofstream(path) << "version: 1\n"
                         "title: t\n"
                         "stack:\n"
                         "  services:\n"
                         "    lb: { kind: "
                      << lb_kind
                      << ", backends: [web1, web2], health_check: { path: /health } }\n"
                         "    web1: { kind: nginx }\n"
                         "    web2: { kind: nginx }\n"
                         "load: { target: lb, rate: 10/s, duration: 10s }\n"
                         "slo:\n"
                         "  window: 1s\n"
                         "  objectives: [{ name: availability, expr: \"error_rate < 1%\" }]\n"
                         "expect: breach\n"
                         "postmortem: { service: s, timezone: UTC }\n"
                         "method:\n"
                      << method;
  return path;
}

std::string errors_of(const std::string& name, const std::string& lb_kind, const std::string& method) {
  const std::string path = write_experiment(name, lb_kind, method);
  Diagnostics diags(path);
  faultline::runner::ValidateOptions options;
  options.check_faults_before_run = false;
  const auto v = faultline::runner::validate(path, {}, diags, options);
  CHECK(v.has_value() == !diags.has_errors());
  return diags.has_errors() ? diags.format() : "";
}

}  // namespace

TEST_CASE("two config rewrites of one load balancer whose windows cross are refused at the later step",
          "[runner][validate][crossing]") {
  const std::string kind = GENERATE("haproxy", "nginx");
  const std::string errors = errors_of(
      "cross_" + kind, kind,
      "  - { at: 1s, fault: lb_health_check_off, target: lb, duration: 3s }\n"
      "  - { at: 2s, fault: lb_wrong_backend, target: lb, params: { server: web2 }, duration: 4s }\n");
  INFO(errors);
  CHECK_THAT(errors, Catch::Contains(":16:5: error: fault 'lb_wrong_backend' (t+2s to t+6s) and fault "
                                     "'lb_health_check_off' at line 15 (t+1s to t+4s) both change the "
                                     "configuration of lb"));
  CHECK_THAT(errors,
             Catch::Contains("end 'lb_wrong_backend' by t+4s (inside 'lb_health_check_off'), or start "
                             "it at t+4s or later"));
}

TEST_CASE("a fault without a duration outlives one that started before it and ends earlier",
          "[runner][validate][crossing]") {
  const std::string errors =
      errors_of("cross_open", "nginx",
                "  - { at: 1s, fault: lb_timeout, target: lb, params: { timeout: server, value: 1ms }, "
                "duration: 2s }\n"
                "  - { at: 2s, fault: http_abort, target: lb }\n");
  CHECK_THAT(errors, Catch::Contains("fault 'http_abort' (t+2s to t+10s) and fault 'lb_timeout'"));
}

TEST_CASE("nested, disjoint and back-to-back windows on one load balancer are accepted",
          "[runner][validate][crossing]") {
  const std::string kind = GENERATE("haproxy", "nginx");
  CHECK(errors_of(
            "nested_" + kind, kind,
            "  - { at: 1s, fault: lb_health_check_off, target: lb, duration: 5s }\n"
            "  - { at: 2s, fault: lb_wrong_backend, target: lb, params: { server: web2 }, duration: 2s }\n"
            "  - { at: 4s, fault: http_delay, target: lb, params: { delay: 10ms }, duration: 2s }\n"
            "  - { at: 6s, fault: http_abort, target: lb, duration: 2s }\n"
            "  - { at: 8s, fault: lb_drain, target: lb, params: { server: web1 } }\n")
            .empty());
}

TEST_CASE("HAProxy's runtime API faults cross freely on different servers, not on one",
          "[runner][validate][crossing]") {
  CHECK(
      errors_of("api_other_servers", "haproxy",
                "  - { at: 1s, fault: lb_drain, target: lb, params: { server: web1 }, duration: 3s }\n"
                "  - { at: 2s, fault: lb_maintenance, target: lb, params: { server: web2 }, duration: 4s }\n")
          .empty());
  // A runtime API change and a config rewrite restore different things.
  CHECK(errors_of("api_and_config", "haproxy",
                  "  - { at: 1s, fault: lb_drain, target: lb, params: { server: web1 }, duration: 3s }\n"
                  "  - { at: 2s, fault: lb_timeout, target: lb, params: { timeout: server, value: 1s }, "
                  "duration: 4s }\n")
            .empty());
  CHECK_THAT(errors_of("api_one_server", "haproxy",
                       "  - { at: 1s, fault: lb_drain, target: lb, params: { server: web1 }, duration: 3s }\n"
                       "  - { at: 2s, fault: lb_maintenance, target: lb, params: { server: web1 }, duration: "
                       "4s }\n"),
             Catch::Contains("both change the admin state of web1 on lb"));
  // On nginx both rewrite the configuration.
  CHECK_THAT(errors_of("nginx_two_servers", "nginx",
                       "  - { at: 1s, fault: lb_drain, target: lb, params: { server: web1 }, duration: 3s }\n"
                       "  - { at: 2s, fault: lb_maintenance, target: lb, params: { server: web2 }, duration: "
                       "4s }\n"),
             Catch::Contains("both change the configuration of lb"));
}
