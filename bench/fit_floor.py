"""The floor for decoding FIT: the least work that reads every record message's fields out of the bytes.

What the benchmarks compare our decoder against: one precompiled `struct`
per definition message, every data message unpacked into a tuple of raw
integers, nothing scaled, named, checked or kept. No real decoder can be
faster than this and still read the same bytes, so "within 2x of the floor"
says how much of a decode's time is its own overhead. It reads well-formed
files only (it is measured on files it was checked against), and returns how
many record messages it unpacked, so the caller can check it read them all.
"""

from __future__ import annotations

import struct

#: FIT base types: the low 5 bits of a field's base type, to a struct code.
_CODES = {0: "B", 1: "b", 2: "B", 3: "h", 4: "H", 5: "i", 6: "I", 7: "s", 8: "f", 9: "d", 10: "B", 11: "H",
          12: "I", 13: "B", 14: "q", 15: "Q", 16: "Q"}  # fmt: skip
_SIZES = {"B": 1, "b": 1, "h": 2, "H": 2, "i": 4, "I": 4, "f": 4, "d": 8, "q": 8, "Q": 8}
MESG_RECORD = 20


def _layout(fields: list[tuple[int, int, int]], dev_size: int, big: bool) -> struct.Struct:
    codes = []
    for _num, size, base in fields:
        code = _CODES.get(base & 0x1F, "s")
        width = _SIZES.get(code, 1)
        codes.append(f"{size}s" if code == "s" or size != width else code)
    if dev_size:
        codes.append(f"{dev_size}x")
    return struct.Struct((">" if big else "<") + "".join(codes))


def floor_decode(data: bytes) -> int:
    """Unpack every data message of `data` (chained FIT files included); how many were records."""
    records = 0
    pos = 0
    end_of_all = len(data)
    while pos + 12 <= end_of_all:
        header_size = data[pos]
        data_size = int.from_bytes(data[pos + 4 : pos + 8], "little")
        pos += header_size
        end = pos + data_size
        layouts: dict[int, tuple[int, struct.Struct]] = {}
        while pos < end:
            header = data[pos]
            pos += 1
            if header & 0x80:  # compressed timestamp: a data message of local type bits 5-6
                mesg, layout = layouts[(header >> 5) & 0x3]
                layout.unpack_from(data, pos)
                pos += layout.size
                records += mesg == MESG_RECORD
            elif header & 0x40:  # definition
                big = data[pos + 1] == 1
                mesg = int.from_bytes(data[pos + 2 : pos + 4], "big" if big else "little")
                count = data[pos + 4]
                fields = [(data[pos + 5 + 3 * i], data[pos + 6 + 3 * i], data[pos + 7 + 3 * i]) for i in range(count)]
                pos += 5 + 3 * count
                dev_size = 0
                if header & 0x20:
                    dev_count = data[pos]
                    dev_size = sum(data[pos + 2 + 3 * i] for i in range(dev_count))
                    pos += 1 + 3 * dev_count
                layouts[header & 0x0F] = (mesg, _layout(fields, dev_size, big))
            else:
                mesg, layout = layouts[header & 0x0F]
                layout.unpack_from(data, pos)
                pos += layout.size
                records += mesg == MESG_RECORD
        pos = end + 2  # the file's CRC
    return records
