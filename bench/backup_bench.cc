// backup_bench.cc: Store::backup of a large store, and what it costs the
// writers that keep running beside it.
//
//   backup_bench                        1M documents (~200 B of msgpack each), 2 indexes
//   backup_bench --docs=2000            the ctest smoke run
//   backup_bench --writers=4 --durability=none --seconds=3
//   backup_bench --backups=/dev/shm     backups on another file system: copies, not links
//
// Steps, in one process on a store under $TMPDIR:
//   build     inserts the documents (bench/documents.h) in batches of 1000
//             with indexes by_city and by_seq, then checkpoints (all of it in
//             RocksDB, as a store that has run for a while)
//   idle      a full backup with no writer running
//   baseline  the writers insert for --seconds alone: throughput, p50, p99
//   during    the writers insert while a full backup runs; their figures
//             are taken over the backup's duration only
//   increment an incremental backup of what the writers added since the
//             last full backup
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "bench/documents.h"
#include "snapstore/backup.h"
#include "snapstore/store.h"

namespace {

using Clock = std::chrono::steady_clock;

struct Args {
  std::uint64_t docs = 1'000'000;
  int writers = 2;
  double seconds = 3;
  snapstore::Durability durability = snapstore::Durability::kSync;
  std::string backups;  // where the backups go; empty: beside the store
};

Args parse(int argc, char** argv) {
  Args args;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    auto value = [&](const char* name) -> const char* {
      const std::string prefix = std::string(name) + "=";
      return arg.rfind(prefix, 0) == 0 ? argv[i] + prefix.size() : nullptr;
    };
    if (const char* v = value("--docs")) {
      args.docs = std::strtoull(v, nullptr, 10);
    } else if (const char* v = value("--writers")) {
      args.writers = std::max(1, std::atoi(v));
    } else if (const char* v = value("--seconds")) {
      args.seconds = std::atof(v);
    } else if (const char* v = value("--backups")) {
      args.backups = v;
    } else if (const char* v = value("--durability")) {
      const std::string mode = v;
      if (mode == "sync") {
        args.durability = snapstore::Durability::kSync;
      } else if (mode == "none") {
        args.durability = snapstore::Durability::kNone;
      } else {
        bench::die("--durability is sync or none");
      }
    } else {
      bench::die("unknown argument " + arg);
    }
  }
  return args;
}

// What the writers did over one window.
struct Window {
  std::uint64_t writes = 0;
  double seconds = 0;
  double p50_us = 0;
  double p99_us = 0;
};

// Writer threads inserting fresh documents, each write's latency recorded
// with the time it finished, so that a window can be cut out afterwards.
class Writers {
 public:
  Writers(snapstore::Store& store, int threads, std::uint64_t first_seq) : store_(store), next_seq_(first_seq) {
    samples_.resize(static_cast<std::size_t>(threads));
    for (int t = 0; t < threads; ++t) {
      threads_.emplace_back([this, t] { run(samples_[static_cast<std::size_t>(t)]); });
    }
  }
  ~Writers() { stop(); }

  void stop() {
    stop_ = true;
    for (auto& t : threads_) {
      if (t.joinable()) t.join();
    }
  }

  // Writes that finished in [from, to).
  Window window(Clock::time_point from, Clock::time_point to) const {
    std::vector<double> latencies;
    for (const auto& samples : samples_) {
      for (const Sample& s : samples) {
        if (s.done >= from && s.done < to) latencies.push_back(s.micros);
      }
    }
    Window w;
    w.writes = latencies.size();
    w.seconds = std::chrono::duration<double>(to - from).count();
    if (!latencies.empty()) {
      std::sort(latencies.begin(), latencies.end());
      w.p50_us = latencies[latencies.size() / 2];
      w.p99_us = latencies[std::min(latencies.size() - 1, latencies.size() * 99 / 100)];
    }
    return w;
  }

 private:
  struct Sample {
    Clock::time_point done;
    double micros;
  };
  void run(std::vector<Sample>& samples) {
    samples.reserve(1 << 20);
    while (!stop_) {
      const std::uint64_t seq = next_seq_++;
      const snapstore::Document doc = bench::make_document(seq);
      const auto start = Clock::now();
      bench::must(store_.insert(doc), "insert");
      const auto done = Clock::now();
      samples.push_back({done, std::chrono::duration<double, std::micro>(done - start).count()});
    }
  }

