"""The second process of a large enterprise import: reads and parses the sheet while the first process writes.

Started by ``importer._parsed_batches`` as ``python -m xinlian.registry.parse_process FD PATH`` with the pickled
``ImportOptions`` on stdin; sends the parsed batches back over the pipe ``FD`` (see ``importer._parse_in_child``).
It never touches the database. When the writer dies, the next send fails and this process ends.
"""

from __future__ import annotations

import pickle
import sys
from multiprocessing.connection import Connection

from xinlian.registry.importer import _parse_in_child


def main(argv: list[str]) -> int:
    fd, path = int(argv[0]), argv[1]
    options = pickle.loads(sys.stdin.buffer.read())  # written by our own parent process, never by a user
    _parse_in_child(Connection(fd, readable=False), path, options)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
