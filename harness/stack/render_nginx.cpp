// nginx configurations: a backend web server, and a load balancer.

#include <fmt/format.h>

#include <cmath>

#include "harness/stack/render.h"
#include "harness/stack/render_util.h"

namespace faultline::stack {
namespace {

class Writer {
 public:
  void line(const std::string& text) {
    out_.append(static_cast<size_t>(indent_) * 2, ' ');
    out_ += text;
    out_ += '\n';
  }
  void open(const std::string& head) {
    line(head + " {");
    ++indent_;
  }
  void close() {
    --indent_;
    line("}");
  }
  std::string str() const { return out_; }

 private:
  std::string out_;
  int indent_ = 0;
};

// Everything nginx would otherwise write under /var (pid, logs, temp files)
// goes to the service's own directory, so runs never share state and a run
// dir holds all there is to inspect.
void preamble(Writer& w, const std::string& what, const std::string& name, const RenderPaths& paths) {
  w.line(fmt::format("# nginx {} for service {} (rendered by faultline; edits are lost at the next run)",
                     what, name));
  w.line("daemon off;");
  w.line("master_process on;");
  w.line("worker_processes 1;");
  w.line("user root;");
  w.line(fmt::format("pid {}/nginx.pid;", paths.dir));
  w.line(fmt::format("error_log {}/error.log notice;", paths.dir));
  w.open("events");
  w.line("worker_connections 4096;");
  w.close();
}

void http_common(Writer& w, const RenderPaths& paths) {
  w.line("access_log off;");
  w.line("default_type text/plain;");
  w.line("server_tokens off;");
  w.line(fmt::format("client_body_temp_path {}/client_body;", paths.dir));
  w.line(fmt::format("proxy_temp_path {}/proxy;", paths.dir));
  w.line(fmt::format("fastcgi_temp_path {}/fastcgi;", paths.dir));
  w.line(fmt::format("uwsgi_temp_path {}/uwsgi;", paths.dir));
  w.line(fmt::format("scgi_temp_path {}/scgi;", paths.dir));
}

// nginx reads whole requests per second or per minute only.
std::string nginx_rate(double rps) {
  if (std::floor(rps) == rps && rps >= 1) {
    return fmt::format("{}r/s", static_cast<long long>(rps));
  }
  return fmt::format("{}r/m", std::max<long long>(1, std::llround(rps * 60)));
}

std::string repeat(const std::string& text, int times) {
  std::string out;
  for (int i = 0; i < times; ++i) {
    out += text;
  }
  return out;
}

std::string listen_address(const experiment::Service& svc, const Plan& plan) {
  const PlannedService* self = plan.find(svc.name);
  return fmt::format("{}:{}", self != nullptr ? self->address : "0.0.0.0", svc.port);
}

}  // namespace

std::optional<std::string> nginx_balance_directive(const std::string& balance) {
  if (balance == "roundrobin") {
    return std::string{};
  }
  if (balance == "leastconn" || balance == "least_conn") {
    return std::string{"least_conn;"};
  }
  if (balance == "source" || balance == "ip_hash") {
    return std::string{"ip_hash;"};
  }
  if (balance == "uri") {
    return std::string{"hash $request_uri consistent;"};
  }
  if (balance == "random") {
    return std::string{"random;"};
  }
  return std::nullopt;
}

std::string render_nginx_backend(const experiment::Service& svc, const Plan& plan, const RenderPaths& paths,
                                 const std::string& backend_header) {
  const PlannedService* self = plan.find(svc.name);
  std::vector<std::string> health_paths = {"/health"};
  if (self != nullptr && !self->health_paths.empty()) {
    health_paths = self->health_paths;
  }
  const bool limited = svc.capacity && svc.capacity->rps > 0;
  const std::string body = fmt::format("return 200 \"{}\\n\";", svc.name);

  Writer w;
  preamble(w, "backend", svc.name, paths);
  w.open("http");
  http_common(w, paths);
  if (limited) {
    // A constant key puts every request in one bucket: the server as a
    // whole has the capacity, whoever the clients are.
    w.line(
        fmt::format("limit_req_zone \"capacity\" zone=capacity:1m rate={};", nginx_rate(svc.capacity->rps)));
  }
  w.open("server");
  w.line(fmt::format("listen {};", listen_address(svc, plan)));
  // `always`: error responses (503 when shedding) name the backend too.
  w.line(fmt::format("add_header {} {} always;", backend_header, svc.name));
  for (const auto& p : health_paths) {
    // Exact-match locations: health checks never count against capacity.
    w.open(fmt::format("location = {}", p));
    w.line(body);
    w.close();
  }
  // --- /blob (added for the bandwidth fault's tests) ---
  // A fixed 256 KiB body (262144 bytes), so throughput can be measured in
  // bytes. nginx refuses a config token longer than its 4 KiB read buffer,
  // so the body is built from variables: 2 KiB x 8 x 16; no file needed.
  w.open("location = /blob");
  w.line(fmt::format("set $faultline_blob_2k \"{}\";", std::string(2048, 'x')));
  w.line(fmt::format("set $faultline_blob_16k \"{}\";", repeat("$faultline_blob_2k", 8)));
  w.line(fmt::format("return 200 \"{}\";", repeat("$faultline_blob_16k", 16)));
  w.close();
  // --- end of /blob ---
  w.open("location /");
  if (limited) {
    // nginx refuses burst=0; leaving it out means the same.
    w.line(svc.capacity->burst > 0
               ? fmt::format("limit_req zone=capacity burst={} nodelay;", svc.capacity->burst)
               : std::string("limit_req zone=capacity nodelay;"));
    w.line("limit_req_status 503;");
    // `return` acts in the rewrite phase, before limit_req (preaccess)
    // would run, so the answer comes from a named location reached through
    // try_files, which runs after the limit.
    w.line(fmt::format("root {};", paths.dir));
    w.line("try_files /.faultline-no-such-file @answer;");
    w.close();
    w.open("location @answer");
    w.line(body);
  } else {
    w.line(body);
  }
  w.close();
  w.close();  // server
  w.close();  // http
  return w.str();
}

std::string render_nginx_lb(const experiment::Service& lb, const Plan& plan, const RenderPaths& paths) {
  using detail::ms;
  const std::string upstream = haproxy_backend_name(lb.name);
  Writer w;
  preamble(w, "load balancer", lb.name, paths);
  w.open("http");
  http_common(w, paths);
  w.line(fmt::format("keepalive_timeout {};", ms(lb.timeouts.client)));
  w.line(fmt::format("client_header_timeout {};", ms(lb.timeouts.client)));
  w.line(fmt::format("client_body_timeout {};", ms(lb.timeouts.client)));
  w.line(fmt::format("send_timeout {};", ms(lb.timeouts.client)));
  w.open(fmt::format("upstream {}", upstream));
  // The balancing directive must come before `keepalive`.
  if (auto directive = nginx_balance_directive(lb.balance); directive && !directive->empty()) {
    w.line(*directive);
  }
  for (const auto& name : lb.backends) {
    const PlannedService* b = plan.find(name);
    if (b == nullptr) {
      continue;
    }
    // nginx has passive checks only: `fall` failures within the interval
    // take a server out for that long. Without a health check a server is
    // never taken out (max_fails=0), as HAProxy does without `check`.
    std::string health = " max_fails=0";
    if (lb.health_check) {
      // fail_timeout is read in whole seconds only.
      const auto window = std::chrono::duration_cast<std::chrono::milliseconds>(lb.health_check->interval *
                                                                                lb.health_check->fall);
      health = fmt::format(" max_fails={} fail_timeout={}s", lb.health_check->fall,
                           std::max<long long>(1, (window.count() + 999) / 1000));
    }
    // max_conns: a server at its limit is skipped; with every server at it,
    // nginx answers 502 (it has no queue).
    w.line(fmt::format("server {}:{} weight={}{}{};", b->address, b->port, detail::weight_of(lb, name),
                       lb.maxconn > 0 ? fmt::format(" max_conns={}", lb.maxconn) : std::string(), health));
  }
  w.line("keepalive 32;");
  w.close();
  w.open("server");
  if (lb.tls) {
    w.line(fmt::format("listen {} ssl;", listen_address(lb, plan)));
    w.line(fmt::format("ssl_certificate {};", paths.tls_cert));
    w.line(fmt::format("ssl_certificate_key {};", paths.tls_key));
    // Session tickets are on by default; a cache also resumes clients that
    // offer a session id (TLS 1.2).
    w.line("ssl_session_cache shared:faultline_tls:1m;");
  } else {
    w.line(fmt::format("listen {};", listen_address(lb, plan)));
  }
  w.open("location /");
  w.line(fmt::format("proxy_pass http://{};", upstream));
  w.line("proxy_http_version 1.1;");
  w.line("proxy_set_header Connection \"\";");
  w.line(fmt::format("proxy_connect_timeout {};", ms(lb.timeouts.connect)));
  w.line(fmt::format("proxy_read_timeout {};", ms(lb.timeouts.server)));
  w.line(fmt::format("proxy_send_timeout {};", ms(lb.timeouts.server)));
  // `retries` counts extra attempts, as in HAProxy; nginx always tries
  // another server, which is what `redispatch` asks of HAProxy.
  if (lb.retries > 0) {
    std::string conditions = lb.retry_on.empty() ? " error timeout" : "";
    for (const auto& r : lb.retry_on) {
      conditions += " ";
      conditions += r == "connect-failure" ? "error" : r == "timeout" ? "timeout" : "http_" + r;
    }
    w.line(fmt::format("proxy_next_upstream{};", conditions));
    w.line(fmt::format("proxy_next_upstream_tries {};", lb.retries + 1));
  } else {
    w.line("proxy_next_upstream off;");
  }
  w.close();
  w.close();  // server
  w.close();  // http
  return w.str();
}

}  // namespace faultline::stack
