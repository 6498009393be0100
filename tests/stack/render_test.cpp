#include "harness/stack/render.h"

#include <sys/wait.h>

#include <catch2/catch.hpp>
#include <fstream>
#include <sstream>

#include "harness/platform/process.h"
#include "harness/platform/run_ca.h"
#include "tests/skip.h"
#include "tests/stack/stack_fixtures.h"

namespace faultline::stack {
namespace {

using experiment::ServiceKind;
using testing::fixed_plan;
using testing::lb_experiment;

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  std::stringstream ss(text);
  std::string line;
  while (std::getline(ss, line)) {
    line.erase(0, line.find_first_not_of(' '));
    out.push_back(line);
  }
  return out;
}

bool has_line(const std::string& text, const std::string& line) {
  for (const auto& l : lines_of(text)) {
    if (l == line) {
      return true;
    }
  }
  return false;
}

// The text of the `{ ... }` block opened by the line `head {`.
std::string block(const std::string& text, const std::string& head) {
  const auto start = text.find(head + " {");
  if (start == std::string::npos) {
    return {};
  }
  int depth = 0;
  for (size_t i = start; i < text.size(); ++i) {
    if (text[i] == '{') {
      ++depth;
    } else if (text[i] == '}' && --depth == 0) {
      return text.substr(start, i - start + 1);
    }
  }
  return {};
}

RenderPaths paths_for(const std::string& dir, const std::string& sock = {}) {
  RenderPaths paths;
  paths.dir = dir;
  paths.runtime_socket = sock;
  return paths;
}

TEST_CASE("HAProxy config has one weighted server line per backend, named after the service",
          "[stack][render][haproxy]") {
  auto exp = lb_experiment(ServiceKind::haproxy);
  exp.stack.services[0].weights = {{"web1", 5}};
  const auto plan = fixed_plan(exp);
  const auto cfg =
      render_haproxy(exp.stack.services[0], plan, paths_for("/run/x/lb", "/run/x/lb/admin.sock"));

  CHECK(has_line(cfg, "server web1 10.213.7.11:80 weight 5"));
  CHECK(has_line(cfg, "server web2 10.213.7.12:80 weight 1"));
  CHECK(has_line(cfg, "backend be_lb"));
  CHECK(has_line(cfg, "balance roundrobin"));
  CHECK(has_line(cfg, "bind 10.213.7.10:80"));
  CHECK(has_line(cfg, "default_backend be_lb"));
  CHECK(has_line(cfg, "mode http"));
  CHECK(has_line(cfg, "pidfile /run/x/lb/haproxy.pid"));
  CHECK(has_line(cfg, "maxconn 4096"));
  CHECK_FALSE(has_line(cfg, "daemon"));
}

TEST_CASE("HAProxy config opens a stats socket at admin level", "[stack][render][haproxy]") {
  const auto exp = lb_experiment(ServiceKind::haproxy);
  const auto cfg =
      render_haproxy(exp.stack.services[0], fixed_plan(exp), paths_for("/run/x/lb", "/run/x/lb/admin.sock"));
  CHECK(has_line(cfg, "stats socket /run/x/lb/admin.sock mode 600 level admin expose-fd listeners"));
}

TEST_CASE("HAProxy config takes timeouts, retries and redispatch from the model",
          "[stack][render][haproxy]") {
  auto exp = lb_experiment(ServiceKind::haproxy);
  auto& lb = exp.stack.services[0];
  lb.timeouts.connect = std::chrono::milliseconds(250);
  lb.timeouts.server = std::chrono::seconds(3);
  lb.timeouts.client = std::chrono::seconds(20);
  lb.retries = 2;
  lb.redispatch = true;
  auto cfg = render_haproxy(lb, fixed_plan(exp), paths_for("/d"));
  CHECK(has_line(cfg, "timeout connect 250ms"));
  CHECK(has_line(cfg, "timeout server 3000ms"));
  CHECK(has_line(cfg, "timeout client 20000ms"));
  CHECK(has_line(cfg, "retries 2"));
  CHECK(has_line(cfg, "option redispatch"));

  lb.redispatch = false;
  lb.retries = 0;
  cfg = render_haproxy(lb, fixed_plan(exp), paths_for("/d"));
  CHECK(has_line(cfg, "retries 0"));
  CHECK_FALSE(has_line(cfg, "option redispatch"));
}

TEST_CASE("HAProxy config takes maxconn, the queue timeout, retry-on and bounded hashing from the model",
          "[stack][render][haproxy]") {
  auto exp = lb_experiment(ServiceKind::haproxy);
  auto& lb = exp.stack.services[0];
  auto cfg = render_haproxy(lb, fixed_plan(exp), paths_for("/d"));
  CHECK(cfg.find("maxconn 4\n") == std::string::npos);
  CHECK(cfg.find("timeout queue") == std::string::npos);
  CHECK(cfg.find("retry-on") == std::string::npos);
  CHECK(cfg.find("hash-") == std::string::npos);

  lb.maxconn = 4;
  lb.timeouts.queue = std::chrono::seconds(1);
  lb.retries = 1;
  lb.retry_on = {"connect-failure", "503", "timeout"};
  lb.hash_balance_factor = 110;
  cfg = render_haproxy(lb, fixed_plan(exp), paths_for("/d"));
  CHECK(has_line(cfg, "server web1 10.213.7.11:80 weight 1 maxconn 4"));
  CHECK(has_line(cfg, "timeout queue 1000ms"));
  CHECK(has_line(cfg, "retry-on conn-failure 503 response-timeout"));
  CHECK(has_line(cfg, "hash-type consistent"));
  CHECK(has_line(cfg, "hash-balance-factor 110"));

  // retry-on without retries would retry nothing; the loader refuses it,
  // and the renderer leaves it out.
  lb.retries = 0;
  cfg = render_haproxy(lb, fixed_plan(exp), paths_for("/d"));
  CHECK(cfg.find("retry-on") == std::string::npos);
}

TEST_CASE("nginx load balancer takes max_conns and proxy_next_upstream conditions from the model",
          "[stack][render][nginx]") {
  auto exp = lb_experiment(ServiceKind::nginx);
  auto& lb = exp.stack.services[0];
  lb.maxconn = 4;
  lb.retries = 1;
  auto cfg = render_nginx_lb(lb, fixed_plan(exp), paths_for("/d"));
  CHECK(has_line(block(cfg, "upstream be_lb"), "server 10.213.7.11:80 weight=1 max_conns=4 max_fails=0;"));
  CHECK(has_line(cfg, "proxy_next_upstream error timeout;"));
  CHECK(has_line(cfg, "proxy_next_upstream_tries 2;"));
  lb.retry_on = {"connect-failure", "503"};
  cfg = render_nginx_lb(lb, fixed_plan(exp), paths_for("/d"));
  CHECK(has_line(cfg, "proxy_next_upstream error http_503;"));
}

TEST_CASE("HAProxy health checks appear only when the experiment sets one", "[stack][render][haproxy]") {
  auto exp = lb_experiment(ServiceKind::haproxy);
  auto& lb = exp.stack.services[0];
  auto cfg = render_haproxy(lb, fixed_plan(exp), paths_for("/d"));
  CHECK(cfg.find("httpchk") == std::string::npos);
  CHECK(cfg.find(" check") == std::string::npos);

  lb.health_check = experiment::HealthCheck{"/healthz", std::chrono::milliseconds(500), 2, 3};
  cfg = render_haproxy(lb, fixed_plan(exp), paths_for("/d"));
  CHECK(has_line(cfg, "option httpchk GET /healthz"));
  CHECK(has_line(cfg, "default-server inter 500ms fall 2 rise 3"));
  CHECK(has_line(cfg, "server web1 10.213.7.11:80 weight 1 check"));
  CHECK(has_line(cfg, "server web2 10.213.7.12:80 weight 1 check"));
}

TEST_CASE("HAProxy balance names are checked and least_conn is translated", "[stack][render][haproxy]") {
  CHECK(haproxy_balance("roundrobin") == "roundrobin");
  CHECK(haproxy_balance("leastconn") == "leastconn");
  CHECK(haproxy_balance("least_conn") == "leastconn");
  CHECK(haproxy_balance("source") == "source");
  CHECK(haproxy_balance("uri") == "uri");
  CHECK_FALSE(haproxy_balance("fastest").has_value());
}

TEST_CASE("nginx backend names itself in the backend header on every response", "[stack][render][nginx]") {
  const auto exp = lb_experiment(ServiceKind::haproxy);
  const auto cfg =
      render_nginx_backend(exp.stack.services[1], fixed_plan(exp), paths_for("/run/x/web1"), "X-Backend");
  CHECK(has_line(cfg, "add_header X-Backend web1 always;"));
  CHECK(has_line(cfg, "listen 10.213.7.11:80;"));
  CHECK(has_line(cfg, "return 200 \"web1\\n\";"));
  CHECK_FALSE(block(cfg, "location = /health").empty());
  CHECK_FALSE(block(cfg, "location /").empty());
  CHECK(cfg.find("limit_req") == std::string::npos);
}

TEST_CASE("nginx backend keeps every file it writes in its own directory", "[stack][render][nginx]") {
  const auto exp = lb_experiment(ServiceKind::haproxy);
  const auto cfg =
      render_nginx_backend(exp.stack.services[1], fixed_plan(exp), paths_for("/run/x/web1"), "X-B");
  CHECK(has_line(cfg, "daemon off;"));
  CHECK(has_line(cfg, "master_process on;"));
  CHECK(has_line(cfg, "worker_processes 1;"));
  CHECK(has_line(cfg, "pid /run/x/web1/nginx.pid;"));
  CHECK(has_line(cfg, "error_log /run/x/web1/error.log notice;"));
  CHECK(has_line(cfg, "access_log off;"));
  for (const char* t : {"client_body", "proxy", "fastcgi", "uwsgi", "scgi"}) {
    CHECK(has_line(cfg, std::string(t) + "_temp_path /run/x/web1/" + t + ";"));
  }
}

TEST_CASE("nginx backend with a capacity sheds with 503 beyond it, except on health paths",
          "[stack][render][nginx]") {
  auto exp = lb_experiment(ServiceKind::haproxy);
  auto& web1 = exp.stack.services[1];
  web1.capacity = experiment::Capacity{300, 50};
  auto plan = fixed_plan(exp);
  plan.services[1].health_paths = {"/health", "/healthz"};
  const auto cfg = render_nginx_backend(web1, plan, paths_for("/d"), "X-Backend");

  CHECK(has_line(cfg, "limit_req_zone \"capacity\" zone=capacity:1m rate=300r/s;"));
  const auto root = block(cfg, "location /");
  CHECK(root.find("limit_req zone=capacity burst=50 nodelay;") != std::string::npos);
  CHECK(root.find("limit_req_status 503;") != std::string::npos);
  // The answer must come after the limit (content phase), not from
  // `return` in the limited location, which would bypass limit_req.
  CHECK(root.find("return") == std::string::npos);
  CHECK(block(cfg, "location @answer").find("return 200 \"web1\\n\";") != std::string::npos);
  for (const char* health : {"location = /health", "location = /healthz"}) {
    const auto b = block(cfg, health);
    REQUIRE_FALSE(b.empty());
    CHECK(b.find("limit_req") == std::string::npos);
  }
}

TEST_CASE("nginx backend capacity below one request per second is written per minute",
          "[stack][render][nginx]") {
  auto exp = lb_experiment(ServiceKind::haproxy);
  auto& web1 = exp.stack.services[1];
  web1.capacity = experiment::Capacity{0.5, 0};
  auto cfg = render_nginx_backend(web1, fixed_plan(exp), paths_for("/d"), "X-Backend");
  CHECK(cfg.find("rate=30r/m;") != std::string::npos);
  CHECK(cfg.find("limit_req zone=capacity nodelay;") != std::string::npos);
  CHECK(cfg.find("burst") == std::string::npos);
  web1.capacity = experiment::Capacity{0, 0};
  cfg = render_nginx_backend(web1, fixed_plan(exp), paths_for("/d"), "X-Backend");
  CHECK(cfg.find("limit_req") == std::string::npos);
}

TEST_CASE("nginx load balancer lists weighted upstream servers and proxies with keep-alive",
          "[stack][render][nginx]") {
  auto exp = lb_experiment(ServiceKind::nginx);
  auto& lb = exp.stack.services[0];
  lb.weights = {{"web2", 3}};
  lb.timeouts.connect = std::chrono::milliseconds(300);
  lb.timeouts.server = std::chrono::seconds(4);
  const auto cfg = render_nginx_lb(lb, fixed_plan(exp), paths_for("/d"));
  const auto up = block(cfg, "upstream be_lb");
  REQUIRE_FALSE(up.empty());
  CHECK(has_line(up, "server 10.213.7.11:80 weight=1 max_fails=0;"));
  CHECK(has_line(up, "server 10.213.7.12:80 weight=3 max_fails=0;"));
  CHECK(has_line(up, "keepalive 32;"));
  CHECK(has_line(cfg, "listen 10.213.7.10:80;"));
  CHECK(has_line(cfg, "proxy_pass http://be_lb;"));
  CHECK(has_line(cfg, "proxy_http_version 1.1;"));
  CHECK(has_line(cfg, "proxy_set_header Connection \"\";"));
  CHECK(has_line(cfg, "proxy_connect_timeout 300ms;"));
  CHECK(has_line(cfg, "proxy_read_timeout 4000ms;"));
  // The backend header must reach the client: nothing may hide it.
  CHECK(cfg.find("proxy_hide_header") == std::string::npos);
}

TEST_CASE("nginx load balancer turns a health check into passive failure limits", "[stack][render][nginx]") {
  auto exp = lb_experiment(ServiceKind::nginx);
  auto& lb = exp.stack.services[0];
  lb.health_check = experiment::HealthCheck{"/health", std::chrono::milliseconds(500), 2, 2};
  const auto up = block(render_nginx_lb(lb, fixed_plan(exp), paths_for("/d")), "upstream be_lb");
  CHECK(has_line(up, "server 10.213.7.11:80 weight=1 max_fails=2 fail_timeout=1s;"));
  lb.health_check->interval = std::chrono::milliseconds(1200);
  const auto up2 = block(render_nginx_lb(lb, fixed_plan(exp), paths_for("/d")), "upstream be_lb");
  CHECK(has_line(up2, "server 10.213.7.11:80 weight=1 max_fails=2 fail_timeout=3s;"));
}

TEST_CASE("nginx load balancer writes the upstream directive of each balance algorithm",
          "[stack][render][nginx]") {
  const std::vector<std::pair<std::string, std::string>> cases = {{"leastconn", "least_conn;"},
                                                                  {"least_conn", "least_conn;"},
                                                                  {"source", "ip_hash;"},
                                                                  {"uri", "hash $request_uri consistent;"},
                                                                  {"random", "random;"}};
  for (const auto& [balance, directive] : cases) {
    INFO("balance " << balance);
    auto exp = lb_experiment(ServiceKind::nginx);
    exp.stack.services[0].balance = balance;
    const auto up =
        block(render_nginx_lb(exp.stack.services[0], fixed_plan(exp), paths_for("/d")), "upstream be_lb");
    CHECK(has_line(up, directive));
    // nginx wants the balancing method before `keepalive`.
    CHECK(up.find(directive) < up.find("keepalive"));
  }
  auto exp = lb_experiment(ServiceKind::nginx);
  const auto up =
      block(render_nginx_lb(exp.stack.services[0], fixed_plan(exp), paths_for("/d")), "upstream be_lb");
  for (const char* other : {"least_conn", "ip_hash", "hash ", "random"}) {
    CHECK(up.find(other) == std::string::npos);
  }
  CHECK_FALSE(nginx_balance_directive("static-rr").has_value());
}

// The servers' own config checkers are the final word on syntax; they need
// no root and bind nothing.
int run_tool(const std::vector<std::string>& argv, std::string& output) {
  std::string cmd;
  for (const auto& a : argv) {
    cmd += "'" + a + "' ";
  }
  cmd += "2>&1";
  FILE* p = ::popen(cmd.c_str(), "r");
  if (p == nullptr) {
    return -1;
  }
  char buf[512];
  while (std::fgets(buf, sizeof buf, p) != nullptr) {
    output += buf;
  }
  const int status = ::pclose(p);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

// `nginx -t` binds its listen addresses: use loopback ones and a high port.
Plan loopback_plan(const experiment::Experiment& exp) {
  Plan plan = fixed_plan(exp);
  const int port = 20000 + ::getpid() % 20000;
  int host = 10;
  for (auto& s : plan.services) {
    s.address = "127.0.0." + std::to_string(host++);
    s.port = port;
  }
  return plan;
}

experiment::Experiment with_port(experiment::Experiment exp, int port) {
  for (auto& s : exp.stack.services) {
    s.port = port;
  }
  return exp;
}

TEST_CASE("rendered configs pass nginx -t and haproxy -c", "[stack][render][tools]") {
  testing::ScratchDir dir;
  const int port = 20000 + ::getpid() % 20000;
  auto exp = with_port(lb_experiment(ServiceKind::haproxy), port);
  exp.stack.services[0].health_check = experiment::HealthCheck{};
  exp.stack.services[0].redispatch = true;
  exp.stack.services[1].capacity = experiment::Capacity{100, 10};
  const auto plan = loopback_plan(exp);
  auto nginx = platform::find_executable("nginx");
  auto haproxy = platform::find_executable("haproxy");
  if (!nginx || !haproxy) {
    FAULTLINE_SKIP("nginx or haproxy is not installed");
  }
  auto write = [&](const std::string& name, const std::string& text) {
    std::ofstream(dir.path() + "/" + name) << text;
    return dir.path() + "/" + name;
  };
  auto nginx_ok = [&](const std::string& conf) {
    std::string out;
    const int rc =
        run_tool({*nginx, "-t", "-q", "-c", conf, "-p", dir.path() + "/", "-e", dir.path() + "/e.log"}, out);
    INFO(out);
    CHECK(rc == 0);
  };
  nginx_ok(write("backend.conf",
                 render_nginx_backend(exp.stack.services[1], plan, paths_for(dir.path()), "X-Backend")));
  nginx_ok(write("plain.conf",
                 render_nginx_backend(exp.stack.services[2], plan, paths_for(dir.path()), "X-Backend")));
  for (const char* balance : {"roundrobin", "leastconn", "source", "uri", "random"}) {
    auto nexp = with_port(lb_experiment(ServiceKind::nginx), port);
    nexp.stack.services[0].balance = balance;
    nexp.stack.services[0].health_check = experiment::HealthCheck{};
    INFO("nginx balance " << balance);
    nginx_ok(write("lb.conf",
                   render_nginx_lb(nexp.stack.services[0], loopback_plan(nexp), paths_for(dir.path()))));
  }
  std::string out;
  const auto cfg = write("haproxy.cfg", render_haproxy(exp.stack.services[0], plan,
                                                       paths_for(dir.path(), dir.path() + "/admin.sock")));
  const int rc = run_tool({*haproxy, "-c", "-q", "-f", cfg}, out);
  INFO(out);
  CHECK(rc == 0);
}

// --- TLS (issue 21) ---

RenderPaths tls_paths(const std::string& dir) {
  RenderPaths paths = paths_for(dir, dir + "/admin.sock");
  const auto files = platform::server_file_paths(dir);
  paths.tls_combined = files.combined;
  paths.tls_cert = files.cert;
  paths.tls_key = files.key;
  return paths;
}

TEST_CASE("a load balancer with tls terminates TLS with the run's certificate", "[stack][render][tls]") {
  for (const auto kind : {ServiceKind::haproxy, ServiceKind::nginx}) {
    auto exp = lb_experiment(kind);
    const auto plan = fixed_plan(exp);
    const auto plain = kind == ServiceKind::haproxy
                           ? render_haproxy(exp.stack.services[0], plan, tls_paths("/r/lb"))
                           : render_nginx_lb(exp.stack.services[0], plan, tls_paths("/r/lb"));
    exp.stack.services[0].tls = true;
    const auto tls = kind == ServiceKind::haproxy
                         ? render_haproxy(exp.stack.services[0], plan, tls_paths("/r/lb"))
                         : render_nginx_lb(exp.stack.services[0], plan, tls_paths("/r/lb"));
    if (kind == ServiceKind::haproxy) {
      CHECK(has_line(plain, "bind 10.213.7.10:80"));
      CHECK(has_line(tls, "bind 10.213.7.10:80 ssl crt /r/lb/tls-combined.pem alpn http/1.1"));
      CHECK_FALSE(has_line(tls, "bind 10.213.7.10:80"));
    } else {
      CHECK(has_line(plain, "listen 10.213.7.10:80;"));
      CHECK(plain.find("ssl") == std::string::npos);
      CHECK(has_line(tls, "listen 10.213.7.10:80 ssl;"));
      CHECK(has_line(tls, "ssl_certificate /r/lb/tls-cert.pem;"));
      CHECK(has_line(tls, "ssl_certificate_key /r/lb/tls-key.pem;"));
    }
    // The backends stay plain HTTP behind it.
    CHECK(tls.find("10.213.7.11:80") != std::string::npos);
    CHECK(tls.find("https://") == std::string::npos);
  }
}

TEST_CASE("rendered TLS configs pass nginx -t and haproxy -c with the run's certificate",
          "[stack][render][tools][tls]") {
  auto nginx = platform::find_executable("nginx");
  auto haproxy = platform::find_executable("haproxy");
  if (!nginx || !haproxy) {
    FAULTLINE_SKIP("nginx or haproxy is not installed");
  }
  testing::ScratchDir dir;
  const int port = 20000 + ::getpid() % 20000;
  const auto now = platform::SystemClock::now();
  auto ca = platform::make_run_ca("test CA", now);
  REQUIRE(ca);
  auto cert = platform::issue_server_cert(*ca, {{"127.0.0.10"}, {"lb"}}, now);
  REQUIRE(cert);
  REQUIRE(platform::write_server_files(dir.path(), ca->cert, *cert));
  for (const auto kind : {ServiceKind::haproxy, ServiceKind::nginx}) {
    auto exp = with_port(lb_experiment(kind), port);
    exp.stack.services[0].tls = true;
    const auto plan = loopback_plan(exp);
    std::string out;
    int rc = -1;
    if (kind == ServiceKind::haproxy) {
      const std::string cfg = dir.path() + "/haproxy.cfg";
      std::ofstream(cfg) << render_haproxy(exp.stack.services[0], plan, tls_paths(dir.path()));
      rc = run_tool({*haproxy, "-c", "-q", "-f", cfg}, out);
    } else {
      const std::string conf = dir.path() + "/lb.conf";
      std::ofstream(conf) << render_nginx_lb(exp.stack.services[0], plan, tls_paths(dir.path()));
      rc = run_tool({*nginx, "-t", "-q", "-c", conf, "-p", dir.path() + "/", "-e", dir.path() + "/e.log"},
                    out);
    }
    INFO(experiment::to_string(kind) << ": " << out);
    CHECK(rc == 0);
  }
}

}  // namespace
}  // namespace faultline::stack
