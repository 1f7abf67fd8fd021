"""The Grafana dashboard's PromQL, checked against a real Prometheus.

harness/pictures/grafana/leaklab.json is a provisioning-ready Grafana
dashboard for the gauges the kit's programs serve. Grafana is not
packaged here, so nothing would notice the day a panel names a metric the
kit does not export, or a query that Prometheus refuses: the panel would
just stay empty. test_prometheus.py --dashboard runs every expression the
dashboard holds, its panels' and its variables', against the Prometheus
it started, while that Prometheus scrapes the kit's leaking programs:

- each expression must parse and return at least one series;
- each metric it names must be one the scraped programs export.

Grafana's own syntax is replaced first, as Grafana would: a variable by
its "All" value (the dashboard's allValue), $__rate_interval and friends
by a duration, and label_values(METRIC, LABEL) by the PromQL that asks the
same question, count by (LABEL) (METRIC).
"""
import json
import re

# Grafana's built-in variables, by a value that fits a test of seconds.
BUILTINS = {"__rate_interval": "1m", "__interval": "5s", "__range": "1m"}
LABEL_VALUES = re.compile(r"^label_values\(\s*(.+?)\s*,\s*([A-Za-z_][A-Za-z0-9_]*)\s*\)$")
VARIABLE = re.compile(r"\$\{(\w+)(?::\w+)?\}|\$(\w+)")
# A name in PromQL: a metric unless "(" follows it (a function) or it is a
# keyword; label names, strings and durations are removed before.
IDENT = re.compile(r"(?<![\w.])([a-zA-Z_:][a-zA-Z0-9_:]*)\s*(\(?)")
KEYWORDS = {"by", "without", "on", "ignoring", "group_left", "group_right", "bool", "and",
            "or", "unless", "offset", "inf", "nan"}


class DashboardError(Exception):
    pass


def load(path):
    """The dashboard as a dict, checked for what Grafana needs to provision
    it: a uid and a title, panels with unique ids and a place on the grid,
    and every query on a Prometheus data source."""
    with open(path, encoding="utf-8") as f:
        dash = json.load(f)
    for key in ("uid", "title", "panels", "templating", "schemaVersion"):
        if key not in dash:
            raise DashboardError(f"{path}: no \"{key}\"")
    ids = [p.get("id") for p in dash["panels"]]
    if None in ids or len(set(ids)) != len(ids):
        raise DashboardError(f"{path}: panel ids must be present and unique: {ids}")
    for p in dash["panels"]:
        if "gridPos" not in p:
            raise DashboardError(f"{path}: panel {p['id']} has no gridPos")
        if p.get("type") != "row" and not p.get("targets"):
            raise DashboardError(f"{path}: panel {p['id']} ({p.get('title')}) has no query")
        for t in p.get("targets", []):
            if t.get("datasource", p.get("datasource", {})).get("type") != "prometheus":
                raise DashboardError(f"{path}: panel {p['id']}: a query not on Prometheus")
    return dash


def expressions(dash):
    """Every query in the dashboard, as [(where, grafana_text)]."""
    out = []
    for p in dash["panels"]:
        for t in p.get("targets", []):
            if t.get("expr"):
                out.append((f"panel {p['id']} \"{p.get('title', '')}\" {t.get('refId', '')}",
                            t["expr"]))
    for v in dash["templating"]["list"]:
        if v.get("type") == "query":
            q = v["query"]["query"] if isinstance(v.get("query"), dict) else v.get("query")
            out.append((f"variable ${v['name']}", q))
    return out


def to_promql(dash, text):
    """text with Grafana's variables and label_values() replaced as Grafana
    would with every variable at "All". Raises DashboardError on a variable
    the dashboard does not define."""
    all_values = {v["name"]: v.get("allValue") or ".*" for v in dash["templating"]["list"]
                  if v.get("type") == "query"}

    def value(m):
        name = m.group(1) or m.group(2)
        if name in all_values:
            return all_values[name]
        if name in BUILTINS:
            return BUILTINS[name]
        raise DashboardError(f"${name} is not a variable of the dashboard: {text}")

    promql = VARIABLE.sub(value, text.strip())
    m = LABEL_VALUES.match(promql)
    if m:
        promql = f"count by ({m.group(2)}) ({m.group(1)})"
    return promql


def metric_names(promql):
    """The metric names promql selects (label names inside {...}, strings
    and durations left out)."""
    bare = re.sub(r"\{[^}]*\}", "", re.sub(r"\"[^\"]*\"", "\"\"", promql))
    bare = re.sub(r"\[[^\]]*\]", "", bare)
    bare = re.sub(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", "", bare)
    return sorted({n for n, call in IDENT.findall(bare) if not call and n.lower() not in KEYWORDS})


def check(dash, query, exported):
    """Runs every expression of dash with query(promql) -> [(labels, value)];
    exported: the metric names Prometheus holds. Returns one line per
    expression; raises DashboardError at the first that fails."""
    lines = []
    for where, text in expressions(dash):
        promql = to_promql(dash, text)
        unknown = [n for n in metric_names(promql) if n not in exported and n != "ALERTS"]
        if unknown:
            raise DashboardError(
                f"{where}: {', '.join(unknown)} is not a metric the kit's programs export "
                f"(Prometheus holds: {', '.join(sorted(n for n in exported if n.startswith('leaklab_')))}): "
                f"{text}")
        try:
            rows = query(promql)
        except Exception as e:  # noqa: BLE001 - Prometheus's refusal, reported as such
            raise DashboardError(f"{where}: Prometheus refused {promql}: {e}") from e
        if not rows:
            raise DashboardError(f"{where}: {promql} returned nothing while the kit's programs "
                                 f"were scraped")
        lines.append(f"ok: dashboard {where}: {promql} -> {len(rows)} series")
    return lines
