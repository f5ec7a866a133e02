#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# The floor checker: an include may only point down a floor or stay on
# its own; backend/{qemu,host,migration} are siblings and must not
# include each other. Top to bottom:
#
#   service/ -> objects/ -> backend/driver/ -> backend/{qemu,host,migration}/
#            -> backend/conf/ -> backend/util/
#
# Beside the floors, clients (zvirtctl/): programs that speak only D-Bus
# to the daemon. A client may include its own files and the headers of
# the floors it names (zvirtctl: backend/util only, for cleanup.h); no
# floor may include a client.
#
# Usage: check-floors.py [ROOT]   (default: the repository root)
#
# Scans every .c/.h that git tracks under ROOT plus every one that exists
# under service/, objects/ and backend/ (so a new, untracked file is
# checked too). A quoted include resolves the way the compiler's quote
# search does here: the including file's directory, then ROOT/, then
# ROOT/backend/. An angle include is checked only when it resolves in
# ROOT/ or ROOT/backend/ (-I comes before the system directories, so it
# would pick our header); otherwise it is a system header.
#
# Offences (exit 1), one line each:
#   - an include that points up, or sideways between qemu/host/migration;
#   - an include that resolves to nothing in the tree (zvirtd-config.h,
#     generated into the build root, is allowed from anywhere);
#   - an include that reaches into tests/ or anywhere outside the floors;
#   - a source file under service/, objects/ or backend/ on no floor
#     (a new backend/ directory must be added to FLOORS below first);
#   - a client's include of a floor it may not use, or a floor's include
#     of a client.
# Files outside the floors (tests/, tools/) are scanned but not judged.

import os
import re
import subprocess
import sys

# Directory prefix -> (floor name, height). Same height, different name:
# siblings, which must not include each other.
FLOORS = [
    ('service/', 'service', 5),
    ('objects/', 'objects', 4),
    ('backend/driver/', 'driver', 3),
    ('backend/qemu/', 'qemu', 2),
    ('backend/host/', 'host', 2),
    ('backend/migration/', 'migration', 2),
    ('backend/conf/', 'conf', 1),
    ('backend/util/', 'util', 0),
]
# Directory prefix -> (client name, the floors it may include).
CLIENTS = [
    ('zvirtctl/', 'zvirtctl', ('util',)),
]
FLOOR_ROOTS = ('service', 'objects', 'backend', 'zvirtctl')
GENERATED = {'zvirtd-config.h'}
SOURCE_EXTENSIONS = ('.c', '.h')

INCLUDE_RE = re.compile(r'^[ \t]*#[ \t]*include[ \t]*([<"])([^>"\n]+)[>"]', re.M)


def floor_of(rel):
    for prefix, name, height in FLOORS:
        if rel.startswith(prefix):
            return name, height
    return None


def client_of(rel):
    for prefix, name, allowed in CLIENTS:
        if rel.startswith(prefix):
            return prefix, name, allowed
    return None


def under_floor_roots(rel):
    return rel.split('/', 1)[0] in FLOOR_ROOTS


def strip_comments(text):
    """Blanks out comments, keeping newlines (for line numbers) and string
    and character literals (a "/*" in a glob is not a comment)."""
    out = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c == '/' and text.startswith('/*', i):
            end = text.find('*/', i + 2)
            end = n if end < 0 else end + 2
            out.append(re.sub(r'[^\n]', ' ', text[i:end]))
            i = end
        elif c == '/' and text.startswith('//', i):
            end = text.find('\n', i)
            end = n if end < 0 else end
            out.append(' ' * (end - i))
            i = end
        elif c in '"\'':
            j = i + 1
            while j < n and text[j] != c and text[j] != '\n':
                j += 2 if text[j] == '\\' else 1
            j = min(j + 1, n)
            out.append(text[i:j])
            i = j
        else:
            out.append(c)
            i += 1
    return ''.join(out)


def git_files(root):
    try:
        res = subprocess.run(['git', '-C', root, 'ls-files', '-z', '--', '.'],
                             stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, check=True)
    except (OSError, subprocess.CalledProcessError):
        return set()
    return {p for p in res.stdout.decode('utf-8', 'surrogateescape').split('\0') if p}


def source_files(root):
    files = {p for p in git_files(root) if p.endswith(SOURCE_EXTENSIONS)}
    for top in FLOOR_ROOTS:
        for dirpath, dirnames, filenames in os.walk(os.path.join(root, top)):
            dirnames.sort()
            for f in filenames:
                if f.endswith(SOURCE_EXTENSIONS):
                    files.add(os.path.relpath(os.path.join(dirpath, f), root).replace(os.sep, '/'))
    # git still lists a tracked file someone just deleted.
    return sorted(p for p in files if os.path.isfile(os.path.join(root, p)))


