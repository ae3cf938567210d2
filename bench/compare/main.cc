// compare: the same documents and operations on snapstore (each durability
// mode, and in memory), raw RocksDB, SQLite, LMDB and WiredTiger, printed as
// one table with the ratio of snapstore to each alternative (BENCHMARKS.md
// has a full run). LMDB and WiredTiger are in the build only when their
// libraries were found at configure time; by default every subject built in runs.
//
//   compare                                   every workload, N = 1M
//   compare --docs 100000 --workloads get,lookup --subjects snapstore,sqlite
//   compare --subjects snapstore,lmdb,wiredtiger --workloads insert,get
//   compare --quick                           the ctest smoke run: tiny N, short rows
//   compare --csv out.csv --markdown out.md   the table also as files
//   compare --ycsb A,B,C,D,E,F --records 1000000   YCSB's core workloads (ycsb.h)
//
// Timed rows stop after --seconds or --max-ops operations, whichever comes
// first, so fsync-bound rows stay short. Insert and batch rows run in
// --rounds turns in which the subjects alternate (each turn gets a share of
// the budget), so that a change in the shared disk's fsync latency hits them
// all alike. Each subject works in fresh
// directories below --dir (default: a new temporary directory), removed when
// it is done.
//
// The deep-copy lookup and range rows run in two stated heap states, in a
// child process that fixes glibc's mmap and trim thresholds (harness.h,
// D119), so that they do not depend on what earlier rows allocated and freed.
#include <CLI/CLI.hpp>
#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <iostream>

#include "bench/compare/harness.h"
#include "bench/compare/ycsb.h"

