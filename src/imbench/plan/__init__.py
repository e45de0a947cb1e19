"""Everything that runs while the DAG is built: the file layout, config preparation, the
grid and the report plan. ``rules/common.smk`` imports it; job code never does (jobs get
what they need through rule params and inputs).

* :mod:`.layout` — every file path pattern, each written once;
* :mod:`.config` — a preset's quick scale, local data sources, canonical param form;
* :mod:`.grid` — the checked config and its cells;
* :mod:`.reports` — which report files a grid gets and every report rule's inputs/params;
* :mod:`.stages` — which rules train each classifier stage, and which want a GPU;
* :mod:`.cluster` — what a SLURM run's submission settings must satisfy (job arrays).
"""

from . import layout
from .config import prepare_config
from .grid import Cell, Grid
from .reports import ReportPlan
from .stages import GPU_RULES

__all__ = ["GPU_RULES", "Cell", "Grid", "ReportPlan", "layout", "prepare_config"]
