// The joblog's format: its header and one tab-separated line per attempt, escaped.
#include <cstdio>
#include <fstream>
#include <sstream>
#include <unistd.h>

#include <doctest/doctest.h>

#include "cli/joblog.hpp"

using namespace rankpool;
using namespace rankpool::cli;

TEST_CASE("the joblog's header names ten tab-separated columns") {
    CHECK(joblog_header() ==
          "index\tinput\trank\thost\tpid\tstart\tseconds\tattempt\tstatus\terror");
}

TEST_CASE("a joblog line: times with ms, the attempt, the status and the error") {
    TaskAttempt a;
    a.index = 7;
    a.attempt = 2;
    a.rank = 3;
    a.start = 1795747852.1604;
    a.seconds = 0.10449;
    a.status = AttemptStatus::failed;
    a.error = "boom";
    CHECK(joblog_line(a, "0.5", "h1", 4242) ==
          "7\t0.5\t3\th1\t4242\t1795747852.160\t0.104\t2\tfailed\tboom");
    a.status = AttemptStatus::ok;
    a.error.clear();
    CHECK(joblog_line(a, "0.5", "h1", 4242) ==
          "7\t0.5\t3\th1\t4242\t1795747852.160\t0.104\t2\tok\t");
    a.status = AttemptStatus::cancelled;
    CHECK(joblog_line(a, "x", "h", 1).find("\tcancelled\t") != std::string::npos);
}

TEST_CASE("tabs, newlines and backslashes in inputs and errors stay on one line") {
    CHECK(joblog_escape("a\tb\nc\rd\\e") == "a\\tb\\nc\\rd\\\\e");
    TaskAttempt a;
    a.status = AttemptStatus::failed;
    a.error = "line 1\nline 2";
    const auto line = joblog_line(a, "echo\t'x'", "h", 1);
    CHECK(line.find('\n') == std::string::npos);
    std::size_t tabs = 0;
    for (const char c : line) {
        tabs += c == '\t' ? 1 : 0;
    }
    CHECK(tabs == 9);
}

TEST_CASE("the writer writes the header and a line per attempt, with host and pid by rank") {
    const std::string path = "/tmp/rankpool-joblog-test-" + std::to_string(::getpid());
    {
        JoblogWriter w(path, {"h0", "h1"}, {10, 11});
        TaskAttempt a;
        a.index = 1;
        a.rank = 1;
        w.write(a, "2");
        CHECK(w.close().empty());
    }
    std::ifstream in(path);
    std::stringstream text;
    text << in.rdbuf();
    CHECK(text.str() == joblog_header() + "\n1\t2\t1\th1\t11\t0.000\t0.000\t1\tok\t\n");
    std::remove(path.c_str());
    CHECK_THROWS_WITH(JoblogWriter("/nonexistent-dir/x", {}, {}),
                      "--joblog cannot write '/nonexistent-dir/x': No such file or directory");
}
