#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""No import circle among ACES's compilation units.

Usage: tools/check_cycles.py BUILD_DIR

Reads the symbols of every object of app/ and lib/ in BUILD_DIR (nm): a file that uses
a function or a table another file defines depends on it. Files that depend on each other,
directly or through others, are a circle: two files that cannot be read, tested or changed
apart. Prints each circle with the symbols that close it and exits 1; exits 0 when there is
none. Within a library the same holds: lib/config's loader and its cross-field rules share
a leaf (config_names.c), not each other.
"""
import collections
import glob
import os
import subprocess
import sys


def symbols(obj):
    """(defined, undefined) global symbols of one object."""
    defined, undefined = set(), set()
    out = subprocess.run(['nm', '-P', obj], capture_output=True, text=True, check=True).stdout
    for line in out.splitlines():
        f = line.split()
        if len(f) < 2:
            continue
        name, kind = f[0], f[1]
        if kind == 'U':
            undefined.add(name)
        elif kind in 'TDBRCVW':
            defined.add(name)
    return defined, undefined


def unit_name(build, obj):
    """app/datapath/worker.c for build/app/aces.p/datapath_worker.c.o, and so on."""
    rel = os.path.relpath(obj, build)
    top, target = rel.split(os.sep)[:2]
    base = os.path.basename(obj)[:-2]		# drop ".o"
    if top == 'app' and target == 'aces.p':
        room, _, rest = base.partition('_')
        return 'app/' + (room + '/' + rest if rest and os.path.isdir(
            os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'app', room))
            else base)
    return os.path.dirname(rel).replace('.p', '').rsplit(os.sep, 1)[0] + '/' + base


def strongly_connected(graph):
    """Tarjan's algorithm, iterative: the components of more than one node."""
    index, low, on, stack, out = {}, {}, set(), [], []
    counter = [0]
    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = counter[0]
        counter[0] += 1
        stack.append(root)
        on.add(root)
        while work:
            v, it = work[-1]
            nxt = next(it, None)
            if nxt is not None:
                if nxt not in index:
                    index[nxt] = low[nxt] = counter[0]
                    counter[0] += 1
                    stack.append(nxt)
                    on.add(nxt)
                    work.append((nxt, iter(sorted(graph[nxt]))))
                elif nxt in on:
                    low[v] = min(low[v], index[nxt])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[v])
            if low[v] == index[v]:
                comp = []
                while True:
                    x = stack.pop()
                    on.discard(x)
                    comp.append(x)
                    if x == v:
                        break
                if len(comp) > 1:
                    out.append(sorted(comp))
    return out


def main():
    if len(sys.argv) != 2:
        print(__doc__.strip().splitlines()[2], file=sys.stderr)
        return 2
    build = sys.argv[1]
    objs = sorted(glob.glob(os.path.join(build, 'app', '*.p', '*.o')) +
                  glob.glob(os.path.join(build, 'app', '*', '*.p', '*.o')) +
                  glob.glob(os.path.join(build, 'lib', '*', '*.p', '*.o')))
    if not objs:
        print(f'check_cycles: no objects under {build}/app or {build}/lib: build first',
              file=sys.stderr)
        return 2
    owner, uses = {}, {}
    for o in objs:
        d, u = symbols(o)
        name = unit_name(build, o)
        uses[name] = u
        for s in d:
            owner.setdefault(s, name)
    graph = collections.defaultdict(set)
    why = collections.defaultdict(set)
    for name, u in uses.items():
        graph[name]
        for s in u:
            o = owner.get(s)
            if o is not None and o != name:
                graph[name].add(o)
                why[(name, o)].add(s)
    circles = strongly_connected(graph)
    for comp in circles:
        print('check_cycles: a circle: ' + ', '.join(comp))
        members = set(comp)
        for a in comp:
            for b in sorted(graph[a] & members):
                print(f'    {a} -> {b}: ' + ', '.join(sorted(why[(a, b)])[:6]))
    if circles:
        print(f'check_cycles: {len(circles)} circle(s) among {len(uses)} files', file=sys.stderr)
        return 1
    print(f'check_cycles: {len(uses)} files, no circle')
    return 0


if __name__ == '__main__':
    sys.exit(main())
