// open_bench.cc: how long Store::open takes on a large store, next to the
// floor it is measured against: a raw RocksDB scan of the same documents
// with msgpack decoding, in the same run and on the same files.
//
//   open_bench                      1M documents (~200 B of msgpack each), 2 indexes
//   open_bench --docs=2000          the ctest smoke run
//   open_bench --repeat=3 --dir=D   median of 3 runs per step; keep the store in D
//   open_bench --open-threads=1     Options::open_threads for the open (0: one per core)
//   open_bench --dir=D --reuse      time the store a --keep run left in D (no build)
//
// Steps, each in a child process started with posix_spawn of this binary
// (not fork(): RocksDB's threads do not survive it), so that each step's
// peak memory is its own: the parent reads it from wait4()'s ru_maxrss, the
// child's VmHWM.
//   build  writes the documents (bench/documents.h) with indexes by_city and
//          by_seq on 2 threads, then closes the store (a checkpoint: all of it
//          in RocksDB, none in the WAL)
//   scan   opens the store's RocksDB, reads the docs column family in key
//          order on one thread and decodes every document into a
//          snapstore::Document (what any open has to do at least once)
//   open   Store::open of the directory with default options (one loading
//          thread per core unless --open-threads says otherwise); also the
//          CPU its RocksDB background threads (compactions) took meanwhile
// The files are in the page cache for both timed steps (the build just wrote
// them and the steps alternate), so both measure CPU, not the disk.
#include <rocksdb/db.h>
#include <rocksdb/options.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "bench/documents.h"
#include "recovery/rocksdb_logger.h"
#include "snapstore/store.h"
#include "value/msgpack_codec.h"

extern char** environ;

namespace {

using Clock = std::chrono::steady_clock;

struct Args {
  std::string step;  // empty in the parent
  std::string dir;
  std::uint64_t docs = 1'000'000;
  int repeat = 1;
  unsigned open_threads = 0;  // Options::open_threads for the open step
  bool keep = false;
  bool reuse = false;  // open the store an earlier --keep run left in --dir
};

Args parse(int argc, char** argv) {
  Args args;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    auto value = [&](const char* name) -> const char* {
      const std::string prefix = std::string(name) + "=";
      return arg.rfind(prefix, 0) == 0 ? argv[i] + prefix.size() : nullptr;
    };
    if (const char* v = value("--step")) {
      args.step = v;
    } else if (const char* v = value("--dir")) {
      args.dir = v;
    } else if (const char* v = value("--docs")) {
      args.docs = std::strtoull(v, nullptr, 10);
    } else if (const char* v = value("--repeat")) {
      args.repeat = std::max(1, std::atoi(v));
    } else if (const char* v = value("--open-threads")) {
      args.open_threads = static_cast<unsigned>(std::strtoul(v, nullptr, 10));
    } else if (arg == "--keep") {
      args.keep = true;
    } else if (arg == "--reuse") {
      args.reuse = true;
    } else {
      bench::die("unknown argument " + arg + " (known: --docs=N --repeat=N --open-threads=N --dir=PATH --keep --reuse)");
    }
  }
  return args;
}

double seconds_since(Clock::time_point start) { return std::chrono::duration<double>(Clock::now() - start).count(); }

// CPU seconds (user + system) of every thread of this process so far.
double cpu_seconds() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  auto seconds = [](const timeval& t) { return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6; };
  return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}

// CPU seconds of this process's RocksDB background threads (flushes and
// compactions: the threads named "rocksdb:..."), from /proc/self/task.
double rocksdb_thread_cpu_seconds() {
  const double ticks = static_cast<double>(sysconf(_SC_CLK_TCK));
  double seconds = 0;
  for (const auto& task : std::filesystem::directory_iterator("/proc/self/task")) {
    std::ifstream comm(task.path() / "comm");
    std::string name;
    std::getline(comm, name);
    if (name.rfind("rocksdb:", 0) != 0) continue;
    std::ifstream stat(task.path() / "stat");
    std::string line;
    std::getline(stat, line);
    // utime and stime are fields 14 and 15, counted after the ")" that ends
    // the thread's name (field 2).
    std::istringstream fields(line.substr(line.rfind(')') + 2));
    std::string field;
    double utime = 0;
    double stime = 0;
    for (int i = 3; i <= 15 && fields >> field; ++i) {
      if (i == 14) utime = std::strtod(field.c_str(), nullptr);
      if (i == 15) stime = std::strtod(field.c_str(), nullptr);
    }
    seconds += (utime + stime) / ticks;
  }
  return seconds;
}

// ---- Steps, run in a child; each prints one line "key=value ..." on stdout. ----

