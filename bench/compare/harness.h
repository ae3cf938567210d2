// What every subject of the comparison shares: the run's configuration, the
// timed loop, the groups (so that the subjects' rows meet in the same lines
// of the table), the pregenerated documents in the form each subject
// writes (Document, msgpack bytes, JSON text), and fresh directories.
#pragma once

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <latch>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "bench/compare/report.h"
#include "bench/documents.h"

namespace compare {

struct Config {
  std::uint64_t documents = 1'000'000;  // N of the loaded workloads
  std::vector<int> threads = {1, 4, 16};
  Budget budget;                    // per timed row (for writes: over all rounds)
  int rounds = 3;                   // the writes run in this many turns
  std::set<std::string> workloads;  // names from kWorkloads
  std::set<std::string> subjects;   // names from subjects()
  std::filesystem::path dir;        // each subject's directories go below
  std::string self;                 // this program, for the memory child
  // YCSB (bench/compare/ycsb.h): the workloads "A".."F" to run (none when
  // empty), records loaded, operations per run (a run also stops at
  // budget.seconds), client threads and record shapes.
  std::set<std::string> ycsb;
  std::uint64_t ycsb_records = 1'000'000;
  std::uint64_t ycsb_operations = 1'000'000;
  std::vector<int> ycsb_threads = {1, 2};
  std::vector<std::string> ycsb_shapes = {"ycsb", "bench"};
  // Also rows of the one-shot steps' CPU time (--cpu-time): on a shared
  // machine wall time measures the other processes as much as the store.
  bool cpu_time = false;

  bool wants(const std::string& workload) const { return workloads.count(workload) != 0; }
  bool wants_subject(const std::string& subject) const { return subjects.count(subject) != 0; }
  // Any workload that needs a store preloaded with N documents.
  bool wants_loaded() const;
};

inline const std::vector<std::string> kWorkloads = {"insert", "batch",  "load",   "create_index", "open",   "get",
                                                    "update", "delete", "lookup", "range",        "stream", "memory"};

// Runs `op(thread, index)` on `threads` threads until the budget's time or
// operation count runs out; `index` numbers operations across all threads.
// `op` returns the items it processed (documents written, read or returned).
template <typename Op>
Measurement run_timed(int threads, const Budget& budget, Op op) {
  std::atomic<std::uint64_t> next{0};
  std::vector<Measurement> per_thread(static_cast<std::size_t>(threads));
  std::latch ready(threads + 1);
  Clock::time_point deadline;
  std::vector<std::thread> workers;
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&, t] {
      Measurement& mine = per_thread[static_cast<std::size_t>(t)];
      ready.arrive_and_wait();
      Clock::time_point now = Clock::now();
      while (now < deadline) {
        const std::uint64_t index = next.fetch_add(1, std::memory_order_relaxed);
        if (index >= budget.max_ops) break;
        const Clock::time_point start = now;
        mine.items += op(t, index);
        now = Clock::now();
        mine.latency.record(static_cast<std::uint64_t>(std::chrono::nanoseconds(now - start).count()));
        ++mine.ops;
      }
    });
  }
  const Clock::time_point start = Clock::now();
  deadline = start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(budget.seconds));
  ready.arrive_and_wait();
  for (std::thread& worker : workers) worker.join();
  Measurement total;
  total.seconds = seconds_since(start);
  for (const Measurement& m : per_thread) {
    total.ops += m.ops;
    total.items += m.items;
    total.latency.merge(m.latency);
  }
  return total;
}

// A one-shot measurement (load, open, create_index, stream): `items` in `seconds`.
inline Measurement one_shot(std::uint64_t items, double seconds) {
  Measurement m;
  m.ops = 1;
  m.items = items;
  m.seconds = seconds;
  return m;
}

// User + system CPU seconds of this process so far (every thread's).
double process_cpu_seconds();
// The subject of the CPU-time rows: the step's documents per CPU second.
inline constexpr const char* kCpuTimeSubject = "snapstore, per CPU second (user + sys of the process)";

