#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

// What faultline asks of the Docker Engine API and what it reads back, as
// plain types: the client (docker_api.h) fills them from the daemon's JSON
// (docker_json.h), so nothing above the platform sees JSON.
namespace faultline::platform {

using Labels = std::map<std::string, std::string>;

// GET /version.
struct DockerVersion {
  std::string version;          // the engine's release, "20.10.24+dfsg1"
  std::string api_version;      // the newest API it speaks, "1.41"
  std::string min_api_version;  // the oldest, "1.12"
  std::string os;
  std::string arch;
  std::string kernel_version;
};

// POST /networks/create: a bridge network of a run's own.
struct NetworkSpec {
  std::string name;
  Labels labels;
  std::string subnet;   // "10.213.1.0/24"; empty: the daemon picks one
  std::string gateway;  // "10.213.1.1"; only with a subnet
  // The host's name for the bridge (com.docker.network.bridge.name), at
  // most 15 characters; empty: the daemon's "br-<id>".
  std::string bridge_name;
};

// One entry of GET /networks.
struct NetworkInfo {
  std::string id;
  std::string name;
  std::string driver;
  Labels labels;
  std::vector<std::string> subnets;  // IPAM.Config[].Subnet
};

// POST /containers/create. The restart policy is always "no": a container
// faultline starts is one it supervises.
struct ContainerSpec {
  std::string name;
  std::string image;
  std::vector<std::string> cmd;  // empty: the image's own (the test images have none)
  Labels labels;
  std::vector<std::string> binds;    // "host:container[:ro]"
  bool init = false;                 // docker-init as pid 1, the server its child
  std::string network;               // the network to attach to; empty: the default bridge
  std::string ipv4;                  // a static address on `network`; empty: the daemon picks one
  std::vector<std::string> aliases;  // names on `network`
};

// What a create gave back.
struct CreatedContainer {
  std::string id;
  std::vector<std::string> warnings;  // "IPv4 forwarding is disabled. ..."
};

// A container's State, from GET /containers/{id}/json.
struct ContainerState {
  std::string status;  // created, running, paused, restarting, removing, exited, dead
  bool running = false;
  bool paused = false;
  bool restarting = false;
  bool oom_killed = false;
  // The container's first process: docker-init with `init`, the server
  // without. 0 when it is not running.
  int pid = 0;
  int exit_code = 0;
  std::string started_at;   // RFC 3339, changes at every (re)start
  std::string finished_at;  // RFC 3339, "0001-01-01T00:00:00Z" when it never stopped
};

// One network a container is attached to.
struct ContainerEndpoint {
  std::string network_id;
  std::string ip;  // IPv4, empty while not running
  std::string gateway;
  std::vector<std::string> aliases;
};

// One of a container's mounts.
struct ContainerMount {
  std::string type;  // bind, volume, tmpfs
  std::string source;
  std::string destination;
  bool rw = true;
};

// GET /containers/{id}/json: what faultline reads of a container.
struct ContainerInfo {
  std::string id;
  std::string name;      // without Docker's leading '/'
  std::string image;     // Config.Image: the reference it was created from
  std::string image_id;  // Image: "sha256:..."
  ContainerState state;
  // Restarts by the restart policy: with the pid and started_at, how a
  // restart is told (the network namespace's inode number is reused).
  int restart_count = 0;
  std::string restart_policy;  // HostConfig.RestartPolicy.Name: no, always, unless-stopped, on-failure
  bool init = false;           // HostConfig.Init
  Labels labels;               // Config.Labels, the image's included
  std::map<std::string, ContainerEndpoint> networks;  // by network name
  std::vector<ContainerMount> mounts;
};

// One entry of GET /containers/json.
struct ContainerSummary {
  std::string id;
  std::vector<std::string> names;  // without the leading '/'
  std::string image;
  std::string state;   // running, exited, paused, ...
  std::string status;  // "Up 3 minutes", "Exited (137) 2 seconds ago"
  Labels labels;
  std::map<std::string, std::string> ips;  // IPv4 by network name
};

// What a command run inside a container (an exec) did: its exit code and
// what it printed on each stream.
struct ExecResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};

// A container's output from GET /containers/{id}/logs, one string per stream.
struct ContainerLogs {
  std::string out;
  std::string err;
};

}  // namespace faultline::platform
