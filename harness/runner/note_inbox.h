#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace faultline::runner {

// Game-day notes typed while a run goes on. `faultline note "text"` appends
// one line to the run's inbox file (<run dir>/notes, in the run registry);
// the runner reads new complete lines on each tick of its loop, so a note
// lands in the timeline within about 0.1 s of being written. A file rather
// than a FIFO or socket: appends of one short line are atomic, a writer
// never blocks on a busy runner, and nothing is lost if the runner is
// between reads.
class NoteInbox {
 public:
  // Creates the empty inbox (writable by everyone who may run `faultline
  // note`, i.e. root: mode 0600).
  explicit NoteInbox(std::string path);

  // The lines completed since the previous call, without their newlines;
  // blank lines are skipped.
  std::vector<std::string> take();

  const std::string& path() const { return path_; }

 private:
  std::string path_;
  uint64_t offset_ = 0;
  std::string partial_;
};

// The inbox file of a run directory.
std::string note_inbox_path(const std::string& run_dir);

// Appends `text` as one line to the inbox at `path` (newlines inside it
// become spaces). Fails when the inbox does not exist: the run has ended or
// never started.
bool append_note(const std::string& path, const std::string& text, std::string& error);

// Lines typed into the terminal faultline runs in, read without blocking.
// Only while faultline is the terminal's foreground job: a background job
// that reads its terminal is stopped by SIGTTIN. Nothing when standard
// input is not a terminal (CI, pipes).
class TerminalNotes {
 public:
  TerminalNotes();
  std::vector<std::string> take();
  // Whether standard input is a terminal lines can be typed into.
  bool enabled() const { return enabled_; }

 private:
  bool enabled_ = false;
  std::string partial_;
};

}  // namespace faultline::runner
