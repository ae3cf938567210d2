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
#include <type_traits>
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
  // Whether this process is the lookup child (D119): it runs the deep-copy
  // lookup and range rows, in both heap states, and no other row; the parent
  // runs the views' rows and leaves the deep copies to the child.
  bool lookup_child = false;

  bool wants(const std::string& workload) const { return workloads.count(workload) != 0; }
  bool wants_subject(const std::string& subject) const { return subjects.count(subject) != 0; }
  // Any workload that needs a store preloaded with N documents.
  bool wants_loaded() const;
};

inline const std::vector<std::string> kWorkloads = {"insert", "batch",  "load",   "create_index", "open",   "get",
                                                    "update", "delete", "lookup", "range",        "stream", "memory"};

// The no-op preparation of run_timed's plain form.
struct NoPreparation {
  void operator()(int, std::uint64_t) const noexcept {}
};

// One thread's loop of run_timed: operations numbered by `next` until the
// deadline or the budget's count; `untimed` collects what `prepare` took, and
// moves the deadline by as much.
template <typename Op, typename Prepare>
void timed_loop(int thread, const Budget& budget, const Clock::time_point& deadline, std::atomic<std::uint64_t>& next,
                Op& op, Prepare& prepare, Measurement& mine, Clock::duration& untimed) {
  Clock::time_point now = Clock::now();
  while (now < deadline + untimed) {
    const std::uint64_t index = next.fetch_add(1, std::memory_order_relaxed);
    if (index >= budget.max_ops) break;
    if constexpr (!std::is_same_v<Prepare, NoPreparation>) {
      prepare(thread, index);
      const Clock::time_point after = Clock::now();
      untimed += after - now;
      now = after;
    }
    const Clock::time_point start = now;
    mine.items += op(thread, index);
    now = Clock::now();
    mine.latency.record(static_cast<std::uint64_t>(std::chrono::nanoseconds(now - start).count()));
    ++mine.ops;
  }
}

// Runs `op(thread, index)` on `threads` threads until the budget's time or
// operation count runs out; `index` numbers operations across all threads.
// `op` returns the items it processed (documents written, read or returned).
// `prepare(thread, index)`, when given, runs before each operation outside
// the timing: neither the row's seconds nor the budget's time count it
// (with several threads, the seconds lose the threads' mean preparation time).
template <typename Op, typename Prepare = NoPreparation>
Measurement run_timed(int threads, const Budget& budget, Op op, Prepare prepare = {}) {
  std::atomic<std::uint64_t> next{0};
  std::vector<Measurement> per_thread(static_cast<std::size_t>(threads));
  std::vector<Clock::duration> prepared(static_cast<std::size_t>(threads), Clock::duration::zero());
  std::latch ready(threads + 1);
  Clock::time_point deadline;
  std::vector<std::thread> workers;
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&, t] {
      ready.arrive_and_wait();
      timed_loop(t, budget, deadline, next, op, prepare, per_thread[static_cast<std::size_t>(t)],
                 prepared[static_cast<std::size_t>(t)]);
    });
  }
  const Clock::time_point start = Clock::now();
  deadline = start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(budget.seconds));
  ready.arrive_and_wait();
  for (std::thread& worker : workers) worker.join();
  Measurement total;
  total.seconds = seconds_since(start);
  Clock::duration untimed = Clock::duration::zero();
  for (const Clock::duration& d : prepared) untimed += d;
  total.seconds -= std::chrono::duration<double>(untimed).count() / threads;
  for (const Measurement& m : per_thread) {
    total.ops += m.ops;
    total.items += m.items;
    total.latency.merge(m.latency);
  }
  return total;
}

// run_timed on one thread, the calling one (thread number 0), for the rows
// whose allocations must land in the main malloc arena: the deep-copy
// lookups (run_lookups).
template <typename Op, typename Prepare>
Measurement run_timed_here(const Budget& budget, Op op, Prepare prepare) {
  std::atomic<std::uint64_t> next{0};
  Measurement total;
  Clock::duration untimed = Clock::duration::zero();
  const Clock::time_point start = Clock::now();
  const Clock::time_point deadline =
      start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(budget.seconds));
  timed_loop(0, budget, deadline, next, op, prepare, total, untimed);
  total.seconds = seconds_since(start) - std::chrono::duration<double>(untimed).count();
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

