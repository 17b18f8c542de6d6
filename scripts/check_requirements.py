"""Exit 0 if every requirement in the given file is installed at a matching
version, 1 otherwise; lets setup.sh skip pip when nothing is missing."""

import sys
from importlib import metadata

from packaging.requirements import Requirement


def satisfied(line: str) -> bool:
    requirement = Requirement(line)
    try:
        version = metadata.version(requirement.name)
    except metadata.PackageNotFoundError:
        return False
    return requirement.specifier.contains(version, prereleases=True)


def main(path: str) -> int:
    with open(path, encoding="utf-8") as requirements:
        lines = [line.split("#", 1)[0].strip() for line in requirements]
    missing = [line for line in lines if line and not satisfied(line)]
    for line in missing:
        print(f"setup: missing {line}")
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
