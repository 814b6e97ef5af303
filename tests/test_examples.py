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
    # The live view (HTML updated in place: ipywidgets is not a test dependency) ends with the
    # totals of both tasks, refreshed once more when the worker closed; the wait's progress line
    # ends with its outcome.
    displayed = [
        o["data"]["text/html"]
        for o in outputs
        if o.get("output_type") == "display_data" and "text/html" in o.get("data", {})
    ]
    assert "[('lines-in', 'RUNNING', 1000.0), ('lines-out', 'RUNNING', 1000.0)]" in text
    [view] = [h for h in displayed if "records/s" in h]
    assert "(stopped)" in view and view.count("<td style='text-align:right'>1,000</td>") == 4
    assert any(h.startswith("waiting for lines-out to be RUNNING: RUNNING, tasks RUNNING") for h in displayed)
