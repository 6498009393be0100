// The load section's HTTPS keys and `tls` on a service: what each accepts,
// the combinations refused, and the hints that say what to write instead.

#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <string>

#include "harness/experiment/loader.h"
#include "tests/experiment/expect_diags.h"

using namespace faultline::experiment;
using faultline::testing::expect_diags;

namespace {

// A rendered HAProxy `lb` (with `lb_extra` on line 6) over web, and a load
// on it with `load_extra` from line 12.
std::string experiment_with(const std::string& lb_extra, const std::string& load_extra) {
  return "title: t\n"                  // 1
         "stack:\n"                    // 2
         "  services:\n"               // 3
         "    lb:\n"                   // 4
         "      kind: haproxy\n"       // 5
         "      backends: [web]\n" +   // 6 (lb_extra goes after it)
         lb_extra +                    //
         "    web: { kind: nginx }\n"  //
         "load:\n"                     //
         "  target: lb\n"              //
         "  rate: 10/s\n"              //
         "  duration: 10s\n" +         //
         load_extra +
         "expect: hold\n";
}

Experiment load(const std::string& yaml, Diagnostics& diags) {
  return load_string(yaml, "tls.yaml", {}, diags);
}

// A PEM file in a folder of its own, removed with the test.
class TempDir {
 public:
  TempDir()
      : path_(std::filesystem::temp_directory_path() / ("faultline-tls-" + std::to_string(::getpid()))) {
    std::filesystem::create_directories(path_);
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  std::string write(const std::string& name, const std::string& text) const {
    std::ofstream(path_ / name) << text;
    return (path_ / name).string();
  }

 private:
  std::filesystem::path path_;
};

// A real CA certificate (any will do: the loader only parses it).
const char* const kCaPem =
    "-----BEGIN CERTIFICATE-----\n"
    "MIIBjzCCATWgAwIBAgIUMUn+OnFv9cZdudPTzoZNHiKk2nAwCgYIKoZIzj0EAwIw\n"
    "HDEaMBgGA1UEAwwRZmF1bHRsaW5lIHRlc3QgQ0EwIBcNMjYxMjA3MTM0NjI3WhgP\n"
    "MjEyNjExMTMxMzQ2MjdaMBwxGjAYBgNVBAMMEWZhdWx0bGluZSB0ZXN0IENBMFkw\n"
    "EwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEmzrHgY28BBa0ewAw0XlHdjGIUu7E5XQ2\n"
    "A4J936wV0Z2AXKL5K1QkRqumL6b11QT95E3Oeclgi5QQU4/UgLk9sqNTMFEwHQYD\n"
    "VR0OBBYEFNIDznkXANfFhzhrHy+DkrWQ12tcMB8GA1UdIwQYMBaAFNIDznkXANfF\n"
    "hzhrHy+DkrWQ12tcMA8GA1UdEwEB/wQFMAMBAf8wCgYIKoZIzj0EAwIDSAAwRQIg\n"
    "PGtAJptkDq9Ru0J/BnRrVrDnsM7keeygPvpCeQZmn34CIQCoa9xyusLJP2nds9B3\n"
    "vUITHLix3h6UTpBnxjQBLd6/YQ==\n"
    "-----END CERTIFICATE-----\n";

}  // namespace

TEST_CASE("HTTPS load to a rendered load balancer with tls", "[experiment][loader][tls]") {
  Diagnostics diags;
  const Experiment exp = load(experiment_with("      tls: true\n", "  scheme: https\n"), diags);
  expect_diags(diags, {});
  CHECK(exp.load.https());
  CHECK(exp.stack.find("lb")->tls);
  CHECK_FALSE(exp.stack.find("web")->tls);
  CHECK(exp.load.sni == "lb");  // the target's name by default
  CHECK(exp.load.ca.empty());   // the run's CA
  CHECK_FALSE(exp.load.insecure);
}

TEST_CASE("plain HTTP load stays the default", "[experiment][loader][tls]") {
  Diagnostics diags;
  const Experiment exp = load(experiment_with("", ""), diags);
  expect_diags(diags, {});
  CHECK(exp.load.scheme == "http");
  CHECK_FALSE(exp.load.https());
  CHECK(exp.load.sni.empty());
  CHECK_FALSE(exp.stack.find("lb")->tls);
}

TEST_CASE("scheme and tls must agree", "[experiment][loader][tls]") {
  SECTION("https to a load balancer without tls") {
    Diagnostics diags;
    load(experiment_with("", "  scheme: https\n"), diags);
    expect_diags(diags, {{12, 11, "load target 'lb' serves plain HTTP", "add tls: true to service 'lb'"}});
  }
  SECTION("http to a load balancer with tls") {
    Diagnostics diags;
    load(experiment_with("      tls: true\n", ""), diags);
    expect_diags(diags, {{9, 1, "serves HTTPS only", "write scheme: https"}});
  }
  SECTION("an unknown scheme") {
    Diagnostics diags;
    load(experiment_with("      tls: true\n", "  scheme: ftp\n"), diags);
    // The scheme is not read, so the load stays plain and tls disagrees.
    expect_diags(diags, {{13, 11, "unknown scheme 'ftp'"}, {13, 11, "serves HTTPS only"}});
  }
}

TEST_CASE("tls belongs on a rendered load balancer only", "[experiment][loader][tls]") {
  Diagnostics diags;
  load(
      "title: t\n"
      "stack:\n"
      "  services:\n"
      "    lb: { kind: haproxy, backends: [web] }\n"
      "    web: { kind: nginx, tls: true }\n"
      "load: { target: lb, rate: 10/s, duration: 10s }\n"
      "expect: hold\n",
      diags);
  expect_diags(diags,
               {{5, 25, "'tls' applies only to a haproxy or nginx load balancer", "remove 'tls' here"}});
}

TEST_CASE("http: 1.1 is accepted, http: 2 is not built yet", "[experiment][loader][tls]") {
  Diagnostics ok;
  load(experiment_with("", "  http: 1.1\n"), ok);
  expect_diags(ok, {});
  Diagnostics two;
  load(experiment_with("", "  http: 2\n"), two);
  expect_diags(two, {{12, 9, "HTTP/2 load is not built yet", "leave 'http' out"}});
}

TEST_CASE("ca, insecure and sni are for HTTPS load, and ca and insecure exclude each other",
          "[experiment][loader][tls]") {
  TempDir dir;
  const std::string ca = dir.write("ca.pem", kCaPem);
  SECTION("without https") {
    Diagnostics diags;
    load(experiment_with("", "  insecure: true\n  sni: shop.example.com\n"), diags);
    expect_diags(diags, {{12, 3, "'insecure' applies only to HTTPS load", "add scheme: https"},
                         {13, 3, "'sni' applies only to HTTPS load"}});
  }
  SECTION("both ca and insecure") {
    Diagnostics diags;
    load(experiment_with("      tls: true\n", "  scheme: https\n  ca: " + ca + "\n  insecure: true\n"),
         diags);
    expect_diags(diags, {{15, 3, "'insecure: true' and 'ca' contradict each other"}});
  }
  SECTION("an IP address as sni") {
    Diagnostics diags;
    load(experiment_with("      tls: true\n", "  scheme: https\n  sni: 10.0.0.1\n"), diags);
    expect_diags(diags, {{14, 8, "'sni' must be a host name", "TLS sends no IP address"}});
  }
  SECTION("resume is for HTTPS load, on by default, and a boolean") {
    Diagnostics diags;
    load(experiment_with("", "  resume: false\n"), diags);
    expect_diags(diags, {{12, 3, "'resume' applies only to HTTPS load"}});
    Diagnostics on;
    CHECK(load(experiment_with("      tls: true\n", "  scheme: https\n"), on).load.resume);
    Diagnostics off;
    const Experiment exp =
        load(experiment_with("      tls: true\n", "  scheme: https\n  resume: false\n"), off);
    expect_diags(off, {});
    CHECK_FALSE(exp.load.resume);
    Diagnostics bad;
    load(experiment_with("      tls: true\n", "  scheme: https\n  resume: sometimes\n"), bad);
    REQUIRE(bad.items().size() == 1);
    CHECK(bad.items()[0].message.find("resume") != std::string::npos);
  }
  SECTION("a written sni is kept") {
    Diagnostics diags;
    const Experiment exp =
        load(experiment_with("      tls: true\n", "  scheme: https\n  sni: shop.example.com\n"), diags);
    expect_diags(diags, {});
    CHECK(exp.load.sni == "shop.example.com");
  }
}

TEST_CASE("load.ca must name a readable PEM certificate", "[experiment][loader][tls]") {
  TempDir dir;
  SECTION("a good one is kept, as an absolute path") {
    const std::string ca = dir.write("ca.pem", kCaPem);
    Diagnostics diags;
    const Experiment exp =
        load(experiment_with("      tls: true\n", "  scheme: https\n  ca: " + ca + "\n"), diags);
    expect_diags(diags, {});
    CHECK(exp.load.ca == ca);
  }
  SECTION("a missing file") {
    Diagnostics diags;
    load(experiment_with("      tls: true\n", "  scheme: https\n  ca: /nonexistent/ca.pem\n"), diags);
    expect_diags(diags, {{14, 7, "no such file: /nonexistent/ca.pem", "PEM file of the CA"}});
  }
  SECTION("a file that holds no certificate") {
    const std::string key =
        dir.write("key.pem", "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n");
    Diagnostics diags;
    load(experiment_with("      tls: true\n", "  scheme: https\n  ca: " + key + "\n"), diags);
    expect_diags(diags, {{14, 7, "holds no PEM certificate", "BEGIN CERTIFICATE"}});
  }
}

TEST_CASE("HTTPS to a team's own config needs ca or insecure, and tls is not for it",
          "[experiment][loader][tls]") {
  TempDir dir;
  const std::string cfg = dir.write("haproxy.cfg", "global\ndefaults\n  mode http\n");
  const std::string head =
      "title: t\n"
      "stack:\n"
      "  services:\n"
      "    lb: { kind: haproxy, backends: [web], config: " +
      cfg +
      "%s }\n"
      "    web: { kind: nginx }\n"
      "load:\n"
      "  target: lb\n"
      "  rate: 10/s\n"
      "  duration: 10s\n"
      "  scheme: https\n";
  auto yaml = [&](const std::string& lb_extra, const std::string& load_extra) {
    std::string text = head;
    text.replace(text.find("%s"), 2, lb_extra);
    return text + load_extra + "expect: hold\n";
  };
  SECTION("neither ca nor insecure") {
    Diagnostics diags;
    load(yaml("", ""), diags);
    REQUIRE(faultline::testing::find(diags, 10, 11, "the load does not know which CA") != nullptr);
  }
  SECTION("insecure is enough") {
    Diagnostics diags;
    load(yaml("", "  insecure: true\n"), diags);
    CHECK(faultline::testing::find(diags, 10, 11, "the load does not know which CA") == nullptr);
  }
  SECTION("tls on it") {
    Diagnostics diags;
    load(yaml(", tls: true", "  insecure: true\n"), diags);
    bool found = false;
    for (const auto& d : diags.items()) {
      found = found || d.message.find("runs your own config") != std::string::npos;
    }
    INFO(diags.format());
    CHECK(found);
  }
}
