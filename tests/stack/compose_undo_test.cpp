// runtime compose: the undo records a run keeps of what it changed on an
// attached container (compose_undo.h), and how cleanup recognises a run's
// iptables rules (compose_sweep.h), without Docker.

#include "harness/stack/compose_undo.h"

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>

#include "harness/common/scratch_dir.h"
#include "harness/platform/cgroup_edit.h"
#include "harness/stack/compose_sweep.h"

namespace faultline::stack::compose {
namespace {

namespace fs = std::filesystem;

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

}  // namespace

TEST_CASE("compose undo: config originals keep any bytes, and a cut record is refused",
          "[stack][compose][undo]") {
  const std::map<std::string, std::string> files = {
      {"/etc/nginx/nginx.conf", "events {}\nhttp {\n}\n"},
      {"/etc/nginx/conf.d/a b.conf", std::string("no newline at the end\0with a NUL", 32)},
      {"/etc/nginx/empty.conf", ""},
      {"/etc/nginx/two.conf", "12 /fake/header\nlooks like a header\n"},
  };
  const std::string text = encode_originals(files);
  auto back = decode_originals(text);
  REQUIRE(back.ok());
  CHECK(*back == files);

  // A record cut anywhere (a write that never finished) is an error, not a
  // shorter file to write back.
  for (size_t cut = 1; cut < text.size(); cut += 7) {
    INFO("cut at " << cut);
    auto part = decode_originals(text.substr(0, cut));
    if (part) {
      // Only a cut right after a whole entry parses, and then as the
      // entries before it.
      CHECK(part->size() < files.size());
      for (const auto& [path, bytes] : *part) {
        CHECK(files.at(path) == bytes);
      }
    }
  }
  CHECK_FALSE(decode_originals("5 /etc/x\nabc\n").ok());
  CHECK_FALSE(decode_originals("x /etc/x\nabc\n").ok());
  CHECK_FALSE(decode_originals("3 relative\nabc\n").ok());
  CHECK(decode_originals("")->empty());
}

TEST_CASE("compose undo: a container record names it by id and by its Compose labels",
          "[stack][compose][undo]") {
  const ContainerRecord c{"shop", "web", 2, "0123abcd", "shop-web-2", "nginx", "/etc/nginx/nginx.conf", ""};
  auto back = decode_container(encode_container(c));
  REQUIRE(back);
  CHECK(back->project == "shop");
  CHECK(back->service == "web");
  CHECK(back->number == 2);
  CHECK(back->id == "0123abcd");
  CHECK(back->name == "shop-web-2");
  CHECK(back->kind == "nginx");
  CHECK(back->config_file == "/etc/nginx/nginx.conf");
  CHECK(back->admin_socket.empty());
  // Without its labels a container whose id is gone could not be found.
  CHECK_FALSE(decode_container("id\tabc\nservice\tweb\n"));
  CHECK_FALSE(decode_container("project\tshop\nid\tabc\n"));
  CHECK_FALSE(decode_container("project\tshop\nservice\tweb\nnumber\ttwo\n"));
}

TEST_CASE("compose undo: a namespace's qdisc and tables as found read back", "[stack][compose][undo]") {
  const NetnsFound found{"noqueue", {"ip nat", "inet team_filter"}};
  const NetnsFound back = decode_netns(encode_netns(found));
  CHECK(back.qdisc == "noqueue");
  CHECK(back.tables == found.tables);
  // Found with nothing to read (no eth0, no nft): nothing is taken for the
  // team's then.
  const NetnsFound none = decode_netns(encode_netns({}));
  CHECK(none.qdisc.empty());
  CHECK(none.tables.empty());
}

TEST_CASE("compose undo: HAProxy servers' weights and forced states read back", "[stack][compose][undo]") {
  const std::vector<ServerSetting> servers = {
      {"be_web", "web1", 1, "ready"}, {"be_web", "web2", 0, "maint"}, {"be_api", "api1", 256, "drain"}};
  auto back = decode_servers(encode_servers(servers));
  REQUIRE(back.ok());
  REQUIRE(back->size() == 3);
  for (size_t k = 0; k < servers.size(); ++k) {
    CHECK((*back)[k].backend == servers[k].backend);
    CHECK((*back)[k].server == servers[k].server);
    CHECK((*back)[k].weight == servers[k].weight);
    CHECK((*back)[k].admin == servers[k].admin);
  }
  CHECK_FALSE(decode_servers("be_web\tweb1\tone\tready\n").ok());
  CHECK_FALSE(decode_servers("be_web\tweb1\t1\tasleep\n").ok());
  CHECK_FALSE(decode_servers("be_web\tweb1\t1\n").ok());
}

TEST_CASE("compose undo: marks are written before and dropped after, and a folder without changes has none",
          "[stack][compose][undo]") {
  ScratchDir run("faultline-undo");
  REQUIRE_FALSE(run.path().empty());
  const std::string web = run.path() + "/web1";
  fs::create_directories(web);
  fs::create_directories(run.path() + "/logs");  // a folder of the run that is no container's
  const UndoRecord rec(web);
  REQUIRE(rec.write_container({"shop", "web1", 1, "id1", "shop-web1-1", "nginx", "/etc/nginx/nginx.conf", ""})
              .ok());
  CHECK_FALSE(rec.anything_to_undo());
  const auto found = attached_records(run.path());
  REQUIRE(found.size() == 1);
  CHECK(found.front().dir() == web);

  REQUIRE(rec.mark(Mark::paused).ok());
  REQUIRE(rec.mark(Mark::netns, "noqueue").ok());
  CHECK(rec.anything_to_undo());
  CHECK(rec.marked(Mark::paused) == std::optional<std::string>(""));
  CHECK(rec.marked(Mark::netns) == std::optional<std::string>("noqueue"));
  CHECK_FALSE(rec.marked(Mark::killed));
  rec.drop(Mark::paused);
  rec.drop(Mark::netns);
  rec.drop(Mark::killed);  // never marked: nothing to drop
  CHECK_FALSE(rec.anything_to_undo());

  REQUIRE(rec.write_originals({{"/etc/nginx/nginx.conf", "old\n"}}).ok());
  CHECK(rec.anything_to_undo());
  CHECK(rec.originals()->at("/etc/nginx/nginx.conf") == "old\n");
  // Every file back as found: the record goes.
  REQUIRE(rec.write_originals({}).ok());
  CHECK(rec.originals()->empty());
  CHECK_FALSE(rec.anything_to_undo());

  REQUIRE(rec.write_servers({{"be_web", "web1", 1, "ready"}}).ok());
  auto servers = rec.servers();
  REQUIRE(servers.ok());
  REQUIRE(*servers);
  CHECK((*servers)->size() == 1);
  rec.drop_servers();
  CHECK_FALSE(*rec.servers());
  CHECK_FALSE(rec.anything_to_undo());
  // Nothing but the container record is left, and no half-written file.
  std::vector<std::string> left;
  for (const auto& e : fs::directory_iterator(web)) {
    left.push_back(e.path().filename().string());
  }
  CHECK(left == std::vector<std::string>{"container"});
}

TEST_CASE("compose undo: a limit's originals are recorded while in force and gone after the revert",
          "[stack][compose][undo]") {
  ScratchDir run("faultline-undo");
  REQUIRE_FALSE(run.path().empty());
  const std::string group = run.path() + "/group";
  fs::create_directories(group);
  std::ofstream(group + "/cpu.cfs_quota_us") << "-1\n";
  std::ofstream(group + "/cpu.cfs_period_us") << "100000\n";
  const UndoRecord rec(run.path());

  // The record path the compose stack gives CgroupFileEdits.
  platform::CgroupFileEdits edits(platform::CgroupVersion::v1, group, rec.cgroup_record("cpu"));
  REQUIRE(edits.write("cpu.cfs_period_us", "50000").ok());
  REQUIRE(edits.write("cpu.cfs_quota_us", "5000").ok());
  CHECK(rec.limited_controllers() == std::vector<std::string>{"cpu"});
  CHECK(rec.anything_to_undo());
  auto originals = rec.cgroup_originals("cpu");
  REQUIRE(originals.ok());
  REQUIRE(originals->size() == 2);
  // In the order written, each with its group and the value found.
  CHECK((*originals)[0].file == "cpu.cfs_period_us");
  CHECK((*originals)[0].dir == group);
  CHECK((*originals)[0].original == "100000");
  CHECK((*originals)[1].file == "cpu.cfs_quota_us");
  CHECK((*originals)[1].original == "-1");

  REQUIRE(edits.restore().ok());
  CHECK(rec.limited_controllers().empty());
  CHECK_FALSE(rec.anything_to_undo());
  CHECK(slurp(group + "/cpu.cfs_quota_us").rfind("-1", 0) == 0);

  CHECK_FALSE(decode_cgroup_originals("no tab here\n").ok());
  CHECK_FALSE(decode_cgroup_originals("nofile\t5\n").ok());
}

TEST_CASE("compose undo: cleanup deletes exactly the iptables rules carrying the run's comment",
          "[stack][compose][undo]") {
  const std::string save =
      "# Generated by iptables-save v1.8.9 (nf_tables)\n"
      "*filter\n"
      ":INPUT ACCEPT [0:0]\n"
      ":OUTPUT ACCEPT [0:0]\n"
      "-A INPUT -i eth0 -m comment --comment faultline:abc123 -m mark ! --mark 0x2 -j NFQUEUE --queue-num 7 "
      "--queue-bypass\n"
      "-A OUTPUT -o eth0 -d 172.20.0.3/32 -m comment --comment \"faultline:abc123\" -j NFQUEUE --queue-num 7 "
      "--queue-bypass\n"
      "-A OUTPUT -o eth0 -m comment --comment faultline:def456 -j NFQUEUE --queue-num 3 --queue-bypass\n"
      "-A OUTPUT -o eth0 -m comment --comment \"faultline:abc1234\" -j DROP\n"
      "-A OUTPUT -o eth0 -j ACCEPT\n"
      "COMMIT\n"
      "*mangle\n"
      ":OUTPUT ACCEPT [0:0]\n"
      "-A OUTPUT -m comment --comment \"team rule\" -j MARK --set-mark 0x1\n"
      "COMMIT\n";
  CHECK(
      delete_run_rules_script(save, "abc123") ==
      "*filter\n"
      "-D INPUT -i eth0 -m comment --comment faultline:abc123 -m mark ! --mark 0x2 -j NFQUEUE --queue-num 7 "
      "--queue-bypass\n"
      "-D OUTPUT -o eth0 -d 172.20.0.3/32 -m comment --comment \"faultline:abc123\" -j NFQUEUE --queue-num 7 "
      "--queue-bypass\n"
      "COMMIT\n");
  CHECK(delete_run_rules_script(save, "0a0a0a").empty());

  CHECK(is_run_table("faultline_abc123_loss0", "abc123"));
  CHECK(is_run_table("faultline_abc123_partition_2", "abc123"));
  CHECK_FALSE(is_run_table("faultline_def456_loss0", "abc123"));
  CHECK_FALSE(is_run_table("faultline_abc1234_loss0", "abc123"));
  CHECK_FALSE(is_run_table("filter", "abc123"));
}

}  // namespace faultline::stack::compose