def resolve(root, rel, target, quoted):
    """The path (relative to root) the include picks, or None."""
    bases = [os.path.dirname(rel)] if quoted else []
    bases += ['', 'backend']
    for base in bases:
        cand = os.path.normpath(os.path.join(base, target)).replace(os.sep, '/')
        if cand == '..' or cand.startswith('../') or os.path.isabs(cand):
            continue
        if os.path.isfile(os.path.join(root, cand)):
            return cand
    return None


def read_includes(root, rel):
    """(text without comments, or None and the error)."""
    try:
        with open(os.path.join(root, rel), encoding='utf-8', errors='surrogateescape') as f:
            return strip_comments(f.read()), None
    except OSError as e:
        return None, e.strerror


def includes(root, rel, text):
    """Yields (where, quoted, target, dest) for each include but the generated ones."""
    for m in INCLUDE_RE.finditer(text):
        quoted = m.group(1) == '"'
        target = m.group(2).strip()
        line = text.count('\n', 0, m.start()) + 1
        shown = '"%s"' % target if quoted else '<%s>' % target
        if target in GENERATED:
            continue
        yield '%s:%d: includes %s' % (rel, line, shown), quoted, target, resolve(root, rel, target, quoted)


def check_client(root, rel, client):
    prefix, name, allowed = client
    text, err = read_includes(root, rel)
    if text is None:
        yield '%s:1: cannot be read: %s' % (rel, err)
        return
    for where, quoted, target, dest in includes(root, rel, text):
        if dest is None:
            if quoted:
                yield '%s (not found) from client %s: it resolves to nothing in the tree' % (where, name)
            continue
        if dest.startswith(prefix):
            continue
        there = floor_of(dest)
        if there is None or there[0] not in allowed:
            yield '%s (%s) from client %s: a client may include only its own files and %s' % (
                where, dest, name, ', '.join('backend/' + a for a in allowed))
        elif os.path.basename(dest).endswith('-internal.h'):
            yield '%s (%s) from client %s: a *-internal.h is for its own directory only' % (where, dest, name)


def check_file(root, rel):
    """Yields the offences of one file."""
    client = client_of(rel)
    if client is not None:
        yield from check_client(root, rel, client)
        return
    here = floor_of(rel)
    if here is None:
        if under_floor_roots(rel):
            known = ', '.join(p.rstrip('/') for p, _, _ in FLOORS)
            yield '%s:1: is on no floor (the floors are %s)' % (rel, known)
        return
    name, height = here
    text, err = read_includes(root, rel)
    if text is None:
        yield '%s:1: cannot be read: %s' % (rel, err)
        return

    for where, quoted, target, dest in includes(root, rel, text):
        if dest is None:
            if quoted:
                yield '%s (not found) from floor %s: it resolves to nothing in the tree' % (where, name)
            continue
        if dest.startswith('tests/'):
            yield '%s (in tests/) from floor %s: the floors must not include tests' % (where, name)
            continue
        if client_of(dest) is not None:
            yield '%s (%s, a client) from floor %s: the daemon must not include a client' % (
                where, dest, name)
            continue
        there = floor_of(dest)
        if there is None:
            yield '%s (%s, outside the floors) from floor %s: includes must point down' % (where, dest, name)
            continue
        tname, theight = there
        if os.path.basename(dest).endswith('-internal.h') and os.path.dirname(dest) != os.path.dirname(rel):
            # A room's insides (struct Domain, struct Registry): opaque above it.
            yield '%s (%s) from %s: a *-internal.h is for its own directory only' % (
                where, dest, os.path.dirname(rel) or '.')
            continue
        if theight > height:
            yield '%s (floor %s) from floor %s: includes must point down' % (where, tname, name)
        elif theight == height and tname != name:
            yield ('%s (floor %s) from floor %s: qemu, host and migration are siblings and must not '
                   'include each other' % (where, tname, name))


def main(argv):
    if len(argv) > 2 or (len(argv) == 2 and argv[1].startswith('-')):
        sys.stderr.write('usage: %s [ROOT]\n' % argv[0])
        return 2
    if len(argv) == 2:
        root = argv[1]
    else:
        root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    if not os.path.isdir(root):
        sys.stderr.write('%s: not a directory\n' % root)
        return 2

    files = source_files(root)
    judged = sum(1 for rel in files if floor_of(rel) is not None or client_of(rel) is not None)
    offences = [o for rel in files for o in check_file(root, rel)]
    for o in offences:
        print(o)
    if offences:
        print('check-floors: %d offence(s) in %s' % (len(offences), root), file=sys.stderr)
        return 1
    if judged == 0:
        # An empty scan would pass anything: a wrong ROOT, not a clean tree.
        print('check-floors: no source files on any floor under %s' % root, file=sys.stderr)
        return 1
    print('check-floors: %d files on the floors, %d scanned, every include points down' % (judged, len(files)))
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv))
