// Shares from nginx's upstream log: `$msec $upstream_addr $status` lines,
// the last address tried being the server that answered, read as the file
// grows and stamped on the run clock.

#include "harness/runner/nginx_upstream_log.h"

#include <fmt/format.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>

using namespace faultline;
using namespace faultline::runner;
using namespace std::chrono_literals;

namespace {

namespace fs = std::filesystem;

// A file of its own under the temporary directory, removed at the end.
struct TempFile {
  TempFile() : path(fs::temp_directory_path() / fmt::format("faultline-upstream-{}.log", ::getpid())) {
    fs::remove(path);
  }
  ~TempFile() { fs::remove(path); }
  void append(const std::string& text) const {
    std::ofstream out(path, std::ios::app | std::ios::binary);
    out << text;
  }
  fs::path path;
};

}  // namespace

TEST_CASE("an upstream log line gives its time, the last server tried and the status", "[runner][shares]") {
  const auto one = parse_upstream_log_line("1712345678.123 10.0.0.2:9000 200");
  REQUIRE(one.has_value());
  CHECK(one->wall_ms == 1712345678123);
  CHECK(one->upstream == "10.0.0.2:9000");
  CHECK(one->status == 200);

  // A retry lists every server tried; an internal redirect joins groups
  // with " : ". The last one answered.
  CHECK(parse_upstream_log_line("1712345678.500 10.0.0.2:9000, 10.0.0.3:9000 200")->upstream ==
        "10.0.0.3:9000");
  CHECK(parse_upstream_log_line("1712345678.500 10.0.0.2:9000 : 10.0.0.4:80 404")->upstream == "10.0.0.4:80");
  // No server tried: nginx answered itself.
  const auto none = parse_upstream_log_line("1712345678.5 - 404");
  REQUIRE(none.has_value());
  CHECK(none->upstream.empty());
  CHECK(none->wall_ms == 1712345678500);
  CHECK(parse_upstream_log_line("1712345678 10.0.0.2:9000 200\r")->wall_ms == 1712345678000);
}

TEST_CASE("the lines nginx 1.22 wrote read as what they say", "[runner][shares]") {
  // Captured from nginx 1.22.1 on loopback: `upstream app { server
  // 127.0.0.3:18483; server 127.0.0.1:18481; }`, the first refusing; a
  // location answering 204 itself; then both servers down.
  const auto retried = parse_upstream_log_line("1796603801.822 127.0.0.3:18483, 127.0.0.1:18481 200");
  REQUIRE(retried.has_value());
  CHECK(answering_upstream(*retried) == "127.0.0.1:18481");
  const auto own = parse_upstream_log_line("1796603801.891 - 204");
  REQUIRE(own.has_value());
  CHECK(answering_upstream(*own).empty());
  // No live server left: the group's name closes the list.
  const auto none_left = parse_upstream_log_line("1796603802.217 127.0.0.1:18481, app 502");
  REQUIRE(none_left.has_value());
  CHECK(none_left->upstream.empty());
  CHECK(none_left->status == 502);
}

TEST_CASE("lines that are not upstream log lines are left out", "[runner][shares]") {
  for (const char* garbage :
       {"", "   ", "1712345678.123 200", "1712345678.123 10.0.0.2:9000", "x.1 10.0.0.2:9000 200",
        "1712345678.1234 10.0.0.2:9000 200", "1712345678.123 10.0.0.2:9000 20x",
        "1712345678.123 10.0.0.2:9000 2000", "1712345678.123 : 200",
        "127.0.0.1 - - [06/Dec/2025:23:40:00 +0000] \"GET / HTTP/1.1\" 200 5",
        "9999999999999.000 10.0.0.2:9000 200"}) {
    INFO(garbage);
    CHECK_FALSE(parse_upstream_log_line(garbage).has_value());
  }
}

TEST_CASE("nginx's own 499, 502 and 504 count for no server", "[runner][shares]") {
  UpstreamLogLine line{0, "10.0.0.2:9000", 200};
  CHECK(answering_upstream(line) == "10.0.0.2:9000");
  line.status = 503;  // a server's own answer (a rate limit, an overloaded app)
  CHECK(answering_upstream(line) == "10.0.0.2:9000");
  for (const int own : {499, 502, 504}) {
    line.status = own;
    CHECK(answering_upstream(line).empty());
  }
}

TEST_CASE("a log tail returns whole lines as they are completed", "[runner][shares]") {
  TempFile file;
  file.append("before the start\n");
  LogTail tail(file.path.string(), true);
  CHECK(tail.read_lines().empty());
  file.append("one\ntw");
  CHECK(tail.read_lines() == std::vector<std::string>{"one"});
  file.append("o\nthree\n");
  CHECK(tail.read_lines() == std::vector<std::string>{"two", "three"});
  // Started again (rotated or truncated): read from its beginning.
  fs::resize_file(file.path, 0);
  file.append("four\n");
  CHECK(tail.read_lines() == std::vector<std::string>{"four"});

  LogTail missing((file.path.string() + ".none"), true);
  CHECK(missing.read_lines().empty());
}

TEST_CASE("the upstream log's requests count per service at their own time", "[runner][shares]") {
  TempFile file;
  stack::Plan plan;
  for (const auto& [name, address] : {std::pair{"web1", "10.0.0.3"}, std::pair{"web2", "10.0.0.4"}}) {
    stack::PlannedService ps;
    ps.name = name;
    ps.address = address;
    plan.services.push_back(ps);
  }
  file.append("1.000 10.0.0.3:80 200\n");  // the bring-up's, before the source starts
  RunClock clock;
  NginxUpstreamLog source("lb", file.path.string(), plan, clock, 100ms);
  const auto wall_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                           std::chrono::system_clock::now().time_since_epoch())
                           .count();
  const int64_t run_now = clock.now_ns();
  file.append(
      fmt::format("{0}.{1:03d} 10.0.0.3:80 200\n{0}.{1:03d} 10.0.0.9:80, 10.0.0.4:80 200\n"
                  "{0}.{1:03d} 10.0.0.4:80 502\n{0}.{1:03d} - 404\nnot a line\n"
                  "{0}.{1:03d} 10.0.0.4:80 200\n{0}.{1:03d} 10.9.9.9:8080 200\n",
                  wall_ms / 1000, wall_ms % 1000));
  source.stop();  // reads what was written since the last read

  std::map<std::string, uint64_t> counted;
  for (const auto& c : source.all()) {
    counted[c.backend] += c.requests;
    // The wall clock's milliseconds, on the run clock, near when written.
    CHECK(std::abs(c.at_ns - run_now) < 1'000'000'000);
  }
  CHECK(counted == std::map<std::string, uint64_t>{{"", 1}, {"web1", 1}, {"web2", 2}});
  const auto basis = source.basis();
  CHECK(basis.source == "nginx-access-log");
  CHECK(basis.interval == std::optional<Duration>(100ms));
  CHECK(basis.unknown_servers == std::vector<std::string>{"10.9.9.9:8080"});
  CHECK(basis.detail.find("every 100ms") != std::string::npos);
}
