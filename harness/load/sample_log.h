#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "harness/load/sample.h"

namespace faultline::load {

// An append-only store of samples whose number is not known in advance (the
// maximum-rate mode): chunks of 64k samples, so appending allocates once
// per 64k requests, never moves a sample, and a sample's index stays valid.
class SampleLog {
 public:
  static constexpr std::size_t chunk_bits = 16;
  static constexpr std::size_t chunk_size = std::size_t{1} << chunk_bits;

  SampleLog() { chunks_.reserve(1024); }

  // A fresh default sample at the end; returns its index.
  uint64_t append() {
    if ((size_ & (chunk_size - 1)) == 0 && (size_ >> chunk_bits) == chunks_.size()) {
      chunks_.push_back(std::make_unique<Sample[]>(chunk_size));
    }
    return size_++;
  }

  Sample& operator[](uint64_t i) { return chunks_[i >> chunk_bits][i & (chunk_size - 1)]; }
  const Sample& operator[](uint64_t i) const { return chunks_[i >> chunk_bits][i & (chunk_size - 1)]; }
  uint64_t size() const { return size_; }

 private:
  std::vector<std::unique_ptr<Sample[]>> chunks_;
  uint64_t size_ = 0;
};

}  // namespace faultline::load
