// The histogram's bucket arithmetic and the table's three renderings (text,
// CSV, Markdown) from one list of lines.
#include "bench/compare/report.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdio>
#include <exception>
#include <iomanip>
#include <map>
#include <sstream>

namespace compare {

std::size_t Histogram::bucket_of(std::uint64_t nanos) noexcept {
  constexpr std::uint64_t kLinear = std::uint64_t{1} << kSubBits;
  if (nanos < kLinear) return static_cast<std::size_t>(nanos);
  const int msb = 63 - std::countl_zero(nanos);
  const int shift = msb - kSubBits;
  const std::uint64_t sub = (nanos >> shift) & (kLinear - 1);
  return (static_cast<std::size_t>(msb - kSubBits + 1) << kSubBits) + static_cast<std::size_t>(sub);
}

double Histogram::bucket_middle(std::size_t bucket) noexcept {
  constexpr std::size_t kLinear = std::size_t{1} << kSubBits;
  if (bucket < kLinear) return static_cast<double>(bucket);
  const int shift = static_cast<int>(bucket >> kSubBits) - 1;
  const double lower = std::ldexp(static_cast<double>(kLinear + (bucket & (kLinear - 1))), shift);
  return lower + std::ldexp(0.5, shift);
}

void Histogram::record(std::uint64_t nanos) noexcept {
  ++buckets_[bucket_of(nanos)];
  ++count_;
}

void Histogram::merge(const Histogram& other) noexcept {
  for (std::size_t i = 0; i < kBuckets; ++i) buckets_[i] += other.buckets_[i];
  count_ += other.count_;
}

double Histogram::percentile_nanos(double fraction) const noexcept {
  if (count_ == 0) return 0;
  const auto rank = static_cast<std::uint64_t>(std::ceil(fraction * static_cast<double>(count_)));
  std::uint64_t seen = 0;
  for (std::size_t i = 0; i < kBuckets; ++i) {
    seen += buckets_[i];
    if (seen >= std::max<std::uint64_t>(rank, 1)) return bucket_middle(i);
  }
  return bucket_middle(kBuckets - 1);
}

std::string Histogram::to_text() const {
  std::string text;
  for (std::size_t i = 0; i < kBuckets; ++i) {
    if (buckets_[i] == 0) continue;
    if (!text.empty()) text += ' ';
    text += std::to_string(i) + ':' + std::to_string(buckets_[i]);
  }
  return text;
}

bool Histogram::parse(const std::string& text) {
  Histogram parsed;
  std::istringstream in(text);
  std::string pair;
  while (in >> pair) {
    std::size_t bucket = 0;
    std::uint64_t count = 0;
    char colon = 0;
    std::istringstream fields(pair);
    if (!(fields >> bucket >> colon >> count) || colon != ':' || bucket >= kBuckets || !fields.eof()) return false;
    parsed.buckets_[bucket] += count;
    parsed.count_ += count;
  }
  *this = parsed;
  return true;
}

Row make_row(Group group, std::string subject, Role role, std::uint64_t store_documents, const Measurement& m,
             std::string unit, bool with_latency) {
  Row row;
  row.group = std::move(group);
  row.subject = std::move(subject);
  row.role = role;
  row.store_documents = store_documents;
  const bool per_document = unit == "docs/s";
  row.count = per_document ? m.items : m.ops;
  row.seconds = m.seconds;
  row.value = m.seconds > 0 ? static_cast<double>(row.count) / m.seconds : 0;
  row.unit = std::move(unit);
  row.timed_per_op = with_latency && m.latency.count() > 0;
  row.latency = m.latency;
  return row;
}

void Report::add(Row row) {
  for (Row& existing : rows_) {
    if (existing.group.workload != row.group.workload || existing.subject != row.subject) continue;
    existing.count += row.count;
    existing.seconds += row.seconds;
    if (existing.seconds > 0) existing.value = static_cast<double>(existing.count) / existing.seconds;
    existing.latency.merge(row.latency);
    existing.timed_per_op = existing.timed_per_op || row.timed_per_op;
    return;
  }
  rows_.push_back(std::move(row));
}

std::vector<Report::Line> Report::lines() const {
  std::vector<Line> out;
  for (const Row& row : rows_) out.push_back({row, std::nullopt});
  for (const Row& borrower : rows_) {
    if (borrower.group.alternatives_of.empty() || borrower.role != Role::kReference) continue;
    for (const Row& row : rows_) {
      if (row.group.workload != borrower.group.alternatives_of || row.role != Role::kAlternative) continue;
      Line copy{row, std::nullopt};
      copy.row.group = borrower.group;
      out.push_back(std::move(copy));
    }
  }
  std::stable_sort(out.begin(), out.end(), [](const Line& a, const Line& b) {
    if (a.row.group.order != b.row.group.order) return a.row.group.order < b.row.group.order;
    return static_cast<int>(a.row.role) < static_cast<int>(b.row.role);
  });
  std::map<std::string, const Row*> references;
  for (const Line& line : out) {
    if (line.row.role == Role::kReference) references[line.row.group.workload] = &line.row;
  }
  for (Line& line : out) {
    if (line.row.role != Role::kAlternative || !line.row.note.empty()) continue;
    const auto found = references.find(line.row.group.workload);
    if (found == references.end() || !found->second->note.empty()) continue;
    const Row& reference = *found->second;
    if (reference.value <= 0 || line.row.value <= 0) continue;
    line.ratio = line.row.unit == "bytes/doc" ? line.row.value / reference.value : reference.value / line.row.value;
  }
  return out;
}

namespace {

std::string format_number(double value) {
  char text[32];
  if (value >= 100) {
    std::snprintf(text, sizeof text, "%.0f", value);
  } else if (value >= 10) {
    std::snprintf(text, sizeof text, "%.1f", value);
  } else {
    std::snprintf(text, sizeof text, "%.2f", value);
  }
  return text;
}

// The latency at `fraction` in microseconds, or empty when not timed per operation.
std::optional<double> percentile_us(const Row& row, double fraction) {
  if (!row.timed_per_op) return std::nullopt;
  return row.latency.percentile_nanos(fraction) / 1e3;
}

std::string format_optional(const std::optional<double>& value) {
  return value ? format_number(*value) : std::string("—");
}

std::string format_ratio(const std::optional<double>& ratio) {
  if (!ratio) return "";
  char text[32];
  std::snprintf(text, sizeof text, "%.2fx", *ratio);
  return text;
}

// The cells of one line, in the order of kHeaders.
std::vector<std::string> cells(const Report::Line& line) {
  const Row& row = line.row;
  const std::string documents = row.store_documents == 0 ? "fresh" : std::to_string(row.store_documents);
  if (!row.note.empty()) {
    return {row.group.workload, row.subject, documents, "", "", row.note, row.unit, "", "", ""};
  }
  char seconds[32];
  std::snprintf(seconds, sizeof seconds, "%.3f", row.seconds);
  return {row.group.workload,
          row.subject,
          documents,
          std::to_string(row.count),
          seconds,
          format_number(row.value),
          row.unit,
          format_optional(percentile_us(row, 0.50)),
          format_optional(percentile_us(row, 0.99)),
          format_ratio(line.ratio)};
}

const std::vector<std::string> kHeaders = {"workload", "subject", "store N", "count",  "seconds",
                                           "rate",     "unit",    "p50 µs",  "p99 µs", "snapstore ×"};

// Display width: µs and × and — are one column each but two or three bytes.
std::size_t display_width(const std::string& text) {
  std::size_t width = 0;
  for (const unsigned char c : text) {
    if ((c & 0xC0) != 0x80) ++width;
  }
  return width;
}

std::string csv_field(const std::string& text) {
  if (text.find_first_of(",\"\n") == std::string::npos) return text;
  std::string quoted = "\"";
  for (const char c : text) {
    if (c == '"') quoted += '"';
    quoted += c;
  }
  return quoted + "\"";
}

}  // namespace

void Report::print_text(std::ostream& out) const {
  const std::vector<Line> all = lines();
  std::vector<std::vector<std::string>> table = {kHeaders};
  for (const Line& line : all) table.push_back(cells(line));
  std::vector<std::size_t> widths(kHeaders.size(), 0);
  for (const auto& cells_of_row : table) {
    for (std::size_t i = 0; i < cells_of_row.size(); ++i)
      widths[i] = std::max(widths[i], display_width(cells_of_row[i]));
  }
  std::string previous_group;
  for (std::size_t r = 0; r < table.size(); ++r) {
    if (r > 0 && table[r][0] != previous_group && r > 1) out << "\n";
    if (r > 0) previous_group = table[r][0];
    for (std::size_t i = 0; i < table[r].size(); ++i) {
      const std::string& cell = table[r][i];
      const std::string padding(widths[i] - display_width(cell), ' ');
      // Text columns align left, numbers right.
      if (i < 2 || i == 6) {
        out << cell << padding;
      } else {
        out << padding << cell;
      }
      out << (i + 1 < table[r].size() ? "  " : "\n");
    }
  }
}

void Report::write_csv(std::ostream& out) const {
  out << "workload,subject,store_documents,count,seconds,rate,unit,p50_us,p99_us,snapstore_ratio,note\n";
  for (const Line& line : lines()) {
    const Row& row = line.row;
    out << csv_field(row.group.workload) << ',' << csv_field(row.subject) << ',' << row.store_documents << ',';
    if (row.note.empty()) {
      out << row.count << ',' << row.seconds << ',' << row.value << ',' << row.unit << ',';
      const std::optional<double> p50 = percentile_us(row, 0.50);
      const std::optional<double> p99 = percentile_us(row, 0.99);
      out << (p50 ? std::to_string(*p50) : "") << ',' << (p99 ? std::to_string(*p99) : "") << ',';
      out << (line.ratio ? std::to_string(*line.ratio) : "") << ",\n";
    } else {
      out << ",,," << row.unit << ",,,," << csv_field(row.note) << "\n";
    }
  }
}

// Tab-separated fields; none of the texts holds a tab or a newline.
void Report::write_rows(std::ostream& out) const {
  for (const Row& row : rows_) {
    char numbers[96];
    std::snprintf(numbers, sizeof numbers, "%.17g\t%.17g", row.seconds, row.value);
    out << row.group.workload << '\t' << row.group.order << '\t' << row.group.alternatives_of << '\t' << row.subject
        << '\t' << static_cast<int>(row.role) << '\t' << row.store_documents << '\t' << row.count << '\t' << numbers
        << '\t' << row.unit << '\t' << (row.timed_per_op ? 1 : 0) << '\t' << row.note << '\t' << row.latency.to_text()
        << '\n';
  }
}

bool Report::read_rows(std::istream& in) {
  std::vector<Row> read;
  for (std::string line; std::getline(in, line);) {
    std::vector<std::string> fields;
    std::istringstream split(line);
    for (std::string field; std::getline(split, field, '\t');) fields.push_back(field);
    if (!line.empty() && line.back() == '\t') fields.emplace_back();
    if (fields.size() != 13) return false;
    Row row;
    row.group.workload = fields[0];
    row.group.alternatives_of = fields[2];
    row.subject = fields[3];
    row.unit = fields[9];
    row.note = fields[11];
    int role = 0;
    int timed = 0;
    try {
      row.group.order = std::stoi(fields[1]);
      role = std::stoi(fields[4]);
      row.store_documents = std::stoull(fields[5]);
      row.count = std::stoull(fields[6]);
      row.seconds = std::stod(fields[7]);
      row.value = std::stod(fields[8]);
      timed = std::stoi(fields[10]);
    } catch (const std::exception&) {
      return false;
    }
    if (role < static_cast<int>(Role::kReference) || role > static_cast<int>(Role::kAlternative)) return false;
    if (timed != 0 && timed != 1) return false;
    row.role = static_cast<Role>(role);
    row.timed_per_op = timed == 1;
    if (!row.latency.parse(fields[12])) return false;
    read.push_back(std::move(row));
  }
  for (Row& row : read) add(std::move(row));
  return true;
}

void Report::write_markdown(std::ostream& out) const {
  out << "|";
  for (const std::string& header : kHeaders) out << " " << header << " |";
  out << "\n|";
  for (std::size_t i = 0; i < kHeaders.size(); ++i) out << (i < 2 || i == 6 ? "---|" : "---:|");
  out << "\n";
  for (const Line& line : lines()) {
    out << "|";
    for (const std::string& cell : cells(line)) out << " " << cell << " |";
    out << "\n";
  }
}

}  // namespace compare
