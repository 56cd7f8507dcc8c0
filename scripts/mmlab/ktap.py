# SPDX-License-Identifier: MIT
"""Judging the KTAP version 1 output of one boot.

Result lines are `ok|not ok N name [# DIRECTIVE reason]`, suites are indented
subtests closed by their parent's result line. A case the plan promised but
never reported, a missing plan, a panic, a timeout or a non-zero exit status
all count as failures. The kernel also lists its panic cases as
`# panic-case: suite.case "expected text"`.
"""
import re
from dataclasses import dataclass, field

RESULT_RE = re.compile(r"^(\s*)(ok|not ok) (\d+) ([^#]*?)\s*(?:#\s*(\S+)\s*(.*))?$")
PLAN_RE = re.compile(r"^(\s*)1\.\.(\d+)\s*$")
PANIC_CASE_RE = re.compile(r'^# panic-case: (\S+) "(.*)"\s*$')
KTEST_OFF_RE = re.compile(r"^config: .* ktest=n\b")
SUMMARY_RE = re.compile(r"^(\d+) passed, (\d+) failed(?:, (\d+) skipped)?\s*$")


@dataclass
class Counts:
    """Cases passed, failed and skipped, with a reason for every failure, and
    every counted case by name: (name, "passed"|"failed"|"skipped", message)."""
    passed: int = 0
    failed: int = 0
    skipped: int = 0
    failures: list = field(default_factory=list)
    cases: list = field(default_factory=list)

    def case(self, name, status, message=""):
        """Count one case @name with @status ("passed", "failed" or "skipped")."""
        setattr(self, status, getattr(self, status) + 1)
        self.cases.append((name, status, message))
        if status == "failed":
            self.failures.append(message or name)

    def fail(self, why, n=1):
        """Count @n failures (0: only record the reason) explained by @why."""
        for i in range(n):
            self.cases.append((why if n == 1 else "%s (%d)" % (why, i + 1), "failed", why))
        self.failed += n
        self.failures.append(why)

    def add(self, other):
        """Add the counts, reasons and cases of @other to these."""
        self.passed += other.passed
        self.failed += other.failed
        self.skipped += other.skipped
        self.failures += other.failures
        self.cases += other.cases


@dataclass
class Report(Counts):
    """The judgement of one boot, plus the panic cases it listed."""
    panic_cases: list = field(default_factory=list)   # (suite.case, expected text)


def last_summary(text):
    """The last "N passed, N failed[, N skipped]" line of @text as a match, or None."""
    found = None
    for line in text.splitlines():
        m = SUMMARY_RE.match(line.strip())
        if m:
            found = m
    return found


def count_results(lines, rep):
    """Count the result lines of @lines into @rep, each case named
    suite.case; returns (top plan, suites seen)."""
    plans, seen, top_plan = {}, {}, None    # per indent: announced count, results seen
    pending = []        # (case, status, message) of the suite not closed yet
    note = ""           # the last diagnostic line, the reason of a failure
    for line in lines:
        m = PLAN_RE.match(line)
        if m:
            indent = len(m.group(1))
            plans[indent], seen[indent] = int(m.group(2)), 0
            if indent == 0 and top_plan is None:
                top_plan = int(m.group(2))
            continue
        m = PANIC_CASE_RE.match(line)
        if m:
            rep.panic_cases.append((m.group(1), m.group(2)))
            continue
        m = RESULT_RE.match(line)
        if not m:
            if line.strip().startswith("# "):
                note = line.strip()[2:]
            continue
        indent, name = len(m.group(1)), m.group(4)
        seen[indent] = seen.get(indent, 0) + 1
        if indent == 0:
            for case, status, message in pending:
                rep.case("%s.%s" % (name, case), status, message)
            pending = []
            close_suite(name, plans, seen, rep)
        elif (m.group(5) or "").upper() == "SKIP":
            pending.append((name, "skipped", m.group(6) or ""))
        elif m.group(2) == "ok":
            pending.append((name, "passed", ""))
        else:
            pending.append((name, "failed", "case %s failed%s" % (name, note and ": " + note)))
        note = ""
    for case, status, message in pending:      # a suite that never closed
        rep.case(case, status, message)
    return top_plan, seen.get(0, 0)


def close_suite(name, plans, seen, rep):
    """A suite's closing line: every case its plan promised must have reported."""
    sub = min((i for i in plans if i > 0), default=None)
    if sub is not None and seen.get(sub, 0) < plans[sub]:
        missing = plans[sub] - seen.get(sub, 0)
        rep.fail("suite %s: %d of %d cases missing" % (name, missing, plans[sub]), missing)
    for i in [i for i in plans if i > 0]:
        del plans[i]
        seen.pop(i, None)


def parse(boot):
    """Judge @boot (a qemu.Boot). Return: a Report."""
    rep = Report()
    top_plan, suites = count_results(boot.lines, rep)
    if top_plan is None and any(KTEST_OFF_RE.search(l) for l in boot.lines):
        # Built without CONFIG_KTEST: a clean boot to the exit is the test.
        if boot.status == 0 and not boot.panic and not boot.timed_out:
            rep.case("clean boot without self-tests", "passed")
        else:
            rep.fail("image without self-tests did not boot cleanly")
    elif top_plan is None:
        rep.fail("no KTAP plan in the output")
    elif suites < top_plan:
        rep.fail("%d of %d suites never reported" % (top_plan - suites, top_plan),
                 top_plan - suites)
    if boot.panic:
        rep.fail(boot.panic)
    if boot.timed_out:
        rep.fail("timeout after %ss" % boot.timeout)
    elif boot.status not in (0, None) and not boot.panic:
        rep.fail("QEMU exit status %d" % boot.status, 0 if rep.failed else 1)
    return rep
