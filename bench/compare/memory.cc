// The rows measured in children: this program started again (posix_spawn;
// fork() after RocksDB started its threads would hang). Memory per document:
// resident memory is only meaningful for a process that holds nothing else,
// so --memory-child loads an in-memory store and prints what the load added
// to its resident set; --insert-child times the in-memory load; and
// --lookup-child runs the deep-copy lookup rows with glibc's thresholds
// fixed (D119), which would change the other rows if the parent fixed them.
// The parent turns what they print into rows.
#include <malloc.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <iostream>
#include <sstream>

#include "bench/compare/harness.h"
#include "snapstore/store.h"

extern char** environ;

namespace compare {

namespace {

// Resident bytes now, after handing freed heap memory back to the OS, so
// that what remains is what the store holds (plus allocator overhead).
std::uint64_t resident_bytes() {
  malloc_trim(0);
  std::ifstream statm("/proc/self/statm");
  std::uint64_t size_pages = 0;
  std::uint64_t resident_pages = 0;
  statm >> size_pages >> resident_pages;
  return resident_pages * static_cast<std::uint64_t>(sysconf(_SC_PAGESIZE));
}

// Runs this program with `args` (after its path) and returns its standard
// output; stops the run if the child fails.
std::string run_program(const Config& config, std::vector<std::string> args) {
  const std::string mode = args.empty() ? "" : args.front();
  args.insert(args.begin(), config.self);
  std::vector<char*> argv;
  for (std::string& arg : args) argv.push_back(arg.data());
  argv.push_back(nullptr);

  int pipe_fds[2];
  if (pipe(pipe_fds) != 0) bench::die("pipe");
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, pipe_fds[1], STDOUT_FILENO);
  posix_spawn_file_actions_addclose(&actions, pipe_fds[0]);
  pid_t pid = 0;
  const int spawned = posix_spawn(&pid, config.self.c_str(), &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  close(pipe_fds[1]);
  if (spawned != 0) bench::die("posix_spawn " + config.self);
  std::string output;
  char buffer[256];
  for (ssize_t got; (got = read(pipe_fds[0], buffer, sizeof buffer)) > 0;)
    output.append(buffer, static_cast<std::size_t>(got));
  close(pipe_fds[0]);
  int status = 0;
  if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    bench::die("the child " + mode + " failed");
  }
  return output;
}

// Runs the child with `mode` ("--memory-child" or "--insert-child") and
// returns its standard output.
std::string run_child(const Config& config, int indexes, const char* mode = "--memory-child") {
  return run_program(config,
                     {mode, "--docs", std::to_string(config.documents), "--memory-indexes", std::to_string(indexes)});
}

}  // namespace

int memory_child(std::uint64_t documents, int indexes) {
  snapstore::Store store = bench::must(snapstore::Store::open_in_memory(), "open_in_memory");
  const std::uint64_t before = resident_bytes();
  std::uint64_t msgpack_bytes = 0;
  for (std::uint64_t seq = 0; seq < documents; ++seq) {
    const snapstore::Document doc = bench::make_document(seq);
    msgpack_bytes += encode_msgpack(doc).size();
    bench::must(store.insert(doc), "insert");
  }
  if (indexes >= 1) bench::must(store.create_index(kCityIndex, {"city"}), "create_index");
  if (indexes >= 2) bench::must(store.create_index(kSeqIndex, {"seq"}), "create_index");
  const std::uint64_t after = resident_bytes();
  std::cout << (after - before) << " " << msgpack_bytes << std::endl;
  return 0;
}

void run_memory(const Config& config, Report& report) {
  for (const int indexes : {0, 2}) {
    std::istringstream output(run_child(config, indexes));
    std::uint64_t resident = 0;
    std::uint64_t msgpack_bytes = 0;
    if (!(output >> resident >> msgpack_bytes)) bench::die("the memory child printed nothing");
    const auto per_document = [&](std::uint64_t bytes) {
      return static_cast<double>(bytes) / static_cast<double>(config.documents);
    };
    Row store;
    store.group = memory_group(indexes);
    store.subject = "snapstore in memory, resident";
    store.role = Role::kReference;
    store.store_documents = config.documents;
    store.count = config.documents;
    store.unit = "bytes/doc";
    store.value = per_document(resident);
    Row data = store;
    data.subject = "the documents' msgpack bytes";
    data.role = Role::kAlternative;
    data.value = per_document(msgpack_bytes);
    report.add(std::move(store));
    report.add(std::move(data));
  }
}

