"""Replaces the finding table between the checks markers in the README."""
import sys

readme_path, table_path = sys.argv[1], sys.argv[2]
readme = open(readme_path).read()
table = open(table_path).read()
begin, end = "<!-- checks:begin -->\n", "<!-- checks:end -->"
start = readme.index(begin) + len(begin)
stop = readme.index(end)
open(readme_path, "w").write(readme[:start] + table + readme[stop:])
