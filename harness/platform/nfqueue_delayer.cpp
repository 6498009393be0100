#include "harness/platform/nfqueue_delayer.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <libnetfilter_queue/libnetfilter_queue.h>
#include <linux/netfilter.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstring>
#include <mutex>
#include <queue>
#include <vector>

namespace faultline::platform {

CorrelatedRandom::CorrelatedRandom(double rho, uint64_t seed) : rho_(rho), last_(0), state_(seed | 1) {
  last_ = static_cast<double>(state_ >> 11) * 0x1.0p-53;
  next();
}

double CorrelatedRandom::next() {
  // xorshift64*: enough for packet fates, and reproducible from a seed.
  state_ ^= state_ >> 12;
  state_ ^= state_ << 25;
  state_ ^= state_ >> 27;
  const double u = static_cast<double>((state_ * 0x2545F4914F6CDD1DULL) >> 11) * 0x1.0p-53;
  if (rho_ <= 0) {
    return u;
  }
  // netem's get_crandom: the new value leans towards the last by rho.
  last_ = u * (1 - rho_) + last_ * rho_;
  return last_;
}

uint16_t next_queue_num() {
  // Away from 0, the queue number people use by hand.
  static std::atomic<uint16_t> next{7100};
  return next.fetch_add(1);
}

namespace {

using Clock = std::chrono::steady_clock;

struct Held {
  Clock::time_point due;
  uint64_t seq;  // arrival order breaks ties, so equal delays keep order
  uint32_t id;
  bool operator>(const Held& o) const { return due != o.due ? due > o.due : seq > o.seq; }
};

uint64_t seed_from_clock() {
  return static_cast<uint64_t>(Clock::now().time_since_epoch().count()) ^ 0x9E3779B97F4A7C15ULL;
}

}  // namespace

struct NfqueueDelayer::Impl {
  DelayerConfig cfg;
  nfq_handle* handle = nullptr;
  nfq_q_handle* queue = nullptr;
  int fd = -1;
  int wake_fd = -1;
  int raw_fd = -1;
  std::atomic<bool> stopping{false};
  mutable std::mutex stats_mu;
  DelayerStats stats;
  CorrelatedRandom delay_rnd;
  CorrelatedRandom loss_rnd;
  CorrelatedRandom dup_rnd;
  CorrelatedRandom reorder_rnd;
  std::priority_queue<Held, std::vector<Held>, std::greater<>> held;
  uint64_t seq = 0;

  explicit Impl(const DelayerConfig& c)
      : cfg(c),
        delay_rnd(c.delay_correlation, seed_from_clock()),
        loss_rnd(c.loss_correlation, seed_from_clock() * 3),
        dup_rnd(0, seed_from_clock() * 5),
        reorder_rnd(c.reorder_correlation, seed_from_clock() * 7) {}

  ~Impl() {
    if (queue != nullptr) {
      nfq_destroy_queue(queue);
    }
    if (handle != nullptr) {
      nfq_close(handle);
    }
    if (wake_fd >= 0) {
      ::close(wake_fd);
    }
    if (raw_fd >= 0) {
      ::close(raw_fd);
    }
  }

  void verdict(uint32_t id, uint32_t v) { nfq_set_verdict(queue, id, v, 0, nullptr); }