// ---- Groups: one per table section; each subject adds its rows to them. ----
std::string threads_label(int threads);
Group insert_group(int threads, bool durable);
Group batch_group(bool durable);
Group load_group(std::uint64_t documents);
Group create_index_group(const std::string& index);
Group open_group(std::uint64_t documents);
Group get_group();
Group get_view_group();
// get_view on two reader threads, against LMDB's zero-copy get on two (issue 17).
Group get_view_two_threads_group();
Group update_group(bool durable);
Group delete_group(bool durable);
Group lookup_group();
Group lookup_view_group();
Group range_group();
Group range_view_group();
Group stream_group();
Group memory_group(int indexes);

// The two indexes every store gets: a city is ~1% of the documents, and
// by_seq ranges of N/100 consecutive values are 1%.
inline constexpr const char* kCityIndex = "by_city";
inline constexpr const char* kSeqIndex = "by_seq";

// ---- Documents. ----
// The pool documents.h keeps (bench::document_from_pool), encoded once as the
// msgpack bytes snapstore keeps and as the JSON text SQLite keeps, plus their
// updated versions: writes of raw RocksDB and SQLite do not pay for encoding.
const std::vector<std::string>& msgpack_pool();
const std::vector<std::string>& json_pool();
const std::vector<std::string>& updated_msgpack_pool();
const std::vector<std::string>& updated_json_pool();
const std::vector<snapstore::Document>& updated_pool();

// Builds every pool now, so that no timed operation pays for building one.
void build_pools();

std::string encode_msgpack(const snapstore::Document& doc);
snapstore::Document decode_msgpack(std::string_view bytes);
snapstore::Document parse_json(std::string_view text);

// A UUIDv7 id from the same generator snapstore uses, so every subject's keys
// have the same shape and order.
std::string new_id();

// A deterministic pseudo-random number for operation `index` (which document
// a get, update or lookup picks).
inline std::uint64_t pick(std::uint64_t index, std::uint64_t bound) {
  std::uint64_t state = bench::kSeed ^ (index * 0x9e3779b97f4a7c15ULL);
  return bench::splitmix64(state) % bound;
}

// The order in which delete workloads remove the loaded documents: a fixed
// shuffle of 0..n-1.
std::vector<std::uint32_t> delete_order(std::uint64_t n);

// Documents of the loaded workloads are generated in chunks outside the timing.
inline constexpr std::uint64_t kLoadChunk = 10'000;

// A fresh, empty directory `name` below the run's directory; remove_dir()
// deletes it when the subject is done.
std::filesystem::path fresh_dir(const Config& config, const std::string& name);
void remove_dir(const std::filesystem::path& dir);

// What a subject runs in one call: the insert and batch rows on fresh
// stores, or everything that works on the store loaded with N documents.
// main() runs the writes in rounds in which the subjects take turns, so that
// rows compared with each other see the same shared disk and load (fsync
// latency on the development machine changes by 5x within minutes).
enum class Phase { kWrites, kLoaded };

// The subjects. Each adds its rows to `report`.
void run_snapstore(const Config& config, Report& report, Phase phase);
void run_rocksdb(const Config& config, Report& report, Phase phase);
void run_sqlite(const Config& config, Report& report, Phase phase);
// LMDB and WiredTiger are optional: bench/CMakeLists.txt builds their files
// and defines SNAPSTORE_COMPARE_LMDB / SNAPSTORE_COMPARE_WIREDTIGER only when
// their libraries were found.
void run_lmdb(const Config& config, Report& report, Phase phase);
void run_wiredtiger(const Config& config, Report& report, Phase phase);

// Every subject's name for --subjects, and whether this build has it.
struct Subject {
  const char* name;
  void (*run)(const Config&, Report&, Phase);  // null when not built in
  const char* package;                         // what to install when it is missing
};
const std::vector<Subject>& subjects();

// Memory per document, measured in a child process (this program started
// again with posix_spawn, never fork(): RocksDB threads may exist).
void run_memory(const Config& config, Report& report);
// The child's side: loads `documents` into an in-memory store with
// `indexes` indexes and prints "<resident bytes> <msgpack bytes>".
int memory_child(std::uint64_t documents, int indexes);
// The load row of an in-memory store with the two indexes (in-memory insert
// at N), measured in a child as memory is: --insert-child.
void run_insert_child(const Config& config, Report& report);
int insert_child(std::uint64_t documents);

}  // namespace compare
