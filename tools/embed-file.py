#!/usr/bin/env python3
# Turns a data file into a C source with one NUL-terminated byte array,
# so the daemon carries its RelaxNG schema and needs no path at run time.
import sys

src, dst, symbol = sys.argv[1:4]
data = open(src, 'rb').read()
with open(dst, 'w') as out:
    out.write('/* Generated from %s by tools/embed-file.py; do not edit. */\n' % src.split('/')[-1])
    out.write('#include <stddef.h>\n')
    out.write('const char %s[] = {\n' % symbol)
    for i in range(0, len(data), 16):
        out.write('\t' + ', '.join('0x%02x' % b for b in data[i:i + 16]) + ',\n')
    out.write('\t0x00\n};\n')
    out.write('const size_t %s_len = %d;\n' % (symbol, len(data)))
