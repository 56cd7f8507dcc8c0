# SPDX-License-Identifier: MIT
"""Running an image's self-tests: one boot judged by its KTAP output, then
(optionally) one boot per panic case.

A panic case (KTEST_PANIC_CASE) is booted alone with
"ktest.panic=suite.case" and passes when the kernel panics with a message
containing the expected text and exits with status 3.
"""
from dataclasses import dataclass

from mmlab import ktap, qemu

EXIT_PANIC = 3


@dataclass
class Result(ktap.Counts):
    """Counts over the self-test boot and its panic cases, and that boot."""
    boot: qemu.Boot = None


def run_panic_case(opts, elf, name, text):
    """Boot panic case @name, expecting a panic containing @text.

    Return: "" when it behaved, else the reason it did not.
    """
    res = qemu.boot(opts, elf, "ktest.panic=" + name)
    if res.timed_out:
        return "%s: timeout after %ss" % (name, res.timeout)
    if not res.panic:
        return "%s: did not panic (exit status %s)" % (name, res.status)
    if text not in res.panic:
        return '%s: panicked with "%s", expected "%s"' % (name, res.panic, text)
    if res.status != EXIT_PANIC:
        return "%s: exit status %s, expected %d" % (name, res.status, EXIT_PANIC)
    return ""


def run_image(opts, elf, append="", panic_cases=False, echo=False):
    """Boot @elf's self-tests with kernel command line @append; with
    @panic_cases also every panic case the boot listed. @echo streams the
    console and prints one line per panic case.

    Return: a Result; an image too large for @opts.mem is one failure and
    is never booted.
    """
    why = qemu.image_fit_error(elf, opts.mem)
    if why:
        result = Result(boot=qemu.Boot())
        result.fail(why)
        return result
    boot = qemu.boot(opts, elf, append, echo=echo)
    report = ktap.parse(boot)
    result = Result(boot=boot)
    result.add(report)
    for name, text in report.panic_cases if panic_cases else ():
        why = run_panic_case(opts, elf, name, text)
        result.case("panic-case " + name, "failed" if why else "passed", why)
        if echo:
            print("not ok - panic case " + why if why else "ok - panic case " + name, flush=True)
    return result
