// bench/compare's report: percentiles of the log-linear histogram, the
// direction of the ratio column (throughput: reference / row; memory: row /
// reference), rows merged across rounds, the CSV and Markdown renderings,
// and the rows' text a child process hands to the parent.
#include <gtest/gtest.h>

#include <sstream>
#include <string>

#include "bench/compare/report.h"

namespace compare {
namespace {

TEST(CompareHistogram, PercentilesWithinTheBucketPrecision) {
  Histogram h;
  for (std::uint64_t nanos = 1; nanos <= 10'000; ++nanos) h.record(nanos * 100);
  EXPECT_EQ(h.count(), 10'000u);
  EXPECT_NEAR(h.percentile_nanos(0.50), 500'000, 500'000 * 0.07);
  EXPECT_NEAR(h.percentile_nanos(0.99), 990'000, 990'000 * 0.07);
}

TEST(CompareHistogram, SmallValuesAreExactAndEmptyIsZero) {
  Histogram h;
  EXPECT_EQ(h.percentile_nanos(0.5), 0);
  for (int i = 0; i < 10; ++i) h.record(7);
  EXPECT_EQ(h.percentile_nanos(0.5), 7);
  Histogram other;
  other.record(1ULL << 62);
  h.merge(other);
  EXPECT_EQ(h.count(), 11u);
  EXPECT_GT(h.percentile_nanos(1.0), 4e18);
}

Row rate_row(const Group& group, const std::string& subject, Role role, double value) {
  Row row;
  row.group = group;
  row.subject = subject;
  row.role = role;
  row.count = static_cast<std::uint64_t>(value);
  row.seconds = 1;
  row.unit = "ops/s";
  row.value = value;
  return row;
}

TEST(CompareReport, RatiosAreSnapstoreOverEachAlternative) {
  const Group get{"get", 2};
  const Group memory{"memory", 3};
  Report report;
  report.add(rate_row(get, "RocksDB", Role::kAlternative, 50));
  report.add(rate_row(get, "snapstore in memory", Role::kSnapstore, 300));
  report.add(rate_row(get, "snapstore", Role::kReference, 200));
  Row bytes = rate_row(memory, "snapstore", Role::kReference, 800);
  bytes.unit = "bytes/doc";
  report.add(bytes);
  bytes.subject = "msgpack";
  bytes.role = Role::kAlternative;
  bytes.value = 200;
  report.add(bytes);

  const auto lines = report.lines();
  ASSERT_EQ(lines.size(), 5u);
  EXPECT_EQ(lines[0].row.subject, "snapstore");  // the reference leads its group
  EXPECT_FALSE(lines[0].ratio);
  EXPECT_EQ(lines[1].row.subject, "snapstore in memory");
  EXPECT_FALSE(lines[1].ratio);  // snapstore variants get no ratio
  ASSERT_TRUE(lines[2].ratio);
  EXPECT_DOUBLE_EQ(*lines[2].ratio, 4.0);  // 200 / 50: snapstore is 4x faster
  ASSERT_TRUE(lines[4].ratio);
  EXPECT_DOUBLE_EQ(*lines[4].ratio, 0.25);  // 200 / 800: snapstore needs 4x the bytes
}

TEST(CompareReport, AGroupCanBorrowAnotherGroupsAlternatives) {
  const Group get{"get", 2};
  const Group get_view{"get, as a view", 3, "get"};
  Report report;
  report.add(rate_row(get, "RocksDB", Role::kAlternative, 50));
  report.add(rate_row(get, "snapstore", Role::kReference, 200));
  report.add(rate_row(get_view, "snapstore view", Role::kReference, 1000));

  const auto lines = report.lines();
  ASSERT_EQ(lines.size(), 4u);
  EXPECT_EQ(lines[2].row.subject, "snapstore view");
  EXPECT_EQ(lines[3].row.subject, "RocksDB");
  EXPECT_EQ(lines[3].row.group.workload, "get, as a view");
  ASSERT_TRUE(lines[3].ratio);
  EXPECT_DOUBLE_EQ(*lines[3].ratio, 20.0);  // 1000 / 50
  ASSERT_TRUE(lines[1].ratio);
  EXPECT_DOUBLE_EQ(*lines[1].ratio, 4.0);  // the original group keeps its own ratio
}

TEST(CompareReport, NoRatioAgainstAReferenceThatCouldNotRun) {
  const Group batch{"batch", 1};
  Report report;
  Row missing = rate_row(batch, "snapstore", Role::kReference, 0);
  missing.note = "n/a — no batch API";
  report.add(missing);
  report.add(rate_row(batch, "RocksDB", Role::kAlternative, 1000));
  for (const auto& line : report.lines()) EXPECT_FALSE(line.ratio) << line.row.subject;
  std::ostringstream text;
  report.print_text(text);
  EXPECT_NE(text.str().find("n/a — no batch API"), std::string::npos);
}

TEST(CompareReport, RowsOfRoundsMerge) {
  const Group insert{"insert", 1};
  Report report;
  Measurement first;
  first.ops = first.items = 100;
  first.seconds = 1;
  first.latency.record(1000);
  Measurement second = first;
  second.ops = second.items = 300;
  report.add(make_row(insert, "snapstore", Role::kReference, 0, first, "ops/s", true));
  report.add(make_row(insert, "snapstore", Role::kReference, 0, second, "ops/s", true));
  const auto lines = report.lines();
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(lines[0].row.count, 400u);
  EXPECT_DOUBLE_EQ(lines[0].row.seconds, 2);
  EXPECT_DOUBLE_EQ(lines[0].row.value, 200);
  EXPECT_EQ(lines[0].row.latency.count(), 2u);
}

TEST(CompareReport, CsvQuotesAndMarkdownHasOneLinePerRow) {
  const Group group{"insert, 1 thread", 1};
  Report report;
  report.add(rate_row(group, "snapstore", Role::kReference, 10));
  report.add(rate_row(group, "SQLite \"FULL\"", Role::kAlternative, 5));
  std::ostringstream csv;
  report.write_csv(csv);
  EXPECT_NE(csv.str().find("\"insert, 1 thread\",snapstore,"), std::string::npos);
  EXPECT_NE(csv.str().find("\"SQLite \"\"FULL\"\"\""), std::string::npos);
  EXPECT_NE(csv.str().find(",2.000000,"), std::string::npos);
  std::ostringstream markdown;
  report.write_markdown(markdown);
  std::size_t lines = 0;
  for (const char c : markdown.str()) lines += c == '\n' ? 1 : 0;
  EXPECT_EQ(lines, 4u);  // header, rule, two rows
  EXPECT_NE(markdown.str().find("| 2.00x |"), std::string::npos);
}

// The lookup child hands its rows to the parent as text (D119): every field
// comes back, and text the child did not write adds nothing.
TEST(CompareReport, RowsSurviveTheTextAChildPrints) {
  Report child;
  Row reference = rate_row({"exact lookup, heap kept", 900, ""}, "snapstore lookup, heap kept", Role::kReference, 3);
  reference.unit = "docs/s";
  reference.seconds = 0.1 + 0.2;
  reference.value = 10.0 / 3;
  reference.timed_per_op = true;
  reference.latency.record(1234);
  reference.latency.record(99'000);
  child.add(reference);
  Row alternative = rate_row({"exact lookup, heap kept", 900, "other group"}, "SQLite", Role::kAlternative, 2);
  alternative.note = "not measured";
  child.add(alternative);
  std::ostringstream text;
  child.write_rows(text);

  Report parent;
  std::istringstream in(text.str());
  ASSERT_TRUE(parent.read_rows(in));
  const std::vector<Report::Line> lines = parent.lines();
  ASSERT_EQ(lines.size(), 2u);
  const Row& got = lines[0].row;
  EXPECT_EQ(got.group.workload, "exact lookup, heap kept");
  EXPECT_EQ(got.group.order, 900);
  EXPECT_EQ(got.subject, "snapstore lookup, heap kept");
  EXPECT_EQ(got.role, Role::kReference);
  EXPECT_EQ(got.count, 3u);
  EXPECT_EQ(got.seconds, 0.1 + 0.2);
  EXPECT_EQ(got.value, 10.0 / 3);
  EXPECT_EQ(got.unit, "docs/s");
  EXPECT_TRUE(got.timed_per_op);
  EXPECT_EQ(got.latency.count(), 2u);
  EXPECT_EQ(got.latency.percentile_nanos(1.0), reference.latency.percentile_nanos(1.0));
  EXPECT_EQ(lines[1].row.group.alternatives_of, "other group");
  EXPECT_EQ(lines[1].row.role, Role::kAlternative);
  EXPECT_EQ(lines[1].row.note, "not measured");
  EXPECT_FALSE(lines[1].row.timed_per_op);

  for (const std::string bad :
       {"a\tb\n", "w\t1\t\ts\t7\t0\t1\t1\t1\tops/s\t0\t\t\n", "w\tx\t\ts\t0\t0\t1\t1\t1\tops/s\t0\t\t\n",
        "w\t1\t\ts\t0\t0\t1\t1\t1\tops/s\t0\t\tnot:a:histogram\n"}) {
    Report untouched;
    std::istringstream bad_in(text.str() + bad);
    EXPECT_FALSE(untouched.read_rows(bad_in)) << bad;
    EXPECT_TRUE(untouched.lines().empty()) << bad;
  }
}

}  // namespace
}  // namespace compare