  // The fate of one packet, decided when it arrives.
  int on_packet(nfq_data* nfad) {
    const auto* hdr = nfq_get_msg_packet_hdr(nfad);
    if (hdr == nullptr) {
      return 0;
    }
    const uint32_t id = ntohl(hdr->packet_id);
    std::lock_guard<std::mutex> lock(stats_mu);
    ++stats.packets;
    if (cfg.loss > 0 && loss_rnd.next() < cfg.loss) {
      ++stats.dropped;
      verdict(id, NF_DROP);
      return 0;
    }
    if (cfg.duplicate > 0 && dup_rnd.next() < cfg.duplicate) {
      duplicate(nfad);
    }
    Duration d = cfg.delay;
    if (cfg.reorder > 0 && reorder_rnd.next() < cfg.reorder) {
      // netem: a reordered packet goes out at once, overtaking the held ones.
      ++stats.reordered;
      d = Duration{0};
    } else if (cfg.jitter.count() > 0) {
      const double offset = (delay_rnd.next() * 2 - 1) * static_cast<double>(cfg.jitter.count());
      d += Duration{static_cast<Duration::rep>(offset)};
    }
    if (d.count() <= 0) {
      verdict(id, NF_ACCEPT);
      return 0;
    }
    held.push(Held{Clock::now() + std::chrono::duration_cast<Clock::duration>(d), seq++, id});
    return 0;
  }

  // Sends a copy of an IPv4 packet through a raw socket; the copy carries
  // kDuplicateMark so the queue rules let it pass.
  void duplicate(nfq_data* nfad) {
    unsigned char* data = nullptr;
    const int len = nfq_get_payload(nfad, &data);
    if (raw_fd < 0 || len < static_cast<int>(sizeof(iphdr)) || data == nullptr) {
      return;
    }
    iphdr ip{};
    std::memcpy(&ip, data, sizeof ip);
    if (ip.version != 4) {
      return;
    }
    sockaddr_in to{};
    to.sin_family = AF_INET;
    to.sin_addr.s_addr = ip.daddr;
    if (::sendto(raw_fd, data, static_cast<size_t>(len), MSG_DONTWAIT, reinterpret_cast<sockaddr*>(&to),
                 sizeof to) == len) {
      ++stats.duplicated;
    }
  }

  static int callback(nfq_q_handle* /*qh*/, nfgenmsg* /*msg*/, nfq_data* nfad, void* self) {
    return static_cast<Impl*>(self)->on_packet(nfad);
  }

  void release_due(bool all) {
    const auto now = Clock::now();
    while (!held.empty() && (all || held.top().due <= now)) {
      verdict(held.top().id, NF_ACCEPT);
      held.pop();
    }
  }

  // Reads whatever the kernel has queued, without blocking.
  void read_packets(std::vector<char>& buf) {
    for (;;) {
      const ssize_t n = ::recv(fd, buf.data(), buf.size(), MSG_DONTWAIT);
      if (n < 0) {
        // ENOBUFS: the kernel dropped messages we were too slow for; those
        // packets are lost, as they would be with a full netem queue.
        if (errno == EINTR || errno == ENOBUFS) {
          continue;
        }
        return;
      }
      if (n == 0) {
        return;
      }
      nfq_handle_packet(handle, buf.data(), static_cast<int>(n));
    }
  }

