// Memory per document. Resident memory is only meaningful for a process that
// holds nothing else, so each figure comes from a child: this program started
// again (posix_spawn; fork() after RocksDB started its threads would hang)
// with --memory-child, which loads an in-memory store and prints what the
// load added to its resident set. The parent turns that into rows.
#include <malloc.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

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

// Runs the child and returns its standard output.
std::string run_child(const Config& config, int indexes) {
  const std::string documents = std::to_string(config.documents);
  const std::string index_count = std::to_string(indexes);
  std::vector<std::string> args = {config.self, "--memory-child", "--docs", documents, "--memory-indexes", index_count};
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
    bench::die("the memory child failed");
  }
  return output;
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

}  // namespace compare