// ---- The heap's state in the deep-copy lookup rows (DECISIONS.md D119). ----
// A lookup returns ~10k Documents, ~20 MB of small blocks; whether freeing
// them hands the pages back to the kernel (and the next query faults them in
// again) depends on glibc's trim threshold, which moves with the process's
// history. So each deep-copy lookup and range row runs in two stated states:
//   kKept:     the thresholds are fixed (keep_heap()) and nothing else is
//              done: a freed result stays in the heap for the next query.
//   kReturned: the same thresholds, and malloc_trim(0) before each query,
//              outside the timing: every query starts from a heap whose
//              free pages went back to the kernel, as a default-configured
//              program's does after a trim.
enum class HeapState { kKept, kReturned };
inline constexpr HeapState kHeapStates[] = {HeapState::kKept, HeapState::kReturned};
// "heap kept" or "heap returned before each query".
std::string heap_state_label(HeapState state);
// Fixes glibc's M_MMAP_THRESHOLD at 32 MiB and M_TRIM_THRESHOLD at 64 MiB,
// the values its dynamic adjustment reaches in any program that has freed a
// mapped block of 32 MiB. Only the lookup child calls it, first thing: a
// mallopt() turns glibc's dynamic thresholds off for the rest of the
// process, and the fixed thresholds would change other rows (the open's
// page faults fall by a tenth).
void keep_heap();
// What the rows of `state` run before each query (untimed: run_timed's
// preparation).
void prepare_heap(HeapState state);
// Minor page faults of this process so far (getrusage), and a row's per
// query on stderr.
std::uint64_t minor_faults();
void report_faults(const std::string& subject, const Measurement& m, std::uint64_t faults);
// Runs `subject`'s deep-copy lookup row of `group` in `state`:
// `query(index)` returns the documents it got, each query after
// prepare_heap(state). The queries run on the calling thread (main()'s), not
// on a thread of run_timed: glibc's malloc_trim() hands back the top of the
// main arena only, so a thread arena's freed result would stay resident in
// the "returned" state. In the "kept" state one query runs first, untimed,
// so that every timed query finds a previous result freed in the heap,
// whatever the rows before left. Says on stderr how many minor page faults a
// query took. `untimed_cpu_seconds`, when given, gets the CPU time of the
// untimed query and the preparations (for the rows per CPU second).
template <typename Query>
Measurement run_lookups(const Config& config, const Group& group, HeapState state, const std::string& subject,
                        Query query, double* untimed_cpu_seconds = nullptr) {
  double untimed_cpu = process_cpu_seconds();
  if (state == HeapState::kKept) query(0);
  untimed_cpu = process_cpu_seconds() - untimed_cpu;
  const std::uint64_t faults = minor_faults();
  Measurement m = run_timed_here(
      config.budget, [&](int, std::uint64_t index) -> std::uint64_t { return query(index); },
      [&](int, std::uint64_t) {
        const double cpu_start = process_cpu_seconds();
        prepare_heap(state);
        untimed_cpu += process_cpu_seconds() - cpu_start;
      });
  if (untimed_cpu_seconds != nullptr) *untimed_cpu_seconds = untimed_cpu;
  report_faults(group.workload + ", " + subject, m, minor_faults() - faults);
  return m;
}

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
// The deep-copy lookup groups, one per heap state; the views' groups compare
// with the alternatives of the "heap kept" ones.
Group lookup_group(HeapState state);
Group lookup_view_group();
Group range_group(HeapState state);
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
// The deep-copy lookup and range rows of snapstore and SQLite, measured in a
// child (--lookup-child: this program again, posix_spawn) that loads its
// own stores, in both heap states (D119); its rows join `report`.
void run_lookup_child(const Config& config, Report& report);
// The child's side: runs the subjects' loaded phase with `config` (its
// lookup_child set) and prints the rows (Report::write_rows).
int lookup_child(const Config& config);
// The load row of an in-memory store with the two indexes (in-memory insert
// at N), measured in a child as memory is: --insert-child.
void run_insert_child(const Config& config, Report& report);
int insert_child(std::uint64_t documents);

}  // namespace compare
