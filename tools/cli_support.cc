// Shared helpers of the subcommands (see cli_support.h).
#include "tools/cli_support.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <iostream>
#include <iterator>
#include <sstream>

namespace snapstore::tools {

int exit_code_for(const Status& status) {
  switch (status.code()) {
    case StatusCode::kOk:
      return kExitOk;
    case StatusCode::kIOError:
    case StatusCode::kBusy:
    case StatusCode::kInvalidArgument:
    case StatusCode::kInvalidDocument:
    case StatusCode::kEmptyIndex:
    case StatusCode::kStoreClosed:
    case StatusCode::kRevisionRetired:  // a --from the WAL no longer holds
      return kExitUsage;
    default:
      return kExitProblem;
  }
}

int report_error(std::string_view command, const Status& status) {
  std::cerr << "snapstore " << command << ": " << status.message() << "\n";
  return exit_code_for(status);
}

void note(const GlobalOptions& global, const std::string& message) {
  if (!global.quiet) std::cerr << message << "\n";
}

namespace {
std::chrono::milliseconds lock_wait{0};
}  // namespace

void set_lock_wait(std::chrono::milliseconds wait) { lock_wait = wait; }

Result<std::unique_ptr<recovery::StoreDir>> lock_for_reading(const std::string& dir) {
  return recovery::StoreDir::open_for_reading(dir, lock_wait);
}

Result<Store> open_store(const std::string& dir, bool writable, bool create) {
  Options options;
  options.lock_timeout = lock_wait;
  options.read_only = !writable;
  options.create_if_missing = writable && create;
  auto store = Store::open(dir, options);
  if (!store && store.code() == StatusCode::kBusy) {
    return Status::busy("the store at " + dir + " is in use by another process: " + store.status().detail());
  }
  return store;
}

Result<std::unique_ptr<recovery::StoreReader>> open_reader(const std::string& dir) {
  auto reader = recovery::StoreReader::open_locked(dir, lock_wait);
  // Another process has the store open: read it as a follower does, at the
  // last record complete in its WAL, without its lock (D89).
  if (!reader && reader.code() == StatusCode::kBusy) return recovery::StoreReader::open_live(dir);
  return reader;
}

std::string document_json(const DocumentResult& doc) {
  return "{\"_id\":" + to_json(Value(doc.id)) + ",\"_version\":" + std::to_string(doc.version) +
         ",\"_revision\":" + std::to_string(doc.revision) + ",\"data\":" + to_json(Value(doc.data)) + "}";
}

Result<IndexKey> parse_key(std::string_view json, std::string_view what) {
  auto parsed = from_json(json);
  if (!parsed) return Status::invalid_argument(std::string(what) + ": " + parsed.status().detail());
  if (!parsed->is_array()) {
    return Status::invalid_argument(std::string(what) + " must be a JSON array of key values, e.g. '[\"NY\", 30]'");
  }
  return IndexKey(parsed->as_array());
}

Status check_key_length(std::string_view index, const std::vector<std::string>& fields, const IndexKey& key,
                        std::string_view option, bool exact) {
  const std::size_t n = fields.size();
  if (key.size() <= n && (!exact || key.size() == n)) return Status::ok();
  std::string names;
  for (std::size_t i = 0; i < n; ++i) names += (i ? ", " : "") + fields[i];
  std::string message = std::string(option) + " has " + std::to_string(key.size()) + " value" +
                        (key.size() == 1 ? "" : "s") + " but index \"" + std::string(index) + "\" has " +
                        std::to_string(n) + " field" + (n == 1 ? "" : "s") + " (" + names + ")";
  if (exact && key.size() < n) message += "; for a prefix use --min and --max with the same values";
  return Status::invalid_argument(message);
}

Result<std::string> read_input(const std::string& path) {
  if (path == "-") {
    std::ostringstream text;
    text << std::cin.rdbuf();
    return text.str();
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::io_error("open " + path + ": " + std::strerror(errno));
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

std::string thousands(std::uint64_t n) {
  std::string digits = std::to_string(n);
  std::string out;
  for (std::size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return out;
}

std::string human_bytes(std::uint64_t n) {
  if (n < 1024) return std::to_string(n) + (n == 1 ? " byte" : " bytes");
  static constexpr const char* kUnits[] = {"KiB", "MiB", "GiB", "TiB", "PiB"};
  double value = static_cast<double>(n) / 1024;
  std::size_t unit = 0;
  while (value >= 1024 && unit + 1 < std::size(kUnits)) {
    value /= 1024;
    ++unit;
  }
  char text[32];
  std::snprintf(text, sizeof text, value < 10 ? "%.2f %s" : "%.1f %s", value, kUnits[unit]);
  return text;
}

std::string examples(std::initializer_list<std::string_view> lines) {
  std::string out = "\nExample";
  out += lines.size() > 1 ? "s:\n" : ":\n";
  for (std::string_view line : lines) {
    out += "  ";
    out += line;
    out += '\n';
  }
  return out;
}

namespace {

// A pipe or socket: another program reads what we print.
bool stdout_is_pipe() {
  struct stat st {};
  if (::fstat(STDOUT_FILENO, &st) != 0) return false;
  return S_ISFIFO(st.st_mode) || S_ISSOCK(st.st_mode);
}

}  // namespace

Progress::Progress(const GlobalOptions& global, std::string label, std::uint64_t expected_total)
    : enabled_(!global.quiet && ::isatty(STDERR_FILENO) == 1 && !stdout_is_pipe()),
      label_(std::move(label)),
      total_(expected_total),
      started_(std::chrono::steady_clock::now()),
      last_draw_(started_) {}

Progress::~Progress() { finish(); }

void Progress::draw(bool final) {
  const auto now = std::chrono::steady_clock::now();
  if (!final && now - last_draw_ < std::chrono::milliseconds(200)) return;
  last_draw_ = now;
  const double seconds = std::chrono::duration<double>(now - started_).count();
  const double rate = seconds > 0 ? static_cast<double>(done_) / seconds : 0;
  char line[160];
  if (total_ > done_ && rate > 0 && !final) {
    const double eta = static_cast<double>(total_ - done_) / rate;
    std::snprintf(line, sizeof line, "\r%s: %llu / ~%llu  %.0f/s  ETA %.0fs   ", label_.c_str(),
                  static_cast<unsigned long long>(done_), static_cast<unsigned long long>(total_), rate, eta);
  } else {
    std::snprintf(line, sizeof line, "\r%s: %llu  %.0f/s  %.1fs   ", label_.c_str(),
                  static_cast<unsigned long long>(done_), rate, seconds);
  }
  std::cerr << line << (final ? "\n" : "") << std::flush;
}

void Progress::finish() {
  if (!enabled_) return;
  draw(true);
  enabled_ = false;
}

void add_index_options(Object& definition, const IndexOptions& options) {
  if (options.unique) definition["unique"] = true;
  if (options.partial) {
    Object where;
    where["field"] = options.partial->field;
    if (options.partial->value) {
      where["equals"] = *options.partial->value;
    } else {
      where["exists"] = true;
    }
    definition["where"] = std::move(where);
  }
}

Result<IndexOptions> index_options_from(const Object& definition) {
  IndexOptions options;
  if (auto unique = definition.find("unique"); unique != definition.end()) {
    if (!unique->second.is_bool()) return Status::corruption("an index's \"unique\" is not true or false");
    options.unique = unique->second.as_bool();
  }
  auto where = definition.find("where");
  if (where == definition.end()) return options;
  const Value* field = where->second.find("field");
  if (!where->second.is_object() || field == nullptr || !field->is_string() || field->as_string().empty()) {
    return Status::corruption("an index's \"where\" is not {\"field\": name, \"equals\": value | \"exists\": true}");
  }
  const Value* equals = where->second.find("equals");
  const Value* exists = where->second.find("exists");
  if ((equals == nullptr) == (exists == nullptr) || (equals != nullptr && equals->is_null()) ||
      (exists != nullptr && !(exists->is_bool() && exists->as_bool()))) {
    return Status::corruption("an index's \"where\" needs exactly one of \"equals\" (not null) and \"exists\": true");
  }
  options.partial = equals != nullptr ? IndexPredicate::equals(field->as_string(), *equals)
                                      : IndexPredicate::exists(field->as_string());
  return options;
}

std::string index_options_text(const IndexOptions& options) {
  const std::string text = describe(options);
  return text.empty() ? text : " " + text;
}

}  // namespace snapstore::tools
