# SPDX-License-Identifier: MIT
"""The reports `make check` leaves for CI, as twister does: JUnit XML (one
testcase per KTAP case per configuration, per host test, per other check)
and a JSON summary."""
import json
import xml.etree.ElementTree as ET
from collections import OrderedDict

JUNIT_NAME = "check-report.xml"
SUMMARY_NAME = "check-summary.json"


def junit(cases, seconds):
    """An ElementTree of @cases (tally.Case), one testsuite per group."""
    groups = OrderedDict()
    for c in cases:
        groups.setdefault(c.group, []).append(c)
    root = ET.Element("testsuites", name="mmlab make check", tests=str(len(cases)),
                      failures=str(sum(c.status == "failed" for c in cases)),
                      skipped=str(sum(c.status == "skipped" for c in cases)),
                      time="%.1f" % seconds)
    for group, members in groups.items():
        suite = ET.SubElement(root, "testsuite", name=group, tests=str(len(members)),
                              failures=str(sum(c.status == "failed" for c in members)),
                              skipped=str(sum(c.status == "skipped" for c in members)))
        for c in members:
            case = ET.SubElement(suite, "testcase", classname=group, name=c.name)
            if c.status == "failed":
                ET.SubElement(case, "failure", message=c.message or c.name)
            elif c.status == "skipped":
                ET.SubElement(case, "skipped", message=c.message)
            if c.log:
                ET.SubElement(case, "system-out").text = "[[ATTACHMENT|%s]]" % c.log
    return ET.ElementTree(root)


def summary(tally, seconds, stages):
    """The JSON summary of @tally after @stages ran for @seconds."""
    return {
        "passed": tally.passed, "failed": tally.failed, "skipped": tally.skipped,
        "seconds": round(seconds, 1), "stages": stages,
        "failures": tally.failures,
        "configurations": [{"name": n, "passed": p, "failed": f, "skipped": s,
                            "seconds": round(t, 1)} for n, p, f, s, t in tally.rows],
    }


def write(tally, seconds, stages, junit_path, summary_path):
    """Write both reports of @tally to @junit_path and @summary_path."""
    tree = junit(tally.cases, seconds)
    ET.indent(tree)
    tree.write(junit_path, encoding="utf-8", xml_declaration=True)
    with open(summary_path, "w") as f:
        json.dump(summary(tally, seconds, stages), f, indent=1)
        f.write("\n")
