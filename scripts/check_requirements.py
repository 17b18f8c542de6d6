"""Exit 0 if every requirement in the given file (and the files it includes
with "-r FILE") is installed at a matching version, 1 otherwise; lets
setup.sh skip pip when nothing is missing."""

import sys
from importlib import metadata
from pathlib import Path

from packaging.requirements import Requirement


def satisfied(line: str) -> bool:
    requirement = Requirement(line)
    try:
        version = metadata.version(requirement.name)
    except metadata.PackageNotFoundError:
        return False
    return requirement.specifier.contains(version, prereleases=True)


def requirement_lines(path: Path) -> list[str]:
    lines = []
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if line.startswith("-r "):
            lines += requirement_lines(path.parent / line[3:].strip())
        elif line:
            lines.append(line)
    return lines


def main(path: str) -> int:
    missing = [line for line in requirement_lines(Path(path)) if not satisfied(line)]
    for line in missing:
        print(f"setup: missing {line}")
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
