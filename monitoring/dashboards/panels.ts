/**
 * The few panel shapes the dashboards use, with the conventions Grafana's
 * dashboard-linter checks built in: the templated `${datasource}`, a unit on
 * every panel, `$job`/`$instance` variables.
 *
 * @module
 */
import {
  type DashboardBuilder,
  DatasourceVariableBuilder,
  QueryVariableBuilder,
  ThresholdsConfigBuilder,
  ThresholdsMode,
  VariableRefresh,
  VariableSort,
} from "@grafana/grafana-foundation-sdk/dashboard";
import { PanelBuilder as BarGauge } from "@grafana/grafana-foundation-sdk/bargauge";
import {
  BigValueGraphMode,
  GraphThresholdsStyleConfigBuilder,
  GraphThresholdsStyleMode,
  LegendDisplayMode,
  LegendPlacement,
  ReduceDataOptionsBuilder,
  VizLegendOptionsBuilder,
  VizOrientation,
} from "@grafana/grafana-foundation-sdk/common";
import { PanelBuilder as Heatmap } from "@grafana/grafana-foundation-sdk/heatmap";
import { DataqueryBuilder, PromQueryFormat } from "@grafana/grafana-foundation-sdk/prometheus";
import { PanelBuilder as Stat } from "@grafana/grafana-foundation-sdk/stat";
import { PanelBuilder as Table } from "@grafana/grafana-foundation-sdk/table";
import { PanelBuilder as TimeSeries } from "@grafana/grafana-foundation-sdk/timeseries";

/** Every panel and variable queries the data source the viewer picked. */
export const DATASOURCE = { type: "prometheus", uid: "${datasource}" };

/** Metrics whose `job`/`instance` labels populate the variables: the edge's and the bot's. */
const JOB_SOURCE = '{__name__=~"mlops_model_ready|mlops_bot_outbox_depth"}';

/** The datasource, job and instance variables every mlops dashboard has. */
export function withVariables(d: DashboardBuilder): DashboardBuilder {
  return d
    .withVariable(
      new DatasourceVariableBuilder("datasource").label("Data source").type("prometheus"),
    )
    .withVariable(
      new QueryVariableBuilder("job")
        .label("Job")
        .datasource(DATASOURCE)
        .query(`label_values(${JOB_SOURCE}, job)`)
        .refresh(VariableRefresh.OnTimeRangeChanged)
        .sort(VariableSort.AlphabeticalAsc)
        .multi(true)
        .includeAll(true)
        .allValue(".+"),
    )
    .withVariable(
      new QueryVariableBuilder("instance")
        .label("Instance")
        .datasource(DATASOURCE)
        .query(`label_values(${JOB_SOURCE.replace("}", ', job=~"$job"}')}, instance)`)
        .refresh(VariableRefresh.OnTimeRangeChanged)
        .sort(VariableSort.AlphabeticalAsc)
        .multi(true)
        .includeAll(true)
        .allValue(".+"),
    );
}

/** A query with a legend. */
export function q(expr: string, legend = "__auto"): DataqueryBuilder {
  return new DataqueryBuilder().expr(expr).legendFormat(legend);
}

function thresholds(steps: [number | null, string][]): ThresholdsConfigBuilder {
  return new ThresholdsConfigBuilder()
    .mode(ThresholdsMode.Absolute)
    .steps(steps.map(([value, color]) => ({ value, color })));
}

/** A time series panel. `marks` draws threshold lines (e.g. PSI 0.2, 0.3). */
export function timeseries(
  title: string,
  description: string,
  unit: string,
  queries: DataqueryBuilder[],
  marks: number[] = [],
): TimeSeries {
  const p = new TimeSeries()
    .title(title)
    .description(description)
    .datasource(DATASOURCE)
    .unit(unit)
    .min(0)
    .legend(
      new VizLegendOptionsBuilder()
        .showLegend(true)
        .displayMode(LegendDisplayMode.List)
        .placement(LegendPlacement.Bottom),
    );
  for (const t of queries) p.withTarget(t);
  if (marks.length > 0) {
    p.thresholds(thresholds([[null, "green"], [marks[0], "orange"], [marks.at(-1)!, "red"]]));
    p.thresholdsStyle(
      new GraphThresholdsStyleConfigBuilder().mode(GraphThresholdsStyleMode.DashedAndArea),
    );
  }
  return p;
}

/** A single number (last value), coloured by `steps`. */
export function stat(
  title: string,
  description: string,
  unit: string,
  query: DataqueryBuilder,
  steps: [number | null, string][] = [[null, "green"]],
): Stat {
  return new Stat()
    .title(title)
    .description(description)
    .datasource(DATASOURCE)
    .unit(unit)
    .graphMode(BigValueGraphMode.Area)
    .reduceOptions(new ReduceDataOptionsBuilder().calcs(["lastNotNull"]))
    .thresholds(thresholds(steps))
    .withTarget(query)
    .height(4)
    .span(4);
}

/** Labels of an info series as a table (instant). */
export function table(title: string, description: string, query: DataqueryBuilder): Table {
  return new Table()
    .title(title)
    .description(description)
    .datasource(DATASOURCE)
    .unit("string")
    .withTarget(query.format(PromQueryFormat.Table).instant())
    .height(6)
    .span(16);
}

/** Latest value per series as horizontal bars. */
export function bars(
  title: string,
  description: string,
  unit: string,
  query: DataqueryBuilder,
  steps: [number | null, string][],
): BarGauge {
  return new BarGauge()
    .title(title)
    .description(description)
    .datasource(DATASOURCE)
    .unit(unit)
    .min(0)
    .orientation(VizOrientation.Horizontal)
    .reduceOptions(new ReduceDataOptionsBuilder().calcs(["lastNotNull"]))
    .thresholds(thresholds(steps))
    .withTarget(query.instant());
}

/** A heatmap of a Prometheus histogram's buckets. */
export function heatmap(title: string, description: string, query: DataqueryBuilder): Heatmap {
  return new Heatmap()
    .title(title)
    .description(description)
    .datasource(DATASOURCE)
    .withTarget(query.format(PromQueryFormat.Heatmap));
}
