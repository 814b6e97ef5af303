"""Every runnable example runs."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def test_quickstart_copies_a_file_through_kafka_into_another_file() -> None:
    result = subprocess.run(
        [sys.executable, str(EXAMPLES / "quickstart.py")], capture_output=True, text=True, timeout=120
    )
    print(result.stdout, result.stderr[-2000:])
    assert result.returncode == 0
    assert "input lines: 1000, output lines: 1000" in result.stdout


def test_transforms_example_runs_python_transforms_and_a_predicate_in_a_pipeline() -> None:
    result = subprocess.run(
        [sys.executable, str(EXAMPLES / "transforms.py")], capture_output=True, text=True, timeout=120
    )
    print(result.stdout, result.stderr[-2000:])
    assert result.returncode == 0
    assert "unit check: ok" in result.stdout
    assert "orders sent: 20, received: 16, as expected: True" in result.stdout


def test_quickstart_notebook_runs_on_a_real_kernel() -> None:
    import nbclient
    import nbformat

    notebook = nbformat.read(EXAMPLES / "quickstart.ipynb", as_version=4)
    client = nbclient.NotebookClient(
        notebook, timeout=120, kernel_name="python3", resources={"metadata": {"path": str(EXAMPLES)}}
    )
    client.execute()
    outputs = [o for cell in notebook.cells if cell.cell_type == "code" for o in cell.get("outputs", [])]
    text = "".join(o.get("text", "") for o in outputs if o.get("output_type") == "stream")
    assert "input lines: 1000, output lines: 1000" in text
    # The status renders as an HTML table in Jupyter.
    html = [
        o["data"]["text/html"]
        for o in outputs
        if o.get("output_type") == "execute_result" and "text/html" in o.get("data", {})
    ]
    assert any("RUNNING" in h and "<table>" in h for h in html)