  void run() {
    // The default 50 us timer slack would add to every packet's delay;
    // 1 us keeps wake-ups on time without spinning.
    ::prctl(PR_SET_TIMERSLACK, 1000UL, 0, 0, 0);
    std::vector<char> buf(256 * 1024);
    while (!stopping.load()) {
      // ppoll sleeps to the nanosecond, so the thread wakes when the next
      // held packet is due instead of spinning through the last millisecond
      // (which cost most of a core at 1k packets/s, see bench/).
      timespec timeout{0, 200'000'000};
      if (!held.empty()) {
        const auto wait = std::chrono::duration_cast<std::chrono::nanoseconds>(held.top().due - Clock::now());
        const int64_t ns = std::max<int64_t>(0, wait.count());
        timeout = {static_cast<time_t>(ns / 1'000'000'000), static_cast<long>(ns % 1'000'000'000)};
      }
      pollfd fds[2] = {{fd, POLLIN, 0}, {wake_fd, POLLIN, 0}};
      ::ppoll(fds, 2, &timeout, nullptr);
      if ((fds[0].revents & POLLIN) != 0) {
        read_packets(buf);
      }
      std::lock_guard<std::mutex> lock(stats_mu);
      release_due(false);
    }
    // The rules are gone by now; whatever is still in the socket or held
    // goes out at once, so stopping never drops a packet.
    read_packets(buf);
    std::lock_guard<std::mutex> lock(stats_mu);
    release_due(true);
  }
};

NfqueueDelayer::NfqueueDelayer(uint16_t queue_num, std::unique_ptr<Impl> impl)
    : queue_num_(queue_num), impl_(std::move(impl)) {}

NfqueueDelayer::~NfqueueDelayer() {
  stop();
}

Result<std::unique_ptr<NfqueueDelayer>> NfqueueDelayer::start(uint16_t queue_num,
                                                              const DelayerConfig& config) {
  auto impl = std::make_unique<Impl>(config);
  impl->handle = nfq_open();
  if (impl->handle == nullptr) {
    return Error{fmt::format("nfqueue: cannot open the netlink socket: {}", std::strerror(errno))};
  }
  if (nfq_bind_pf(impl->handle, AF_INET) < 0) {
    return Error{fmt::format("nfqueue: cannot bind AF_INET: {}", std::strerror(errno))};
  }
  impl->queue = nfq_create_queue(impl->handle, queue_num, &Impl::callback, impl.get());
  if (impl->queue == nullptr) {
    return Error{fmt::format("nfqueue: cannot create queue {} (is another program bound to it?): {}",
                             queue_num, std::strerror(errno))};
  }
  // Only duplicate needs the packet's bytes; metadata is cheaper otherwise.
  const bool need_bytes = config.duplicate > 0;
  if (nfq_set_mode(impl->queue, need_bytes ? NFQNL_COPY_PACKET : NFQNL_COPY_META, 0xffff) < 0) {
    return Error{fmt::format("nfqueue: cannot set copy mode: {}", std::strerror(errno))};
  }
  // Held packets count against the queue's length: room for ~1 s of a
  // busy stack's packets; beyond it the kernel drops, like netem's limit.
  nfq_set_queue_maxlen(impl->queue, 20000);
  nfnl_rcvbufsiz(nfq_nfnlh(impl->handle), 8 * 1024 * 1024);
  impl->fd = nfq_fd(impl->handle);
  // Not inherited by children faultline starts later (a restarted server):
  // a copy of the socket in another process would keep the queue bound
  // after faultline died, and --queue-bypass only helps when nobody is.
  ::fcntl(impl->fd, F_SETFD, FD_CLOEXEC);
  impl->wake_fd = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (impl->wake_fd < 0) {
    return Error{fmt::format("eventfd: {}", std::strerror(errno))};
  }
  if (need_bytes) {
    impl->raw_fd = ::socket(AF_INET, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_RAW);
    const uint32_t mark = kDuplicateMark;
    if (impl->raw_fd < 0 || ::setsockopt(impl->raw_fd, SOL_SOCKET, SO_MARK, &mark, sizeof mark) != 0) {
      return Error{fmt::format("duplicate: cannot open a marked raw socket: {}", std::strerror(errno))};
    }
  }
  std::unique_ptr<NfqueueDelayer> d(new NfqueueDelayer(queue_num, std::move(impl)));
  Impl* raw = d->impl_.get();
  d->thread_ = std::thread([raw] { raw->run(); });
  return d;
}

void NfqueueDelayer::stop() {
  if (!impl_) {
    return;
  }
  impl_->stopping.store(true);
  const uint64_t one = 1;
  [[maybe_unused]] auto n = ::write(impl_->wake_fd, &one, sizeof one);
  if (thread_.joinable()) {
    thread_.join();
  }
  impl_.reset();  // unbinds the queue and closes the sockets
}

DelayerStats NfqueueDelayer::stats() const {
  if (!impl_) {
    return {};
  }
  std::lock_guard<std::mutex> lock(impl_->stats_mu);
  return impl_->stats;
}

}  // namespace faultline::platform
