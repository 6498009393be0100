// `faultline validate` runs an lb_config fragment through the server's own
// check mode (haproxy -c, nginx -t) against the config the run would
// render, and reports a rejected fragment at the line of the experiment
// file (or fragment file) the server complains about. Nothing is started
// but the checker; no namespace is made.

#include <stdlib.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "harness/platform/process.h"
#include "harness/runner/validate.h"
#include "tests/cli_capture.h"
#include "tests/skip.h"
#include "tests/test_data.h"

namespace {

using faultline::testing::CapturedOutput;
using faultline::testing::faultline_main;

namespace fs = std::filesystem;
using faultline::experiment::Diagnostics;
using faultline::experiment::Severity;
using faultline::testing::experiment_data;

std::string test_dir(const std::string& name) {
  // Under TMPDIR: the unit tests also run as an ordinary user, who cannot
  // write into a build folder root made.
  const std::string dir = (fs::temp_directory_path() /
                           ("faultline-lb-config-validate-" + std::to_string(::getuid()) + "/" + name))
                              .string();
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

// An experiment whose only fault is an lb_config step on `lb` (of `kind`),
// the step's params written by the caller from line 18 on:
//
//   17     params:
//   18       <params>
std::string write_experiment(const std::string& dir, const std::string& kind, const std::string& params) {
  const std::string path = dir + "/exp.yaml";
  std::ofstream(path) << "version: 1\n"
                         "title: t\n"
                         "stack:\n"
                         "  services:\n"
                         "    lb: { kind: "
                      << kind
                      << ", backends: [web1, web2] }\n"
                         "    web1: { kind: nginx }\n"
                         "    web2: { kind: nginx }\n"
                         "load: { target: lb, rate: 10/s, duration: 10s }\n"
                         "slo:\n"
                         "  objectives: [{ name: availability, expr: \"error_rate < 1%\" }]\n"
                         "expect: hold\n"
                         "method:\n"
                         "  - at: 1s\n"
                         "    fault: lb_config\n"
                         "    target: lb\n"
                         "    duration: 2s\n"
                         "    params:\n"
                      << params;
  return path;
}

bool installed(const std::string& server) {
  return faultline::platform::find_executable(server).has_value();
}

// The errors of `diags`, one string each: "line:col: message".
std::vector<std::string> errors_of(const Diagnostics& diags) {
  std::vector<std::string> out;
  for (const auto& d : diags.items()) {
    if (d.severity == Severity::error) {
      out.push_back(std::to_string(d.pos.line) + ":" + std::to_string(d.pos.col) + ": " + d.message);
    }
  }
  return out;
}

// Points TMPDIR at a folder of the test's own while it lives, so what the
// check leaves behind (nothing, it should) can be seen.
class ScopedTmpdir {
 public:
  explicit ScopedTmpdir(const std::string& dir) {
    if (const char* old = ::getenv("TMPDIR")) {
      old_ = old;
    }
    ::setenv("TMPDIR", dir.c_str(), 1);
  }
  ~ScopedTmpdir() {
    if (old_) {
      ::setenv("TMPDIR", old_->c_str(), 1);
    } else {
      ::unsetenv("TMPDIR");
    }
  }
  ScopedTmpdir(const ScopedTmpdir&) = delete;
  ScopedTmpdir& operator=(const ScopedTmpdir&) = delete;

 private:
  std::optional<std::string> old_;
};

}  // namespace

TEST_CASE("a fragment haproxy -c rejects fails validation at the fragment's line and column",
          "[faults][lb_config][validate][bad-config]") {
  const std::string path = experiment_data("faults/lb_config_rejected.yaml");
  Diagnostics diags(path);
  const auto v = faultline::runner::validate(path, {}, diags);
  INFO(diags.format());
  if (!installed("haproxy")) {
    // Nothing to check it with: the file stays valid, with a warning.
    CHECK(v.has_value());
    CHECK_THAT(diags.format(),
               Catch::Matchers::Contains("warning: could not check the lb_config fragment for lb "
                                         "with haproxy -c: haproxy is not installed"));
    return;
  }
  CHECK_FALSE(v.has_value());
  // Line 41, column 9: `balancee roundrobin`, the block's second line.
  REQUIRE(
      errors_of(diags) ==
      std::vector<std::string>{"41:9: haproxy -c rejects this line of the lb_config fragment for lb: unknown "
                               "keyword 'balancee' in 'backend' section; did you mean 'balance' maybe ?"});
  CHECK_THAT(diags.items()[0].hint, Catch::Matchers::Contains("at the end of the HAProxy 'backend' section"));
  CHECK_THAT(diags.items()[0].hint, Catch::Matchers::Contains("the inject would fail"));
}

TEST_CASE("a fragment nginx -t rejects fails validation at its line inside a quoted fragment",
          "[faults][lb_config][validate][bad-config]") {
  if (!installed("nginx")) {
    FAULTLINE_SKIP("nginx is not installed");
  }
  const std::string dir = test_dir("nginx_bad");
  // Line 19: two lines in one double-quoted scalar; the second has a typo.
  const std::string fragment_line = "      fragment: \"least_conn;\\nleastconn;\"\n";
  const std::string path = write_experiment(dir, "nginx", "      section: backend\n" + fragment_line);
  Diagnostics diags(path);
  const auto v = faultline::runner::validate(path, {}, diags);
  INFO(diags.format());
  CHECK_FALSE(v.has_value());
  // The column of `leastconn;` after the `\n` escape, in the file.
  const auto col = fragment_line.find("leastconn;", fragment_line.find("\\n")) + 1;
  REQUIRE(errors_of(diags) ==
          std::vector<std::string>{"19:" + std::to_string(col) +
                                   ": nginx -t rejects this line of the lb_config fragment for lb: unknown "
                                   "directive \"leastconn\""});
  CHECK_THAT(diags.items()[0].hint, Catch::Matchers::Contains("at the start of the nginx upstream block"));
}

TEST_CASE("nginx's complaint about the line after a missing semicolon points at the line that lacks it",
          "[faults][lb_config][validate][bad-config]") {
  if (!installed("nginx")) {
    FAULTLINE_SKIP("nginx is not installed");
  }
  const std::string dir = test_dir("nginx_semicolon");
  const std::string path = write_experiment(dir, "nginx",
                                            "      section: defaults\n"
                                            "      fragment: |\n"
                                            "        keepalive_requests 50\n"
                                            "        client_max_body_size 1m;\n");
  Diagnostics diags(path);
  const auto v = faultline::runner::validate(path, {}, diags);
  INFO(diags.format());
  CHECK_FALSE(v.has_value());
  // nginx names line 21 (where the directive's `;` is); the fix is on 20.
  REQUIRE(
      errors_of(diags) ==
      std::vector<std::string>{"20:9: nginx -t rejects this line of the lb_config fragment for lb: invalid "
                               "number of arguments in \"keepalive_requests\" directive"});
}

TEST_CASE("a fragment that duplicates a rendered directive is refused at its own line, quoting the other",
          "[faults][lb_config][validate][bad-config]") {
  if (!installed("nginx")) {
    FAULTLINE_SKIP("nginx is not installed");
  }
  const std::string dir = test_dir("nginx_duplicate");
  const std::string path = write_experiment(dir, "nginx", "      fragment: \"keepalive 8;\"\n");
  Diagnostics diags(path);
  CHECK_FALSE(faultline::runner::validate(path, {}, diags));
  INFO(diags.format());
  const auto errors = errors_of(diags);
  REQUIRE(errors.size() == 1);
  // The quote, then the fragment's first character.
  CHECK_THAT(errors[0],
             Catch::Matchers::StartsWith("18:18: nginx -t rejects this line of the lb_config fragment "
                                         "for lb: \"keepalive\" directive is duplicate (at line "));
  CHECK_THAT(errors[0], Catch::Matchers::EndsWith("of the config, outside the fragment: 'keepalive 32;')"));
}

TEST_CASE("listen addresses are checked on this host, and named as written",
          "[faults][lb_config][validate]") {
  if (!installed("nginx")) {
    FAULTLINE_SKIP("nginx is not installed");
  }
  // The rendered `listen` has the plan's address, which exists only in the
  // run's namespace; a fragment adds servers, one of them on one line.
  const std::string dir = test_dir("nginx_listen");
  const std::string good = write_experiment(dir, "nginx",
                                            "      section: defaults\n"
                                            "      fragment: |\n"
                                            "        server { listen 8080; return 204; }\n"
                                            "        server {\n"
                                            "          listen 8081 default_server;\n"
                                            "        }\n");
  Diagnostics good_diags(good);
  CHECK(faultline::runner::validate(good, {}, good_diags));
  INFO(good_diags.format());
  CHECK(good_diags.items().empty());

  const std::string bad = write_experiment(dir, "nginx",
                                           "      section: defaults\n"
                                           "      fragment: |\n"
                                           "        server {\n"
                                           "          listen 8081;\n"
                                           "          listen 8081;\n"
                                           "        }\n");
  Diagnostics bad_diags(bad);
  CHECK_FALSE(faultline::runner::validate(bad, {}, bad_diags));
  INFO(bad_diags.format());
  CHECK(errors_of(bad_diags) ==
        std::vector<std::string>{
            "22:11: nginx -t rejects this line of the lb_config fragment for lb: a duplicate "
            "listen 8081"});
}

TEST_CASE("a fragment from a file is refused at the line of that file",
          "[faults][lb_config][validate][bad-config]") {
  if (!installed("haproxy")) {
    FAULTLINE_SKIP("haproxy is not installed");
  }
  const std::string dir = test_dir("haproxy_file");
  std::ofstream(dir + "/change.cfg") << "timeout queue 50ms\n\n    retires 3\n";
  const std::string path = write_experiment(dir, "haproxy",
                                            "      section: defaults\n"
                                            "      file: change.cfg\n");
  Diagnostics diags(path);
  CHECK_FALSE(faultline::runner::validate(path, {}, diags));
  INFO(diags.format());
  REQUIRE(diags.count(Severity::error) == 1);
  const auto& d = diags.items()[0];
  CHECK(d.pos.file == dir + "/change.cfg");
  CHECK(d.pos.line == 3);
  CHECK(d.pos.col == 5);
  CHECK_THAT(d.message, Catch::Matchers::Contains("unknown keyword 'retires' in 'defaults' section"));
}

TEST_CASE("fragments both servers accept pass validation and leave no scratch files",
          "[faults][lb_config][validate]") {
  struct Case {
    std::string kind;
    std::string params;
  };
  const Case c = GENERATE(Case{"haproxy",
                               "      section: backend\n"
                               "      fragment: |\n"
                               "        balance leastconn\n"
                               "        timeout queue 50ms\n"},
                          Case{"nginx",
                               "      section: frontend\n"
                               "      fragment: |\n"
                               "        proxy_read_timeout 50ms;\n"
                               "        add_header X-Change on;\n"});
  if (!installed(c.kind)) {
    FAULTLINE_SKIP(c.kind << " is not installed");
  }
  const std::string dir = test_dir("good_" + c.kind);
  const std::string tmp = dir + "/tmp";
  fs::create_directories(tmp);
  const std::string path = write_experiment(dir, c.kind, c.params);
  Diagnostics diags(path);
  {
    const ScopedTmpdir scoped(tmp);
    const auto v = faultline::runner::validate(path, {}, diags);
    INFO(diags.format());
    CHECK(v.has_value());
  }
  CHECK(diags.items().empty());
  CHECK(fs::is_empty(tmp));
}

TEST_CASE("a rejected fragment leaves no scratch files either", "[faults][lb_config][validate][bad-config]") {
  if (!installed("haproxy")) {
    FAULTLINE_SKIP("haproxy is not installed");
  }
  const std::string tmp = test_dir("rejected_tmp");
  Diagnostics diags;
  {
    const ScopedTmpdir scoped(tmp);
    CHECK_FALSE(faultline::runner::validate(experiment_data("faults/lb_config_rejected.yaml"), {}, diags));
  }
  CHECK(diags.has_errors());
  CHECK(fs::is_empty(tmp));
}

TEST_CASE("a fragment that cannot be checked here is a warning, not an error",
          "[faults][lb_config][validate]") {
  // A /28 numbers services from .10: six do not fit, so no plan, and no
  // config to check against (the run's own planning refuses it too).
  const std::string dir = test_dir("unchecked");
  const std::string path = dir + "/exp.yaml";
  std::ofstream(path)
      << "version: 1\n"
         "title: t\n"
         "stack:\n"
         "  subnet: 10.213.250.240/28\n"
         "  services:\n"
         "    lb: { kind: haproxy, backends: [w1, w2, w3, w4, w5] }\n"
         "    w1: &web { kind: nginx }\n"
         "    w2: *web\n"
         "    w3: *web\n"
         "    w4: *web\n"
         "    w5: *web\n"
         "load: { target: lb, rate: 10/s, duration: 10s }\n"
         "expect: hold\n"
         "method:\n"
         "  - { at: 1s, fault: lb_config, target: lb, params: { fragment: \"balancee x\" } }\n";
  Diagnostics diags(path);
  const auto v = faultline::runner::validate(path, {}, diags);
  INFO(diags.format());
  CHECK(v.has_value());
  REQUIRE(diags.items().size() == 1);
  CHECK(diags.items()[0].severity == Severity::warning);
  CHECK_THAT(diags.format(),
             Catch::Matchers::Contains(":15:65: warning: could not check the lb_config fragment "
                                       "for lb with haproxy -c: subnet 10.213.250.240/28 is too "
                                       "small"));
  CHECK_THAT(diags.items()[0].hint, Catch::Matchers::Contains("checks it again before injecting it"));
}

TEST_CASE("the check can be left to inject, for a test of the rollback", "[faults][lb_config][validate]") {
  Diagnostics diags;
  faultline::runner::ValidateOptions options;
  options.check_faults_before_run = false;
  const auto v =
      faultline::runner::validate(experiment_data("faults/lb_config_rejected.yaml"), {}, diags, options);
  INFO(diags.format());
  CHECK(v.has_value());
  CHECK(diags.items().empty());
}

TEST_CASE("faultline validate prints the rejected fragment's position and exits 2",
          "[faults][lb_config][validate][cli][bad-config]") {
  if (!installed("haproxy")) {
    FAULTLINE_SKIP("haproxy is not installed");
  }
  const std::string path = experiment_data("faults/lb_config_rejected.yaml");
  int code = 0;
  CapturedOutput output;
  code = faultline_main({"faultline", "validate", path});
  const std::string err = output.err();
  INFO(err);
  CHECK(code == 2);
  CHECK_THAT(err, Catch::Matchers::Contains(
                      path + ":41:9: error: haproxy -c rejects this line of the lb_config fragment "
                             "for lb: unknown keyword 'balancee'"));
  CHECK_THAT(err, Catch::Matchers::Contains(
                      "  hint: the fragment goes at the end of the HAProxy 'backend' section"));
  CHECK_THAT(err, Catch::Matchers::EndsWith(path + ": 1 error\n"));
  CHECK(output.out().empty());
}
