#pragma once

// runtime compose: what faultline has changed on an attached container and
// not yet put back, kept in the run's folder so that `faultline cleanup`
// can put the container back as found after the run was killed (SIGKILL)
// with faults in force (compose_sweep.h). Each record is written before
// the change it covers (write-ahead: a run killed between the two leaves a
// record of a change that may not have happened, never a change without a
// record) and dropped once the change is undone, so a run that ended
// normally leaves nothing to undo.
//
//   <run dir>/<instance>/container       which container it is (for the run's length)
//   <run dir>/<instance>/undo.paused     faultline paused it
//   <run dir>/<instance>/undo.killed     faultline sent its first process a kill signal
//   <run dir>/<instance>/undo.netns      faultline entered its network namespace; holds
//                                        what the namespace had before (NetnsFound)
//   <run dir>/<instance>/undo.files      its config files' bytes before faultline's first write
//   <run dir>/<instance>/undo.haproxy    HAProxy's servers' weights and forced states at attach
//   <run dir>/<instance>/cgroup-originals.<controller>   a limit's originals (cgroup_edit.h)
//
// Every file is replaced whole (a new file renamed over the old), so a kill
// in the middle of a write leaves the previous record, never half of one.

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "harness/common/result.h"

namespace faultline::stack::compose {

// An attached container, as cleanup finds it again: by id, else by its
// Compose labels (project, service, container number) when the id is gone.
struct ContainerRecord {
  std::string project;
  std::string service;
  int number = 1;
  std::string id;
  std::string name;
  std::string kind;          // "nginx", "haproxy", "process"
  std::string config_file;   // the server's config inside the container; empty when none
  std::string admin_socket;  // HAProxy's admin socket inside the container; empty when none
};

// A change that one file's presence records.
enum class Mark { paused, killed, netns };

// What a container's network namespace held when faultline first entered
// it, before any fault: what is there now and was not then, and is of a
// kind faultline adds, is a fault's.
struct NetnsFound {
  std::string qdisc;                // eth0's root qdisc kind ("noqueue"); empty when unknown
  std::vector<std::string> tables;  // its nft tables, "<family> <name>" ("ip nat")
};

// One HAProxy server's runtime settings: the weight in force (srv_uweight)
// and the admin state the runtime API forced ("ready", "drain", "maint").
struct ServerSetting {
  std::string backend;
  std::string server;
  int weight = 0;
  std::string admin;
};

// One control file of a limit, as CgroupFileEdits records it: the file's
// name in its group and what it held before the fault.
struct CgroupOriginal {
  std::string file;  // e.g. "cpu.cfs_quota_us"
  std::string dir;   // the group as it was when written (a restart may move it)
  std::string original;
};

// The records of one attached container, in its folder of the run.
class UndoRecord {
 public:
  explicit UndoRecord(std::string dir) : dir_(std::move(dir)) {}
  const std::string& dir() const { return dir_; }

  Status write_container(const ContainerRecord& c) const;
  // nullopt when the folder holds none (not an attached container's).
  std::optional<ContainerRecord> container() const;

  // `note` is kept with the mark (undo.netns: eth0's root qdisc kind).
  Status mark(Mark what, const std::string& note = "") const;
  // The note when marked, nullopt when not.
  std::optional<std::string> marked(Mark what) const;
  void drop(Mark what) const;

  // Config files, by path inside the container: the bytes found before
  // faultline's first write. An empty map drops the record.
  Status write_originals(const std::map<std::string, std::string>& files) const;
  // Empty when there is no record; an error when it cannot be read whole.
  Result<std::map<std::string, std::string>> originals() const;

  Status write_servers(const std::vector<ServerSetting>& servers) const;
  // nullopt when there is no record.
  Result<std::optional<std::vector<ServerSetting>>> servers() const;
  void drop_servers() const;

  // The controllers whose limit has originals recorded, sorted.
  std::vector<std::string> limited_controllers() const;
  Result<std::vector<CgroupOriginal>> cgroup_originals(const std::string& controller) const;
  void drop_cgroup(const std::string& controller) const;
  // Where CgroupFileEdits keeps the originals of `controller`.
  std::string cgroup_record(const std::string& controller) const;

  // Whether any change is still recorded (the container record aside).
  bool anything_to_undo() const;

 private:
  std::string dir_;
};

// The folders of `run_dir` that hold a container record, sorted: one per
// attached container of a compose run, none for the other runtimes.
std::vector<UndoRecord> attached_records(const std::string& run_dir);

// The records' texts, apart from the files, for tests.
std::string encode_container(const ContainerRecord& c);
std::optional<ContainerRecord> decode_container(const std::string& text);
// "<size> <path>\n<bytes>\n" a file: any bytes, a newline or NUL included.
std::string encode_originals(const std::map<std::string, std::string>& files);
Result<std::map<std::string, std::string>> decode_originals(const std::string& text);
// "qdisc <kind>\n" then "table <family> <name>\n" a table.
std::string encode_netns(const NetnsFound& found);
NetnsFound decode_netns(const std::string& text);
// "<backend>\t<server>\t<weight>\t<admin>\n" a server.
std::string encode_servers(const std::vector<ServerSetting>& servers);
Result<std::vector<ServerSetting>> decode_servers(const std::string& text);
// CgroupFileEdits' "<dir>/<file>\t<original>\n" a file, in the order written.
Result<std::vector<CgroupOriginal>> decode_cgroup_originals(const std::string& text);

}  // namespace faultline::stack::compose
