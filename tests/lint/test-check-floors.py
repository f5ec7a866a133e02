#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# The floor checker's own test, so it cannot pass silently: on the
# fixture tree floors-bad/ it must report exactly the offences below
# (from git's file list and from a plain copy outside git), pass once
# they are taken out, and refuse a root with no floors at all.
#
# Usage: test-check-floors.py CHECKER

import os
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURE = os.path.join(HERE, 'floors-bad')

EXPECTED = [
    'backend/conf/settings.h:5: includes <objects/objects.h> (floor objects) from floor conf: '
    'includes must point down',
    'backend/driver/missing.c:3: includes "util/nonexistent.h" (not found) from floor driver: '
    'it resolves to nothing in the tree',
    'backend/qemu/side.c:3: includes "host/sysfs.h" (floor host) from floor qemu: '
    'qemu, host and migration are siblings and must not include each other',
    'backend/stray/stray.c:1: is on no floor (the floors are service, objects, backend/driver, '
    'backend/qemu, backend/host, backend/migration, backend/conf, backend/util)',
    'backend/util/log.h:8: includes "conf/settings.h" (floor conf) from floor util: '
    'includes must point down',
    'backend/util/log.h:9: includes "../qemu/qmp.h" (floor qemu) from floor util: '
    'includes must point down',
    'objects/into-tests.c:3: includes "tests/unit/helper.h" (in tests/) from floor objects: '
    'the floors must not include tests',
    'objects/peek.c:3: includes "driver/registry-internal.h" (backend/driver/registry-internal.h) '
    'from objects: a *-internal.h is for its own directory only',
    'objects/uses-client.c:3: includes "zvirtctl/client.h" (zvirtctl/client.h, a client) from floor '
    'objects: the daemon must not include a client',
    'zvirtctl/bad.c:3: includes "objects/objects.h" (objects/objects.h) from client zvirtctl: '
    'a client may include only its own files and backend/util',
]

# What is left of the fixture without its offences.
OFFENDING_FILES = ['objects/into-tests.c', 'objects/peek.c', 'objects/uses-client.c', 'zvirtctl/bad.c',
                   'backend/driver/missing.c',
                   'backend/qemu/side.c',
                   'backend/stray/stray.c']
OFFENDING_LINES = {
    'backend/conf/settings.h': ['#include <objects/objects.h>'],
    'backend/util/log.h': ['#include "conf/settings.h"', '#include "../qemu/qmp.h"'],
}

failures = []


def run(checker, root):
    res = subprocess.run([sys.executable, checker, root], stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, universal_newlines=True)
    return res.returncode, res.stdout.splitlines(), res.stderr


def expect(what, cond, detail=''):
    print('%s: %s' % ('ok' if cond else 'FAIL', what))
    if not cond:
        failures.append(what)
        if detail:
            print(detail)


def check_bad(checker, root, label):
    rc, out, err = run(checker, root)
    expect('%s: exit 1' % label, rc == 1, 'exit %d, stderr: %s' % (rc, err))
    missing = [e for e in EXPECTED if e not in out]
    extra = [o for o in out if o not in EXPECTED]
    expect('%s: exactly the expected offences' % label, not missing and not extra,
           '  missing:\n    ' + '\n    '.join(missing) + '\n  unexpected:\n    ' + '\n    '.join(extra))


def main(argv):
    if len(argv) != 2:
        sys.stderr.write('usage: %s CHECKER\n' % argv[0])
        return 2
    checker = argv[1]

    # In the source tree: the files come from git (or from the walk
    # before the fixture is committed).
    check_bad(checker, FIXTURE, 'fixture')

    with tempfile.TemporaryDirectory(prefix='check-floors-') as tmp:
        # Outside git: only the walk of service/, objects/, backend/ finds them.
        copy = os.path.join(tmp, 'bad')
        shutil.copytree(FIXTURE, copy)
        check_bad(checker, copy, 'copy outside git')

        for rel in OFFENDING_FILES:
            os.unlink(os.path.join(copy, rel))
        for rel, lines in OFFENDING_LINES.items():
            path = os.path.join(copy, rel)
            with open(path) as f:
                kept = [l for l in f.read().splitlines() if l.strip() not in lines]
            with open(path, 'w') as f:
                f.write('\n'.join(kept) + '\n')
        rc, out, err = run(checker, copy)
        expect('fixture without its offences: exit 0 and a one-line summary',
               rc == 0 and len(out) == 1 and out[0].startswith('check-floors: '),
               'exit %d, stdout: %s, stderr: %s' % (rc, out, err))

        # A wrong root must not look like a clean tree.
        empty = os.path.join(tmp, 'empty')
        os.mkdir(empty)
        rc, out, err = run(checker, empty)
        expect('a root with no floors: exit 1', rc == 1, 'exit %d' % rc)

    if failures:
        print('%d check(s) failed' % len(failures))
        return 1
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv))
