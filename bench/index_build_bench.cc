// index_build_bench: create_index alone. Loads N of the benchmark's
// documents into an in-memory store, then builds and drops the two indexes
// of bench/compare (by_city, by_seq) a few times, printing each build's wall
// and CPU seconds. With --perf-ctl FIFO it writes "enable"/"disable" to a
// `perf record --control fifo:FIFO -D -1` around the builds only, so a
// profile holds the build and not the load; under callgrind
// (--collect-atstart=no) the builds alone are instrumented.
#include <sys/resource.h>
#include <valgrind/callgrind.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iostream>
#include <string>

#include "bench/documents.h"
#include "snapstore/store.h"

namespace {

double cpu_seconds() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  const auto seconds = [](const timeval& t) { return static_cast<double>(t.tv_sec) + t.tv_usec * 1e-6; };
  return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}

void perf_control(const char* fifo, const char* command) {
  if (fifo == nullptr) return;
  std::ofstream out(fifo);
  out << command << std::endl;
}

}  // namespace

int main(int argc, char** argv) {
  std::uint64_t documents = 1'000'000;
  int repeats = 3;
  const char* perf_fifo = nullptr;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--docs" && i + 1 < argc) {
      documents = std::strtoull(argv[++i], nullptr, 10);
    } else if (arg == "--repeats" && i + 1 < argc) {
      repeats = std::atoi(argv[++i]);
    } else if (arg == "--perf-ctl" && i + 1 < argc) {
      perf_fifo = argv[++i];
    } else {
      std::cerr << "usage: index_build_bench [--docs N] [--repeats R] [--perf-ctl FIFO]\n";
      return EXIT_FAILURE;
    }
  }
  snapstore::Store store = bench::must(snapstore::Store::open_in_memory(), "open_in_memory");
  for (std::uint64_t seq = 0; seq < documents; ++seq) bench::must(store.insert(bench::make_document(seq)), "insert");
  for (int r = 0; r < repeats; ++r) {
    for (const char* field : {"city", "seq"}) {
      const std::string name = std::string("by_") + field;
      perf_control(perf_fifo, "enable");
      CALLGRIND_START_INSTRUMENTATION;
      const auto wall_start = std::chrono::steady_clock::now();
      const double cpu_start = cpu_seconds();
      bench::must(store.create_index(name, {field}), "create_index");
      const double cpu = cpu_seconds() - cpu_start;
      const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - wall_start).count();
      CALLGRIND_STOP_INSTRUMENTATION;
      perf_control(perf_fifo, "disable");
      std::printf("create_index %-8s wall %.3f s  cpu %.3f s\n", name.c_str(), wall, cpu);
      std::fflush(stdout);
      bench::must(store.drop_index(name), "drop_index");
    }
  }
  return 0;
}
