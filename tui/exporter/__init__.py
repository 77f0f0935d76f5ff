"""The Prometheus exporter: livetop's store as `/metrics`, for Prometheus, Alertmanager, Grafana.

```python
from tui.exporter import serve_metrics
async with serve_metrics(store, settings, "127.0.0.1:9464", per_session=None) as server:
    server.url  # http://127.0.0.1:9464/metrics, served from this event loop
    ...         # poll into `store` here (tui.engine)
```
`livetop export` (`tui.exporter.command`) runs exactly this around the console's data path;
`--rules` and `--dashboard` print the alerting rules and Grafana dashboard shipped beside this
file. Importing this package loads `prometheus_client`: only the commands that serve metrics
import it. No Textual.
"""

from __future__ import annotations

from tui.exporter.collector import DEFAULT_PER_SESSION_LIMIT, StoreCollector
from tui.exporter.server import DEFAULT_LISTEN, Exporter, MetricsServer, parse_listen, serve_metrics
from tui.exporter.tally import Tally

__all__ = [
    "DEFAULT_LISTEN",
    "DEFAULT_PER_SESSION_LIMIT",
    "Exporter",
    "MetricsServer",
    "StoreCollector",
    "Tally",
    "parse_listen",
    "serve_metrics",
]