namespace {

std::string load_average() {
  std::ifstream file("/proc/loadavg");
  std::string one, five, fifteen;
  file >> one >> five >> fifteen;
  return one + " " + five + " " + fifteen;
}

std::filesystem::path make_temp_dir() {
  const char* base = std::getenv("TMPDIR");
  std::string pattern = std::string(base != nullptr ? base : "/tmp") + "/snapstore-compare-XXXXXX";
  if (mkdtemp(pattern.data()) == nullptr) bench::die("mkdtemp " + pattern);
  return pattern;
}

void write_file(const std::string& path, const compare::Report& report, bool markdown) {
  std::ofstream out(path);
  if (markdown) {
    report.write_markdown(out);
  } else {
    report.write_csv(out);
  }
  if (!out) bench::die("cannot write " + path);
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"snapstore next to raw RocksDB, SQLite, LMDB and WiredTiger: the same documents, the same operations"};
  compare::Config config;
  std::vector<std::string> workloads = compare::kWorkloads;
  std::vector<std::string> all_subjects;
  std::vector<std::string> subjects;
  for (const compare::Subject& subject : compare::subjects()) {
    all_subjects.push_back(subject.name);
    if (subject.run != nullptr) subjects.push_back(subject.name);
  }
  std::string dir;
  std::string csv;
  std::string markdown;
  bool quick = false;
  bool child = false;
  bool insert_child = false;
  int child_indexes = 0;
  app.add_option("--docs", config.documents, "N: documents in the loaded stores and the memory children")
      ->check(CLI::Range(std::uint64_t{100}, std::uint64_t{100'000'000}));
  app.add_option("--threads", config.threads, "writer threads of the insert rows")
      ->delimiter(',')
      ->check(CLI::Range(1, 256));
  app.add_option("--seconds", config.budget.seconds, "time limit of each timed row")->check(CLI::PositiveNumber);
  app.add_option("--max-ops", config.budget.max_ops, "operation limit of each timed row")->check(CLI::PositiveNumber);
  app.add_option("--rounds", config.rounds, "turns in which the subjects take the insert and batch rows")
      ->check(CLI::Range(1, 100));
  app.add_option("--workloads", workloads, "comma-separated, default all")
      ->delimiter(',')
      ->check(CLI::IsMember(compare::kWorkloads));
  app.add_option("--subjects", subjects, "comma-separated, default all built in")
      ->delimiter(',')
      ->check(CLI::IsMember(all_subjects));
  std::vector<std::string> ycsb;
  app.add_option("--ycsb", ycsb,
                 "YCSB core workloads to run, comma-separated (A,B,C,D,E,F); alone, without --workloads, only them")
      ->delimiter(',')
      ->check(CLI::IsMember(compare::ycsb::workload_names()));
  app.add_option("--records", config.ycsb_records, "YCSB: records loaded before the workloads (recordcount)")
      ->check(CLI::Range(std::uint64_t{100}, std::uint64_t{1'000'000'000}));
  app.add_option("--operations", config.ycsb_operations,
                 "YCSB: operations per workload run (operationcount; --seconds caps each run too)")
      ->check(CLI::Range(std::uint64_t{1}, std::uint64_t{1'000'000'000}));
  app.add_option("--ycsb-threads", config.ycsb_threads, "YCSB: client threads, one run each (default 1,2)")
      ->delimiter(',')
      ->check(CLI::Range(1, 64));
  app.add_option("--ycsb-shape", config.ycsb_shapes,
                 "YCSB: records of YCSB's default shape (ycsb: 10 fields of 100 bytes) and/or the harness's "
                 "~200-byte documents (bench); default both")
      ->delimiter(',')
      ->check(CLI::IsMember(compare::ycsb::shape_names()));
  app.add_option("--dir", dir, "where the subjects' directories go (default: a new temporary directory)");
  app.add_option("--csv", csv, "also write the table as CSV to this file");
  app.add_option("--markdown", markdown, "also write the table as Markdown to this file");
  app.add_flag("--cpu-time", config.cpu_time,
               "also rows of snapstore's load, create_index and open per CPU second (for a shared machine)");
  app.add_flag("--quick", quick, "smoke run: N = 2000 and 0.05 s per row unless --docs / --seconds say otherwise");
  app.add_flag("--memory-child", child, "internal: the memory measurement's child process")->group("");
  app.add_flag("--insert-child", insert_child, "internal: the in-memory insert row's child process")->group("");
  app.add_flag("--lookup-child", config.lookup_child, "internal: the deep-copy lookup rows' child process")->group("");
  app.add_option("--memory-indexes", child_indexes, "internal: indexes of the memory child")->group("");
  CLI11_PARSE(app, argc, argv);

  if (child) return compare::memory_child(config.documents, child_indexes);
  if (insert_child) return compare::insert_child(config.documents);
  for (const compare::Subject& subject : compare::subjects()) {
    if (subject.run != nullptr || std::find(subjects.begin(), subjects.end(), subject.name) == subjects.end()) continue;
    std::cerr << "compare: subject " << subject.name << " is not in this build: " << subject.package
              << " was not found (or was set OFF) when cmake configured this build; scripts/setup installs it, "
                 "then configure again\n";
    return 2;
  }

  if (quick) {
    if (app.count("--records") == 0) config.ycsb_records = 1'000;
    if (app.count("--operations") == 0) config.ycsb_operations = 300;
    if (app.count("--docs") == 0) config.documents = 2'000;
    if (app.count("--seconds") == 0) config.budget.seconds = 0.05;
    if (app.count("--rounds") == 0) config.rounds = 1;
  }
  config.ycsb = {ycsb.begin(), ycsb.end()};
  if (!ycsb.empty() && app.count("--workloads") == 0) workloads.clear();
  config.workloads = {workloads.begin(), workloads.end()};
  config.subjects = {subjects.begin(), subjects.end()};
  config.self = std::filesystem::read_symlink("/proc/self/exe").string();
  const bool temporary = dir.empty();
  config.dir = temporary ? make_temp_dir() : std::filesystem::path(dir);
  std::filesystem::create_directories(config.dir);
  if (config.lookup_child) return compare::lookup_child(config);

  std::cout << "compare: N = " << config.documents << ", " << config.budget.seconds << " s or " << config.budget.max_ops
            << " ops per timed row, in " << config.dir.string() << "; load average at start " << load_average()
            << std::endl;
  if (config.wants("lookup") || config.wants("range")) {
    std::cout << "compare: the deep-copy lookup rows run in a child with glibc's M_MMAP_THRESHOLD fixed at 32 MiB "
                 "and M_TRIM_THRESHOLD at 64 MiB (D119): \"heap kept\" as that, \"heap returned before each "
                 "query\" after malloc_trim(0), untimed; every other row runs with glibc's defaults"
              << std::endl;
  }
  compare::build_pools();
  compare::Report report;
  const auto run_all = [&](const compare::Config& run_config, compare::Phase phase, const std::string& what) {
    for (const compare::Subject& subject : compare::subjects()) {
      if (!run_config.wants_subject(subject.name)) continue;
      std::cerr << "compare: " << subject.name << ", " << what << "..." << std::flush;
      const compare::Clock::time_point start = compare::Clock::now();
      subject.run(run_config, report, phase);
      std::cerr << " " << compare::seconds_since(start) << " s" << std::endl;
    }
  };
  if (config.wants("insert") || config.wants("batch")) {
    compare::Config round = config;
    round.budget.seconds = config.budget.seconds / config.rounds;
    round.budget.max_ops =
        std::max<std::uint64_t>(1, config.budget.max_ops / static_cast<std::uint64_t>(config.rounds));
    for (int r = 1; r <= config.rounds; ++r) {
      run_all(round, compare::Phase::kWrites,
              "writes, round " + std::to_string(r) + " of " + std::to_string(config.rounds));
    }
  }
  if (config.wants_loaded()) {
    run_all(config, compare::Phase::kLoaded, std::to_string(config.documents) + " documents loaded");
  }
  if (config.wants("lookup") || config.wants("range")) {
    std::cerr << "compare: deep-copy lookups in a child process..." << std::flush;
    const compare::Clock::time_point start = compare::Clock::now();
    compare::run_lookup_child(config, report);
    std::cerr << " " << compare::seconds_since(start) << " s" << std::endl;
  }
  if (config.wants("memory") && config.wants_subject("snapstore")) {
    std::cerr << "compare: measuring memory in child processes..." << std::endl;
    compare::run_memory(config, report);
  }
  if (config.wants("load") && config.wants_subject("snapstore")) {
    std::cerr << "compare: in-memory load in a child process..." << std::endl;
    compare::run_insert_child(config, report);
  }
  if (!config.ycsb.empty()) compare::ycsb::run(config, report);
  if (temporary) compare::remove_dir(config.dir);

  std::cout << "load average at end " << load_average() << "\n\n";
  report.print_text(std::cout);
  if (!csv.empty()) write_file(csv, report, false);
  if (!markdown.empty()) write_file(markdown, report, true);
  return 0;
}