int step_build(const Args& args) {
  snapstore::Options options;
  options.durability = snapstore::Durability::kNone;
  auto store = bench::must(snapstore::Store::open(args.dir, options), "open for build");
  bench::must(store.create_index("by_city", {"city"}), "create_index by_city");
  bench::must(store.create_index("by_seq", {"seq"}), "create_index by_seq");
  constexpr unsigned kWriters = 2;
  std::vector<std::thread> writers;
  for (unsigned w = 0; w < kWriters; ++w) {
    writers.emplace_back([&store, &args, w] {
      for (std::uint64_t seq = w; seq < args.docs; seq += kWriters) {
        bench::must(store.insert(bench::make_document(seq)), "insert");
      }
    });
  }
  for (auto& w : writers) w.join();
  std::uint64_t encoded = 0;
  for (std::uint64_t seq = 0; seq < std::min<std::uint64_t>(args.docs, 10'000); ++seq) {
    std::string bytes;
    bench::must(snapstore::value::encode_msgpack(bench::make_document(seq), bytes, 100), "encode");
    encoded += bytes.size();
  }
  std::printf("docs=%llu avg_bytes=%.0f\n", static_cast<unsigned long long>(store.size()),
              static_cast<double>(encoded) / static_cast<double>(std::min<std::uint64_t>(args.docs, 10'000)));
  store.close();
  return 0;
}

int step_scan(const Args& args) {
  const auto start = Clock::now();
  const double cpu_start = cpu_seconds();
  rocksdb::DBOptions db_options;
  // A store's db/: the silent logger, so that the bench writes nothing there.
  snapstore::recovery::use_store_info_log(db_options, args.dir + "/db", /*read_only=*/true);
  std::vector<rocksdb::ColumnFamilyDescriptor> families = {
      {rocksdb::kDefaultColumnFamilyName, rocksdb::ColumnFamilyOptions()},
      {"docs", rocksdb::ColumnFamilyOptions()},
      {"meta", rocksdb::ColumnFamilyOptions()},
  };
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::DB* raw = nullptr;
  const rocksdb::Status s =
      rocksdb::DB::OpenForReadOnly(db_options, args.dir + "/db", families, &handles, &raw);
  if (!s.ok()) bench::die("open RocksDB: " + s.ToString());
  std::unique_ptr<rocksdb::DB> db(raw);
  std::uint64_t docs = 0;
  std::uint64_t fields = 0;
  {
    rocksdb::ReadOptions read_options;
    read_options.fill_cache = false;
    std::unique_ptr<rocksdb::Iterator> it(db->NewIterator(read_options, handles[1]));
    constexpr std::size_t kHeader = 16;  // version, revision (docs/FORMATS.md)
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      const std::string_view value(it->value().data(), it->value().size());
      auto doc = snapstore::value::decode_document(value.substr(kHeader), 100);
      if (!doc) bench::die("decode: " + doc.status().message());
      const snapstore::Document document = std::move(*doc);
      fields += document.size();
      ++docs;
    }
    if (!it->status().ok()) bench::die("scan: " + it->status().ToString());
  }
  const double seconds = seconds_since(start);
  const double cpu = cpu_seconds() - cpu_start;
  for (auto* handle : handles) db->DestroyColumnFamilyHandle(handle);
  db->Close();
  std::printf("seconds=%.3f cpu=%.3f docs=%llu fields=%llu\n", seconds, cpu, static_cast<unsigned long long>(docs),
              static_cast<unsigned long long>(fields));
  return 0;
}

int step_open(const Args& args) {
  const auto start = Clock::now();
  const double cpu_start = cpu_seconds();
  snapstore::Options options;
  options.open_threads = args.open_threads;
  auto store = bench::must(snapstore::Store::open(args.dir, options), "open");
  const double seconds = seconds_since(start);
  const double cpu = cpu_seconds() - cpu_start;
  const double rocksdb_cpu = rocksdb_thread_cpu_seconds();
  const snapstore::OpenReport report = store.open_report();
  std::size_t entries = 0;
  for (const auto& info : store.indexes()) entries += info.entries;
  std::printf("seconds=%.3f cpu=%.3f rocksdb_threads_cpu=%.3f docs=%llu index_entries=%zu replayed=%llu\n", seconds,
              cpu, rocksdb_cpu,
              static_cast<unsigned long long>(report.documents_loaded), entries,
              static_cast<unsigned long long>(report.records_replayed));
  store.close();
  return 0;
}

// ---- The parent: runs the steps as children and reports. ----

struct StepResult {
  std::string output;  // the child's line
  double seconds = 0;  // parsed from it, when present
  double cpu = 0;      // likewise: CPU seconds of all its threads
  long peak_kib = 0;   // ru_maxrss
};

StepResult run_step(const std::string& step, const Args& args) {
  const std::string self = std::filesystem::read_symlink("/proc/self/exe").string();
  std::vector<std::string> argv_storage = {self, "--step=" + step, "--dir=" + args.dir,
                                           "--docs=" + std::to_string(args.docs),
                                           "--open-threads=" + std::to_string(args.open_threads)};
  std::vector<char*> argv;
  for (auto& a : argv_storage) argv.push_back(a.data());
  argv.push_back(nullptr);
  int fds[2];
  if (pipe(fds) != 0) bench::die("pipe");
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, fds[1], STDOUT_FILENO);
  posix_spawn_file_actions_addclose(&actions, fds[0]);
  pid_t pid = 0;
  if (posix_spawn(&pid, self.c_str(), &actions, nullptr, argv.data(), environ) != 0) bench::die("posix_spawn");
  posix_spawn_file_actions_destroy(&actions);
  close(fds[1]);
  StepResult result;
  char buffer[512];
  ssize_t n = 0;
  while ((n = read(fds[0], buffer, sizeof buffer)) > 0) result.output.append(buffer, static_cast<std::size_t>(n));
  close(fds[0]);
  int status = 0;
  rusage usage{};
  if (wait4(pid, &status, 0, &usage) != pid || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    bench::die("step " + step + " failed: " + result.output);
  }
  while (!result.output.empty() && result.output.back() == '\n') result.output.pop_back();
  result.peak_kib = usage.ru_maxrss;
  if (const auto at = result.output.find("seconds="); at != std::string::npos) {
    result.seconds = std::strtod(result.output.c_str() + at + 8, nullptr);
  }
  if (const auto at = result.output.find("cpu="); at != std::string::npos) {
    result.cpu = std::strtod(result.output.c_str() + at + 4, nullptr);
  }
  return result;
}

double median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  return values[values.size() / 2];
}

int run_parent(Args args) {
  const bool own_dir = args.dir.empty();
  if (own_dir) {
    const char* base = std::getenv("TMPDIR");
    args.dir = std::string(base != nullptr ? base : "/tmp") + "/snapstore-open-bench-" + std::to_string(getpid());
  }
  if (!args.reuse) std::filesystem::remove_all(args.dir);
  std::printf("open_bench: %llu documents, indexes by_city and by_seq, %u cores, store in %s\n",
              static_cast<unsigned long long>(args.docs), std::thread::hardware_concurrency(), args.dir.c_str());
  std::printf("peak memory: VmHWM of each step's own process (posix_spawn of this binary; wait4 ru_maxrss)\n");
  if (!args.reuse) {
    const auto build_start = Clock::now();
    const StepResult build = run_step("build", args);
    std::printf("build  %7.2f s  peak %7.1f MiB  %s\n", seconds_since(build_start), build.peak_kib / 1024.0,
                build.output.c_str());
  }

  std::vector<double> scans;
  std::vector<double> opens;
  std::vector<double> scan_cpus;
  std::vector<double> open_cpus;
  long scan_peak = 0;
  long open_peak = 0;
  for (int r = 0; r < args.repeat; ++r) {
    const StepResult scan = run_step("scan", args);
    const StepResult open = run_step("open", args);
    scans.push_back(scan.seconds);
    opens.push_back(open.seconds);
    scan_cpus.push_back(scan.cpu);
    open_cpus.push_back(open.cpu);
    scan_peak = std::max(scan_peak, scan.peak_kib);
    open_peak = std::max(open_peak, open.peak_kib);
    std::printf("run %d: scan %s | open %s\n", r + 1, scan.output.c_str(), open.output.c_str());
  }
  const double scan_s = median(scans);
  const double open_s = median(opens);
  const double scan_cpu = median(scan_cpus);
  const double open_cpu = median(open_cpus);
  std::printf("raw RocksDB scan + decode (1 thread)  %7.3f s  cpu %7.3f s  peak %7.1f MiB\n", scan_s, scan_cpu,
              scan_peak / 1024.0);
  std::printf("Store::open (open_threads=%u)           %7.3f s  cpu %7.3f s  peak %7.1f MiB\n", args.open_threads, open_s,
              open_cpu,
              open_peak / 1024.0);
  std::printf("open / scan = %.2fx elapsed, %.2fx cpu (medians of %d runs; target <= 1.5x elapsed)\n", open_s / scan_s,
              open_cpu / scan_cpu, args.repeat);
  if (!args.keep) std::filesystem::remove_all(args.dir);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  const Args args = parse(argc, argv);
  if (args.step.empty()) return run_parent(args);
  if (args.dir.empty()) bench::die("--step needs --dir");
  if (args.step == "build") return step_build(args);
  if (args.step == "scan") return step_scan(args);
  if (args.step == "open") return step_open(args);
  bench::die("unknown step " + args.step);
}