// The in-memory insert row at N: a fresh process, so that the inserts
// meet no heap left behind by other subjects (documents are generated in
// chunks outside the timing, as the loaded stores' are).
int insert_child(std::uint64_t documents) {
  snapstore::Store store = bench::must(snapstore::Store::open_in_memory(), "open_in_memory");
  bench::must(store.create_index(kCityIndex, {"city"}), "create_index");
  bench::must(store.create_index(kSeqIndex, {"seq"}), "create_index");
  const std::uint64_t before = resident_bytes();
  const double cpu_start = process_cpu_seconds();
  Measurement m;
  std::vector<snapstore::Document> chunk;
  for (std::uint64_t first = 0; first < documents; first += kLoadChunk) {
    chunk.clear();
    for (std::uint64_t seq = first; seq < std::min(documents, first + kLoadChunk); ++seq) {
      chunk.push_back(bench::make_document(seq));
    }
    const Clock::time_point chunk_start = Clock::now();
    for (const snapstore::Document& doc : chunk) {
      const Clock::time_point start = Clock::now();
      bench::must(store.insert(doc), "insert");
      m.latency.record(static_cast<std::uint64_t>(std::chrono::nanoseconds(Clock::now() - start).count()));
    }
    m.seconds += seconds_since(chunk_start);
  }
  const double cpu_seconds = process_cpu_seconds() - cpu_start;  // includes generating the documents
  const std::uint64_t after = resident_bytes();
  std::cout << m.seconds << " " << cpu_seconds << " " << (after - before) << "\n" << m.latency.to_text() << std::endl;
  return 0;
}

void run_insert_child(const Config& config, Report& report) {
  std::istringstream output(run_child(config, 2, "--insert-child"));
  Measurement m;
  double cpu_seconds = 0;
  std::uint64_t resident = 0;
  std::string latencies;
  if (!(output >> m.seconds >> cpu_seconds >> resident) || !std::getline(output >> std::ws, latencies) ||
      !m.latency.parse(latencies) ||
      m.latency.count() != config.documents) {
    bench::die("the insert child printed something else than its time and latencies");
  }
  m.ops = m.items = config.documents;
  report.add(make_row(load_group(config.documents), "snapstore in memory, 2 indexes, insert one by one",
                      Role::kSnapstore, 0, m, "docs/s", true));
  if (!config.cpu_time) return;
  // With --cpu-time (a shared machine): the same load per CPU second (which
  // here includes generating the documents), and what the store holds when
  // its indexes grew by inserts rather than by create_index.
  report.add(make_row(load_group(config.documents), "snapstore in memory, 2 indexes, per CPU second (with generation)",
                      Role::kSnapstore, 0, one_shot(config.documents, cpu_seconds), "docs/s", false));
  Row memory;
  memory.group = memory_group(2);
  memory.subject = "snapstore in memory, resident, indexes filled by inserts";
  memory.role = Role::kSnapstore;
  memory.store_documents = config.documents;
  memory.count = config.documents;
  memory.unit = "bytes/doc";
  memory.value = static_cast<double>(resident) / static_cast<double>(config.documents);
  report.add(std::move(memory));
}

// A double as text that reads back as the same value.
static std::string exact_text(double value) {
  std::ostringstream text;
  text.precision(17);
  text << value;
  return text.str();
}

void run_lookup_child(const Config& config, Report& report) {
  std::string workloads;
  for (const char* workload : {"lookup", "range"}) {
    if (config.wants(workload)) workloads += std::string(workloads.empty() ? "" : ",") + workload;
  }
  std::string subjects;
  for (const char* subject : {"snapstore", "sqlite"}) {
    if (config.wants_subject(subject)) subjects += std::string(subjects.empty() ? "" : ",") + subject;
  }
  if (workloads.empty() || subjects.empty()) return;
  std::vector<std::string> args = {"--lookup-child",
                                   "--docs",
                                   std::to_string(config.documents),
                                   "--seconds",
                                   exact_text(config.budget.seconds),
                                   "--max-ops",
                                   std::to_string(config.budget.max_ops),
                                   "--workloads",
                                   workloads,
                                   "--subjects",
                                   subjects,
                                   "--dir",
                                   config.dir.string()};
  if (config.cpu_time) args.push_back("--cpu-time");
  std::istringstream output(run_program(config, args));
  if (!report.read_rows(output)) bench::die("the lookup child printed something else than its rows");
}

int lookup_child(const Config& config) {
  keep_heap();
  build_pools();
  Report report;
  for (const Subject& subject : subjects()) {
    if (config.wants_subject(subject.name) && subject.run != nullptr) subject.run(config, report, Phase::kLoaded);
  }
  report.write_rows(std::cout);
  std::cout << std::flush;
  return std::cout ? 0 : 1;
}

}  // namespace compare
