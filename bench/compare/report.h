// The comparison harness's measurements and its one table: a light latency
// histogram, the timed loop every workload runs in, and the rows that become
// the printed table, the CSV and the Markdown.
//
// Rows belong to groups (one workload under one condition, e.g. "insert,
// 4 threads, durable"). A group has one reference row, snapstore's, and the
// ratio column of every other subject's row says how many times better
// snapstore did: reference rate / row rate for throughput, row bytes /
// reference bytes for memory. Above 1 means snapstore wins.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

namespace compare {

// Latencies in nanoseconds, in log-linear buckets: 16 per power of two, so a
// percentile is within ~6% of the true value at a fixed 8 KiB per histogram.
class Histogram {
 public:
  void record(std::uint64_t nanos) noexcept;
  void merge(const Histogram& other) noexcept;
  std::uint64_t count() const noexcept { return count_; }
  // The value below which `fraction` of the samples lie (0 when empty).
  double percentile_nanos(double fraction) const noexcept;
  // The non-empty buckets as text ("bucket:count ..."), and back: how a
  // child process hands its latencies to the parent. parse() answers false
  // on text it did not write.
  std::string to_text() const;
  bool parse(const std::string& text);

 private:
  static constexpr int kSubBits = 4;
  static constexpr std::size_t kBuckets = (64 - kSubBits + 1) << kSubBits;
  static std::size_t bucket_of(std::uint64_t nanos) noexcept;
  static double bucket_middle(std::size_t bucket) noexcept;
  std::array<std::uint64_t, kBuckets> buckets_{};
  std::uint64_t count_ = 0;
};

// What one timed run did: operations, the items they processed (documents
// written, read or returned) and the wall time from start to the last finish.
struct Measurement {
  std::uint64_t ops = 0;
  std::uint64_t items = 0;
  double seconds = 0;
  Histogram latency;
};

// Limits of one timed run: it stops at whichever comes first.
struct Budget {
  double seconds = 2;
  std::uint64_t max_ops = 1'000'000;
};

using Clock = std::chrono::steady_clock;

inline double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

enum class Role {
  kReference,    // snapstore's row that the group's ratios divide by
  kSnapstore,    // another snapstore variant (no ratio: it is not an alternative)
  kAlternative,  // RocksDB, SQLite or the raw data: gets a ratio
};

struct Group {
  std::string workload;  // the label shown, unique per group
  int order = 0;         // where the group sits in the table
  // Another group's workload whose alternatives this group is compared
  // with too (the view rows share the deep-copy rows' alternatives).
  std::string alternatives_of{};
};

struct Row {
  Group group;
  std::string subject;
  Role role = Role::kAlternative;
  std::uint64_t store_documents = 0;  // documents in the store when it ran; 0 = a fresh store
  std::uint64_t count = 0;            // operations, or documents for one-shot rows
  double seconds = 0;
  std::string unit;           // "ops/s", "docs/s" or "bytes/doc"
  double value = 0;           // in `unit`
  bool timed_per_op = false;  // p50/p99 from `latency` are meaningful
  Histogram latency;
  std::string note;  // set when the row could not be measured; replaces the value
};

// A row from a measurement: `unit` "docs/s" counts items, "ops/s" operations.
Row make_row(Group group, std::string subject, Role role, std::uint64_t store_documents, const Measurement& m,
             std::string unit, bool with_latency);

class Report {
 public:
  // A row of a group and subject already present is merged into it (counts,
  // seconds and latencies add up): rows measured in several rounds.
  void add(Row row);
  // Rows sorted by group order (reference first within a group), with
  // ratios filled in.
  struct Line {
    Row row;
    std::optional<double> ratio;
  };
  std::vector<Line> lines() const;

  void print_text(std::ostream& out) const;
  void write_csv(std::ostream& out) const;
  void write_markdown(std::ostream& out) const;

  // The rows as text, one a line, and back (added as add() adds them): how
  // the lookup child hands its rows to the parent. read_rows() answers false
  // on text write_rows() did not write, and adds nothing then.
  void write_rows(std::ostream& out) const;
  bool read_rows(std::istream& in);

 private:
  std::vector<Row> rows_;
};

}  // namespace compare
