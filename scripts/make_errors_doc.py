"""Write docs/errors.md from the hostile-input table (tests/hostile_cases.py).

Runs every case in-process, as tests/test_hostile_inputs.py does, and lists each message by
category with the input that causes it. Run: .venv/bin/python scripts/make_errors_doc.py
"""

from __future__ import annotations

import io
import os
import shutil
import sys
import tempfile
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))

from hostile_cases import CASES, argv, build_template, materialise, normalise, render_doc  # noqa: E402
from ipposaki.cli.main import run  # noqa: E402


def main() -> None:
    os.environ.pop("IPPOSAKI_DEBUG", None)
    os.environ["IPPOSAKI_LOCK_TIMEOUT"] = "1"
    home = Path.cwd()
    messages: dict[str, str] = {}
    with tempfile.TemporaryDirectory() as root:
        template = build_template(Path(root))
        for number, case in enumerate(CASES):
            tmp = Path(root) / f"case{number}"
            tmp.mkdir()
            store = tmp / "store.duckdb"
            shutil.copyfile(template, store)
            materialise(case, tmp)
            err, out = io.StringIO(), io.StringIO()
            os.chdir(tmp)
            try:
                with redirect_stderr(err), redirect_stdout(out):
                    code = run(argv(case, tmp, store))
            finally:
                os.chdir(home)
            lines = [ln for ln in err.getvalue().strip().splitlines() if not ln.startswith("... ")]
            if code != case.code or len(lines) != 1:
                raise SystemExit(f"case {case.id} failed: exit {code}, stderr {lines}")
            messages[case.id] = normalise(lines[0], tmp)
    target = REPO / "docs" / "errors.md"
    target.write_text(render_doc(messages), encoding="utf-8")
    print(f"wrote {target} ({len(messages)} messages)")


if __name__ == "__main__":
    main()
