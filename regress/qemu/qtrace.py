#!/usr/bin/python3
"""qtrace.py OUTDIR < testbench-output: split a --quantize int8 testbench's
"Q n scale-bits q..." lines (built with -DLTCC_QTRACE=m_qtrace -DM_QTRACE)
into OUTDIR/CASE.qtrace, one per "case CASE" line, in regress/driver.c's
binary format (int32 n, float32 s, int16 q[n]), for reference.py --ties."""
import os
import struct
import sys


def main(outdir):
    os.makedirs(outdir, exist_ok=True)
    out = None
    for line in sys.stdin:
        w = line.split()
        if len(w) == 2 and w[0] == "case":
            if out:
                out.close()
            if "/" in w[1] or w[1].startswith("."):
                sys.exit("qtrace.py: bad case name %r" % w[1])
            out = open(os.path.join(outdir, w[1] + ".qtrace"), "wb")
        elif w and w[0] == "Q" and out:
            n = int(w[1])
            q = [int(v) for v in w[3:]]
            if len(q) != n:
                sys.exit("qtrace.py: a row of %d values says %d" % (len(q), n))
            out.write(struct.pack("<iI%dh" % n, n, int(w[2], 16), *q))
    if out:
        out.close()


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    main(sys.argv[1])
