# SPDX-License-Identifier: MIT
"""The stages of `make check`, one module per group of stages.

scripts/check.py holds the table of stages (name -> function); each stage
function takes a tally.Context and adds what it finds to its Tally.

    lint       Kconfig help text, minimal defconfigs, CI workflow, script modes
    host       host unit tests and fuzzers
    errors     bad input to the build gets one clear line
    badinput   damaged device trees and CPUs: one line, a real status, no hang
    boots      the defconfig matrix, RAM sizes, random configurations, extremes
    benchmark  one benchmark run twice gives identical counts
    docs       every command in README.md and docs/*.md runs as written
    objtree    make O=DIR check / randcheck leave the source tree unchanged
    tally      counting, the boot-and-count helper, the stage context
"""
