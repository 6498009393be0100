#include "harness/runner/note_inbox.h"

#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

namespace faultline::runner {

namespace {

// Moves the complete lines at the front of `buffer` into `lines` (blank
// ones dropped), leaving an unfinished last line in the buffer.
void split_lines(std::string& buffer, std::vector<std::string>& lines) {
  size_t start = 0;
  for (size_t nl = buffer.find('\n'); nl != std::string::npos; nl = buffer.find('\n', start)) {
    std::string line = buffer.substr(start, nl - start);
    start = nl + 1;
    if (line.find_first_not_of(" \t\r") != std::string::npos) {
      lines.push_back(std::move(line));
    }
  }
  buffer.erase(0, start);
}

}  // namespace

NoteInbox::NoteInbox(std::string path) : path_(std::move(path)) {
  const int fd = ::open(path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd >= 0) {
    ::close(fd);
  }
}

std::vector<std::string> NoteInbox::take() {
  std::vector<std::string> lines;
  const int fd = ::open(path_.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    return lines;
  }
  char buf[4096];
  while (true) {
    const ssize_t n = ::pread(fd, buf, sizeof buf, static_cast<off_t>(offset_));
    if (n <= 0) {
      break;
    }
    offset_ += static_cast<uint64_t>(n);
    partial_.append(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  split_lines(partial_, lines);
  return lines;
}

std::string note_inbox_path(const std::string& run_dir) {
  return run_dir + "/notes";
}

bool append_note(const std::string& path, const std::string& text, std::string& error) {
  std::string line = text;
  for (char& c : line) {
    if (c == '\n' || c == '\r') {
      c = ' ';
    }
  }
  line += '\n';
  // No O_CREAT: only a live run's inbox may be written.
  const int fd = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CLOEXEC);
  if (fd < 0) {
    error = std::strerror(errno);
    return false;
  }
  // One write with O_APPEND: lines from several writers never interleave.
  const ssize_t n = ::write(fd, line.data(), line.size());
  const int saved = errno;
  ::close(fd);
  if (n != static_cast<ssize_t>(line.size())) {
    error = n < 0 ? std::strerror(saved) : "short write";
    return false;
  }
  return true;
}

TerminalNotes::TerminalNotes() : enabled_(::isatty(STDIN_FILENO) == 1) {}

std::vector<std::string> TerminalNotes::take() {
  std::vector<std::string> lines;
  if (!enabled_ || ::tcgetpgrp(STDIN_FILENO) != ::getpgrp()) {
    return lines;
  }
  pollfd pfd{STDIN_FILENO, POLLIN, 0};
  // A terminal in canonical mode is readable once a whole line is typed.
  while (::poll(&pfd, 1, 0) == 1 && (pfd.revents & POLLIN) != 0) {
    char buf[512];
    const ssize_t n = ::read(STDIN_FILENO, buf, sizeof buf);
    if (n <= 0) {
      enabled_ = false;  // end of input: stop asking
      break;
    }
    partial_.append(buf, static_cast<size_t>(n));
  }
  split_lines(partial_, lines);
  return lines;
}

}  // namespace faultline::runner
