// Helpers every subcommand shares: exit codes from Status, messages on
// stderr, opening a store, JSON output of documents and a progress bar.
//
// Thread safety: Progress is used by one thread; the rest are free functions.
#pragma once

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <initializer_list>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "recovery/store_dir.h"
#include "recovery/store_reader.h"
#include "snapstore/status.h"
#include "snapstore/store.h"
#include "tools/command.h"

namespace snapstore::tools {

// The exit-code rule (command.h): 2 when the command could not run as given
// (bad input of any kind — usage, malformed JSON, a document that is not an
// object, an invalid argument — I/O errors, a store in use), 1 when it ran
// and the data answered with a problem (not found, already exists,
// corruption).
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

// The files of the store at `dir` read without loading it (get, find, count,
// indexes, stats), under the directory's lock for the reader's lifetime; when
// another process has the store open, without the lock as a follower reads it
// (StoreReader::open_live: the state at the last complete WAL record).
Result<std::unique_ptr<recovery::StoreReader>> open_reader(const std::string& dir);

// {"_id": ..., "_version": ..., "_revision": ..., "data": {...}}: the JSONL
// dump's document line, also what get and find print.
std::string document_json(const DocumentResult& doc);
// A key given on the command line: a JSON array of the key's values.
Result<IndexKey> parse_key(std::string_view json, std::string_view what);
// InvalidArgument naming the index's fields when `key` (given as `option`)
// has more values than the index has fields, or, when `exact`, any other
// number: the library answers such keys with nothing (go-store's
// semantics), which on the command line would read as "no match".
Status check_key_length(std::string_view index, const std::vector<std::string>& fields, const IndexKey& key,
                        std::string_view option, bool exact);
// Reads all of `path`, or stdin for "-".
Result<std::string> read_input(const std::string& path);

// 1,234,567
std::string thousands(std::uint64_t n);
// 512 bytes, 1.5 KiB, 61.0 MiB, 2.00 GiB
std::string human_bytes(std::uint64_t n);
// The footer of a subcommand's --help: "Example:" and the lines given.
std::string examples(std::initializer_list<std::string_view> lines);

// An index's options as the tools write them in JSON (indexes, stats,
// verify, dump headers): "unique": true and "where": {"field": f, "equals":
// v} or {"field": f, "exists": true}, each only when set; and back, for
// restore (Corruption naming what is wrong; both absent: a plain index).
void add_index_options(Object& definition, const IndexOptions& options);
Result<IndexOptions> index_options_from(const Object& definition);
// " unique, where f = v" for text output: empty for a plain index.
std::string index_options_text(const IndexOptions& options);

// Count, rate and ETA on stderr, redrawn at most every 200 ms — only when
// stderr is a terminal, stdout is not a pipe and the command is not quiet.
// The pipe rule keeps one bar per terminal when tools are piped together
// (`snapstore dump s | snapstore restore - t`): only the last command of a
// pipeline, whose stdout is the terminal or a file, draws one.
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
