"""Time to read and validate the package's template files (schema + cross-field checks), and to
render a blank report of each (``site-builder template show``).

    python tools/measure_templates.py [ROUNDS]
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from site_builder import standards, template_tool  # noqa: E402


def main() -> None:
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 20
    files = sorted(standards.TEMPLATE_DIR.glob("*.yaml"))
    standards.templates()  # code books and the schema validator are cached once per process
    start = time.perf_counter()
    for _ in range(rounds):
        for path in files:
            template, findings = standards.load_template_file(path)
            assert template is not None and not findings
    per_file = (time.perf_counter() - start) / (rounds * len(files))
    print(f"load + validate: {per_file * 1000:.1f} ms per template file ({len(files)} files, {rounds} rounds)")
    with tempfile.TemporaryDirectory() as folder:
        start = time.perf_counter()
        for template in standards.templates().values():
            template_tool.show(template, Path(folder) / template.id)
        print(f"template show: {(time.perf_counter() - start) / len(files) * 1000:.1f} ms per template")


if __name__ == "__main__":
    main()
