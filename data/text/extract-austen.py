#!/usr/bin/python3
"""Rebuilds pride-and-prejudice.txt.gz from Debian's r-cran-janeaustenr package.

The package (MIT, by Julia Silge; the novels themselves are in the public domain) stores each
novel as an R character vector of lines in a lazy-load database (data/Rdata.rdx + Rdata.rdb).
This script reads that database with a small reader of R's XDR serialization (only the types the
database holds), keeps the opening chapters of Pride and Prejudice (1813) up to the first chapter
boundary past CHARS characters, a text about the size of H. G. Wells' The Time Machine that D2L
uses, and writes it gzipped with a fixed header so the bytes are reproducible.

Usage: apt-get download r-cran-janeaustenr && dpkg -x r-cran-janeaustenr_*.deb x &&
       /usr/bin/python3 data/text/extract-austen.py x/usr/lib/R/site-library/janeaustenr/data
"""
import gzip
import os
import struct
import sys
import zlib

CHARS = 170_000
NOVEL = 'prideprejudice'


class Reader:
    def __init__(self, buf):
        self.b, self.i, self.refs = buf, 0, []

    def int(self):
        (v,) = struct.unpack_from('>i', self.b, self.i)
        self.i += 4
        return v

    def bytes(self, n):
        v = self.b[self.i:self.i + n]
        self.i += n
        return v

    def header(self):
        assert self.bytes(2) == b'X\n', 'not XDR serialization'
        version = self.int()
        self.int()
        self.int()
        if version == 3:
            self.bytes(self.int())

    def item(self):
        flags = self.int()
        t, has_attr, has_tag = flags & 0xFF, flags & (1 << 9), flags & (1 << 10)
        if t == 254:  # NILVALUE
            return None
        if t == 255:  # REFSXP
            return self.refs[(flags >> 8) - 1 if flags >> 8 else self.int() - 1]
        if t in (253, 252, 251, 250, 242, 241):
            return None
        if t == 1:  # SYMSXP
            s = self.item()
            self.refs.append(s)
            return s
        if t == 9:  # CHARSXP
            n = self.int()
            return None if n == -1 else self.bytes(n).decode('utf-8')
        if t in (2, 6, 239, 240):  # pairlists: attributes, tag, car, cdr
            attr = self.item() if has_attr else None
            tag = self.item() if has_tag else None
            car = self.item()
            cdr = self.item()
            out = [(tag, car)] + (cdr if isinstance(cdr, list) else [])
            return out
        if t in (16, 19, 20):  # STRSXP, VECSXP, EXPRSXP
            v = [self.item() for _ in range(self.int())]
        elif t in (10, 13):  # LGLSXP, INTSXP
            n = self.int()
            v = list(struct.unpack_from(f'>{n}i', self.b, self.i))
            self.i += 4 * n
        elif t == 14:  # REALSXP
            n = self.int()
            v = list(struct.unpack_from(f'>{n}d', self.b, self.i))
            self.i += 8 * n
        else:
            raise ValueError(f'R type {t} is not handled')
        if has_attr:
            attrs = dict(self.item())
            if 'names' in attrs and t == 19:
                return dict(zip(attrs['names'], v))
        return v



def main(folder):
    with gzip.open(os.path.join(folder, 'Rdata.rdx')) as f:
        r = Reader(f.read())
    r.header()
    index = r.item()
    offset, length = index['variables'][NOVEL]
    with open(os.path.join(folder, 'Rdata.rdb'), 'rb') as f:
        f.seek(int(offset))
        blob = f.read(int(length))
    r = Reader(zlib.decompress(blob[4:]))
    r.header()
    lines = r.item()
    text, out = '', []
    for line in lines:
        if line.strip().startswith('Chapter') and len(text) >= CHARS:
            break
        out.append(line)
        text = '\n'.join(out)
    data = (text.rstrip() + '\n').encode('utf-8')
    here = os.path.dirname(os.path.abspath(__file__))
    with open(os.path.join(here, 'pride-and-prejudice.txt.gz'), 'wb') as f:
        with gzip.GzipFile(filename='', mode='wb', fileobj=f, mtime=0, compresslevel=9) as g:
            g.write(data)
    print(f'{len(lines)} lines in the novel; kept {len(out)} lines, {len(data)} bytes')


if __name__ == '__main__':
    main(sys.argv[1])
