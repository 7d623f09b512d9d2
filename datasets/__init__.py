"""The training corpus: schema, filters, dedup, splits, exports and problem generators.

Installed, this folder is ``kernelwright.datasets``. At the repository's root it also sits
where Python looks first for a top-level ``datasets`` (``python -c``, ``python -m`` and
notebooks put the working directory first on ``sys.path``), the name of Hugging Face's
library. Imported under that name, it steps aside: the installed ``datasets`` takes its place
in ``sys.modules``, which is what the import statement returns.
"""

if __name__ == "datasets":
    import importlib.machinery
    import importlib.util
    import os
    import sys

    _root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    _elsewhere = [p for p in sys.path if os.path.abspath(p or os.curdir) != _root]
    _spec = importlib.machinery.PathFinder.find_spec("datasets", _elsewhere)
    if _spec is None or _spec.loader is None:
        del sys.modules["datasets"]
        raise ModuleNotFoundError(
            "No module named 'datasets' (Hugging Face's) is installed; the datasets/ folder of "
            "kernelwright's repository is kernelwright.datasets: pip install datasets",
            name="datasets",
        )
    _module = importlib.util.module_from_spec(_spec)
    sys.modules["datasets"] = _module
    _spec.loader.exec_module(_module)