  snapstore::Store& store_;
  std::atomic<std::uint64_t> next_seq_;
  std::atomic<bool> stop_{false};
  std::vector<std::vector<Sample>> samples_;
  std::vector<std::thread> threads_;
};

void print_window(const char* what, const Window& w) {
  std::printf("%-34s %10.0f writes/s   p50 %8.1f us   p99 %8.1f us   (%llu writes in %.2f s)\n", what,
              w.seconds > 0 ? static_cast<double>(w.writes) / w.seconds : 0.0, w.p50_us, w.p99_us,
              static_cast<unsigned long long>(w.writes), w.seconds);
}

void print_backup(const char* what, const snapstore::BackupInfo& info) {
  std::printf("%-34s %8.3f s   revision %llu (checkpoint %llu, %llu WAL records)   %.1f MiB in %llu files\n", what,
              info.elapsed_seconds, static_cast<unsigned long long>(info.revision),
              static_cast<unsigned long long>(info.checkpoint_revision),
              static_cast<unsigned long long>(info.wal_records), static_cast<double>(info.bytes) / (1 << 20),
              static_cast<unsigned long long>(info.files));
}

}  // namespace

int main(int argc, char** argv) {
  const Args args = parse(argc, argv);
  const char* base = std::getenv("TMPDIR");
  const std::string root =
      std::string(base != nullptr ? base : "/tmp") + "/snapstore-backup-bench-" + std::to_string(::getpid());
  std::filesystem::remove_all(root);
  std::filesystem::create_directories(root);
  const std::string dir = root + "/store";
  const std::string backups = args.backups.empty() ? root : args.backups + "/snapstore-backup-bench-" +
                                                                std::to_string(::getpid());
  std::filesystem::create_directories(backups);

  snapstore::Options options;
  options.durability = args.durability;
  auto store = bench::must(snapstore::Store::open(dir, options), "open");
  bench::must(store.create_index("by_city", {"city"}), "create_index by_city");
  bench::must(store.create_index("by_seq", {"seq"}), "create_index by_seq");
  const auto build_start = Clock::now();
  for (std::uint64_t seq = 0; seq < args.docs;) {
    snapstore::WriteBatch batch;
    for (int i = 0; i < 1000 && seq < args.docs; ++i) batch.insert(bench::make_document(seq++));
    bench::must(store.write(batch), "write");
  }
  bench::must(store.checkpoint(), "checkpoint");
  std::printf("build: %llu documents, 2 indexes, in %.1f s; %d writer threads, durability %s\n",
              static_cast<unsigned long long>(args.docs),
              std::chrono::duration<double>(Clock::now() - build_start).count(), args.writers,
              args.durability == snapstore::Durability::kSync ? "sync" : "none");

  print_backup("full backup, no writers", bench::must(store.backup(backups + "/idle"), "idle backup"));

  std::uint64_t seq = args.docs;
  {
    Writers writers(store, args.writers, seq);
    const auto from = Clock::now();
    std::this_thread::sleep_for(std::chrono::duration<double>(args.seconds));
    const auto to = Clock::now();
    writers.stop();
    print_window("writers alone", writers.window(from, to));
  }
  seq = args.docs + 10'000'000;
  snapstore::BackupInfo full;
  {
    Writers writers(store, args.writers, seq);
    std::this_thread::sleep_for(std::chrono::milliseconds(200));  // the writers at full speed
    const auto from = Clock::now();
    full = bench::must(store.backup(backups + "/during"), "backup during writes");
    const auto to = Clock::now();
    std::this_thread::sleep_for(std::chrono::duration<double>(args.seconds / 2));
    writers.stop();
    print_window("writers during the full backup", writers.window(from, to));
    print_backup("full backup, beside the writers", full);
  }
  print_backup("incremental backup since it",
               bench::must(store.backup(backups + "/increment", full.revision), "incremental backup"));
  store.close();
  std::filesystem::remove_all(root);
  std::filesystem::remove_all(backups);
  return 0;
}
