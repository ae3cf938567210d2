// machine_bench.cc: what this machine charges for memory, independent of any
// store, so that BENCHMARKS.md can say which rows these costs bound:
//
//   dependent_load/MiB    one load whose address the previous load gave, in
//                         a random cycle over MiB of memory (a miss chain, as
//                         a hash table's bucket, node and value are)
//   first_touch           the first store to a fresh anonymous page (the
//                         heap growing: a page fault)
//   shared_file_store     the first store to each page of a MAP_SHARED file
//                         mapping of fallocate'd space (a mapped WAL segment)
//
//   machine_bench                                   the full run
//   machine_bench --benchmark_filter=dependent_load
#include <benchmark/benchmark.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <numeric>
#include <random>
#include <string>
#include <vector>

namespace {

constexpr std::size_t kLine = 64;
constexpr std::size_t kPage = 4096;

char* map_anonymous(std::size_t bytes) {
  void* p = ::mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  return p == MAP_FAILED ? nullptr : static_cast<char*>(p);
}

void bench_dependent_load(benchmark::State& state) {
  const std::size_t bytes = static_cast<std::size_t>(state.range(0)) << 20;
  const std::size_t lines = bytes / kLine;
  char* memory = map_anonymous(bytes);
  if (memory == nullptr) {
    state.SkipWithError("mmap failed");
    return;
  }
  // Each line holds the offset of the next line of one random cycle.
  std::vector<std::uint32_t> order(lines);
  std::iota(order.begin(), order.end(), 0U);
  std::shuffle(order.begin(), order.end(), std::mt19937_64(42));
  for (std::size_t i = 0; i < lines; ++i) {
    *reinterpret_cast<std::uint64_t*>(memory + std::size_t{order[i]} * kLine) =
        std::uint64_t{order[(i + 1) % lines]} * kLine;
  }
  std::uint64_t at = std::uint64_t{order[0]} * kLine;
  for (std::size_t i = 0; i < std::min<std::size_t>(lines, 1 << 20); ++i) {
    at = *reinterpret_cast<const std::uint64_t*>(memory + at);
  }
  for (auto _ : state) {
    at = *reinterpret_cast<const std::uint64_t*>(memory + at);
    benchmark::DoNotOptimize(at);
  }
  ::munmap(memory, bytes);
}

// Stores one byte to each page of fresh 64 MiB mappings that `map_fresh`
// makes (nullptr: it failed); the timer counts pages, not the mapping.
template <typename MapFresh>
void store_to_fresh_pages(benchmark::State& state, const MapFresh& map_fresh, const char* failure) {
  constexpr std::size_t kBytes = 64 << 20;
  char* memory = nullptr;
  std::size_t page = kBytes / kPage;
  for (auto _ : state) {
    if (page == kBytes / kPage) {
      state.PauseTiming();
      if (memory != nullptr) ::munmap(memory, kBytes);
      memory = map_fresh(kBytes);
      page = 0;
      state.ResumeTiming();
      if (memory == nullptr) {
        state.SkipWithError(failure);
        break;
      }
    }
    memory[page++ * kPage] = 1;
  }
  if (memory != nullptr) ::munmap(memory, kBytes);
}

void bench_first_touch(benchmark::State& state) { store_to_fresh_pages(state, map_anonymous, "mmap failed"); }

// The same through a MAP_SHARED mapping of a fallocate'd file in $TMPDIR.
void bench_shared_file_store(benchmark::State& state) {
  const char* base = std::getenv("TMPDIR");
  const std::string path = std::string(base != nullptr ? base : "/tmp") + "/snapstore-machine-bench-" +
                           std::to_string(::getpid());
  int fd = -1;
  const std::string failure = "cannot map a fallocate'd file at " + path;
  store_to_fresh_pages(
      state,
      [&](std::size_t bytes) -> char* {
        if (fd >= 0) ::close(fd);
        fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_TRUNC, 0600);
        if (fd < 0 || ::fallocate(fd, 0, 0, static_cast<off_t>(bytes)) != 0) return nullptr;
        void* p = ::mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
        return p == MAP_FAILED ? nullptr : static_cast<char*>(p);
      },
      failure.c_str());
  if (fd >= 0) ::close(fd);
  ::unlink(path.c_str());
}

}  // namespace

BENCHMARK(bench_dependent_load)->Name("dependent_load")->ArgName("MiB")->Arg(8)->Arg(64)->Arg(512);
BENCHMARK(bench_first_touch)->Name("first_touch");
BENCHMARK(bench_shared_file_store)->Name("shared_file_store");

BENCHMARK_MAIN();
