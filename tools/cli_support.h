// Helpers every subcommand shares: exit codes from Status, messages on
// stderr, opening a store, JSON output of documents and a progress bar.
//
// Thread safety: Progress is used by one thread; the rest are free functions.
#pragma once

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>
#include <vector>

#include "recovery/store_dir.h"
#include "snapstore/status.h"
#include "snapstore/store.h"
#include "tools/command.h"

namespace snapstore::tools {

// 1 for problems in the data (Corruption, not-found and exists errors,
// invalid documents), 2 for usage, I/O and Busy.
int exit_code_for(const Status& status);
// Prints "snapstore <command>: <message>" to stderr; returns exit_code_for().
int report_error(std::string_view command, const Status& status);
// Prints a message to stderr unless quiet.
void note(const GlobalOptions& global, const std::string& message);

// How long every command waits for a store another process holds (--wait);
// set once by main before the command runs, so that each command's
// open_store and lock_for_reading honour it without passing it along.
void set_lock_wait(std::chrono::milliseconds wait);

// Store::open with the tools' settings: read-only unless `writable`, and
// creating a missing store only when `create`. Busy names the directory and
// the holder's pid.
Result<Store> open_store(const std::string& dir, bool writable, bool create = false);
// The directory's lock, shared, for the tools that read a store's files
// directly (dump, verify, wal): writers are kept out, readers are not.
Result<std::unique_ptr<recovery::StoreDir>> lock_for_reading(const std::string& dir);

// {"_id": ..., "_version": ..., "_revision": ..., "data": {...}}: the JSONL
// dump's document line, also what get and find print.
std::string document_json(const DocumentResult& doc);
// A key given on the command line: a JSON array of the key's values.
Result<IndexKey> parse_key(std::string_view json, std::string_view what);
// Reads all of `path`, or stdin for "-".
Result<std::string> read_input(const std::string& path);

// Count, rate and ETA on stderr, redrawn at most every 200 ms — only when
// stderr is a terminal and the command is not quiet.
class Progress {
 public:
  Progress(const GlobalOptions& global, std::string label, std::uint64_t expected_total);
  ~Progress();
  void add(std::uint64_t n = 1) {
    done_ += n;
    if (enabled_ && (done_ & 1023) == 0) draw(false);
  }
  // For work whose size is learned on the way (restore reading a file).
  void set_total(std::uint64_t expected_total) { total_ = expected_total; }
  bool enabled() const { return enabled_; }
  void finish();

 private:
  void draw(bool final);

  bool enabled_ = false;
  std::string label_;
  std::uint64_t total_ = 0;
  std::uint64_t done_ = 0;
  std::chrono::steady_clock::time_point started_;
  std::chrono::steady_clock::time_point last_draw_;
};

}  // namespace snapstore::tools
